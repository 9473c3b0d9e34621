package org.jmaster.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToLongFunction;
import org.jmaster.supervisor.Snapshot;
import org.jmaster.supervisor.Snapshot.ServiceView;

/**
 * Renders a {@link Snapshot} as OpenMetrics text (also valid Prometheus text format 0.0.4 apart from
 * the closing {@code # EOF}): per-service gauges of children by state and counters of spawns, exits
 * by kind, throttles and status frames; the master's reloads, resident memory and CPU time.
 */
public final class Metrics {
    private Metrics() {}

    public static String render(Snapshot s) {
        StringBuilder b = new StringBuilder(2048);
        family(b, "jmaster_children", "gauge", "Live children of a service by state.");
        for (ServiceView v : s.services()) {
            sample(b, "jmaster_children", v, "state=\"idle\"", v.idle());
            sample(b, "jmaster_children", v, "state=\"busy\"", v.busy());
            sample(b, "jmaster_children", v, "state=\"retiring\"", v.children() - v.idle() - v.busy());
        }
        family(b, "jmaster_process_limit", "gauge", "The service's process limit (0: none).");
        for (ServiceView v : s.services()) {
            sample(b, "jmaster_process_limit", v, null, v.maxproc());
        }
        family(b, "jmaster_throttled", "gauge", "1 while the service is throttled.");
        for (ServiceView v : s.services()) {
            sample(b, "jmaster_throttled", v, null, v.throttled() ? 1 : 0);
        }
        counter(b, s.services(), "jmaster_spawns", "Children spawned.", ServiceView::spawns);
        family(b, "jmaster_exits", "counter", "Children reaped, by how they ended.");
        for (ServiceView v : s.services()) {
            sample(b, "jmaster_exits_total", v, "reason=\"normal\"", v.exitsNormal());
            sample(b, "jmaster_exits_total", v, "reason=\"status\"", v.exitsStatus());
            sample(b, "jmaster_exits_total", v, "reason=\"signal\"", v.exitsSignal());
        }
        counter(b, s.services(), "jmaster_throttles", "Times the service was throttled.", ServiceView::throttles);
        family(b, "jmaster_refusals", "counter", "Connections the master refused, by reason.");
        for (ServiceView v : s.services()) {
            for (String reason : List.of("limit", "per_source", "rate", "source_rate", "throttled")) {
                sample(b, "jmaster_refusals_total", v, "reason=\"" + reason + "\"",
                        v.refusals() == null ? 0 : v.refusals().getOrDefault(reason, 0L));
            }
        }
        counter(b, s.services(), "jmaster_status_frames", "Status frames read from children.",
                ServiceView::statusFrames);
        family(b, "jmaster_reloads", "counter", "Successful reloads.");
        b.append("jmaster_reloads_total ").append(s.reloads()).append('\n');
        family(b, "jmaster_master_resident_memory_bytes", "gauge", "The master's resident set size.");
        b.append("jmaster_master_resident_memory_bytes ").append(residentBytes()).append('\n');
        family(b, "jmaster_master_cpu_seconds", "counter", "CPU time used by the master (user + system).");
        b.append("jmaster_master_cpu_seconds_total ").append(cpuSeconds()).append('\n');
        family(b, "jmaster_master_start_time_seconds", "gauge", "When the master started (Unix time).");
        b.append("jmaster_master_start_time_seconds ").append(s.startedAtMillis() / 1000).append('\n');
        b.append("# EOF\n");
        return b.toString();
    }

    private static void counter(StringBuilder b, List<ServiceView> services, String name, String help,
                                ToLongFunction<ServiceView> value) {
        family(b, name, "counter", help);
        for (ServiceView v : services) {
            sample(b, name + "_total", v, null, value.applyAsLong(v));
        }
    }

    private static void family(StringBuilder b, String name, String type, String help) {
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
    }

    private static void sample(StringBuilder b, String name, ServiceView v, String extra, long value) {
        b.append(name).append("{service=\"").append(escape(v.name())).append("\",type=\"").append(v.type())
                .append('"');
        if (extra != null) {
            b.append(',').append(extra);
        }
        b.append("} ").append(value).append('\n');
    }

    static String escape(String label) {
        return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** VmRSS of this process in bytes, 0 when /proc cannot say. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or /proc not mounted: report 0
        }
        return 0;
    }

    /** utime + stime of this process in seconds (clock ticks of 1/100 s on Linux). */
    static String cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return String.format(java.util.Locale.ROOT, "%.2f", ticks / 100.0);
        } catch (IOException | RuntimeException e) {
            return "0";
        }
    }
}
