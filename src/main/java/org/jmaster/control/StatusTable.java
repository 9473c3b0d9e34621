package org.jmaster.control;

import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import org.jmaster.supervisor.Snapshot;

/**
 * The human tables of {@code status} and {@code children}: rendered by the master for the control
 * socket's {@code status table} and {@code children table} (so the command on the terminal needs
 * no JSON parser), and by the command from the JSON of a master that does not know those requests.
 */
public final class StatusTable {
    private StatusTable() {}

    /** The {@code status} table; {@code nowMillis} is the wall clock the throttle's time left is counted from. */
    public static void print(PrintStream out, Snapshot s, long nowMillis) {
        out.printf("jmaster %s, pid %d, up %s, generation %d, %d reload(s), %d spawn(s)%s%n", s.version(), s.pid(),
                duration(s.uptimeSeconds()), s.generation(), s.reloads(), s.spawns(),
                s.shuttingDown() ? ", shutting down" : "");
        out.printf("binary generation %d%s%s%n", s.binaryGeneration(),
                s.upgrade() == null || s.upgrade().isEmpty() ? "" : ", upgrade: " + s.upgrade(),
                s.canaryEndsAtMillis() > 0 ? ", canary reload until " + clock(s.canaryEndsAtMillis()) : "");
        out.printf("configuration %s%n%n", s.configDirectory());
        out.printf("%-22s %-10s %-7s %-11s %-7s %-16s %-10s %s%n", "service", "type", "maxproc", "idle/busy",
                "spawns", "exits ok/st/sig", "throttle", "endpoints");
        for (Snapshot.ServiceView v : s.services()) {
            String throttle = throttle(v, nowMillis);
            out.printf("%-22s %-10s %-7d %-11s %-7d %-16s %-10s %s%n", v.name(), v.type(), v.maxproc(),
                    v.idle() + "/" + v.busy(), v.spawns(), v.exitsNormal() + "/" + v.exitsStatus() + "/"
                            + v.exitsSignal(), throttle, String.join(",", v.endpoints()));
            if (!v.lastError().isEmpty()) {
                out.printf("%-22s last error at %s: %s%n", "", clock(v.lastErrorAtMillis()), v.lastError());
            }
        }
    }

    /**
     * The throttle column: the time left ({@code 42s}, {@code 3m20s}) while throttled, {@code probing}
     * while a throttled service tries one new child at a time, else {@code -}. Never wider than the column.
     */
    static String throttle(Snapshot.ServiceView v, long nowMillis) {
        if (v.throttled()) {
            long left = Math.max(0, v.throttleRetryAtMillis() - nowMillis);
            return duration((left + 999) / 1000);
        }
        return v.probing() ? "probing" : "-";
    }

    public static void printChildren(PrintStream out, List<Snapshot.ChildView> children) {
        out.printf("%-8s %-22s %-9s %-6s %-10s %s%n", "pid", "service", "state", "uses", "age", "generation");
        for (Snapshot.ChildView c : children) {
            out.printf("%-8d %-22s %-9s %-6d %-10s %d%n", c.pid(), c.service(), c.state(), c.uses(),
                    duration(c.ageMillis() / 1000), c.generation());
        }
    }

    private static String clock(long millis) {
        return Instant.ofEpochMilli(millis).toString().replaceFirst("\\.\\d+Z$", "Z");
    }

    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m" + seconds % 60 + "s";
        }
        return seconds / 3600 + "h" + seconds % 3600 / 60 + "m";
    }
}
