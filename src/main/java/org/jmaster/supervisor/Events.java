package org.jmaster.supervisor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The event stream: every decision the supervisor takes (a spawn and why, an exit and its status, a
 * throttle with its delay and reason, a probe, a refusal, a reload and its outcome, the steps of an
 * upgrade, a rollback) as an {@link Event} with a stable {@link Code}, the machine-readable twin of
 * the log. The last {@link #CAPACITY} events are kept in a ring; subscribers (the control socket's
 * followers) hear each new one as it happens. Emitting never blocks and never fails the caller: a
 * subscriber that throws is dropped. Owned by the loop thread.
 */
public final class Events {
    /** Events kept for {@code jmaster events}; older ones are dropped. */
    public static final int CAPACITY = 4096;

    /** The reason codes. Their {@link #wire} names are stable: documented in docs/operations.md, never renamed. */
    public enum Code {
        /** A listener became readable with no idle child: one child for the waiting client (Postfix's protocol). */
        SPAWN_DEMAND("spawn.demand"),
        /** The prefork pool started a child ahead of demand ({@code -M prefork}). */
        SPAWN_PREFORK("spawn.prefork"),
        /** Accept mode: the master accepted a connection and started a child for it. */
        SPAWN_CONNECTION("spawn.connection"),
        /** A socket-activated child ({@code -M protocol=systemd}) for a readable listener. */
        SPAWN_ACTIVATION("spawn.activation"),
        /** A spawn failed in the master (exec, descriptors, no usable mail_owner). */
        SPAWN_FAILED("spawn.failed"),
        /** A child exited with status 0. */
        EXIT_NORMAL("exit.normal"),
        /** A child exited with a non-zero status. */
        EXIT_STATUS("exit.status"),
        /** A child was killed by a signal. */
        EXIT_SIGNAL("exit.signal"),
        /** A failed start of a command that has served before, tolerated (the throttle rule, step 3). */
        START_TOLERATED("start.tolerated"),
        /** A failed start throttled the service ("bad command startup"). */
        THROTTLE_STARTUP("throttle.startup"),
        /** A spawn that failed in the master throttled the service. */
        THROTTLE_SPAWN("throttle.spawn"),
        /** A failed probe throttled the service again. */
        THROTTLE_PROBE("throttle.probe"),
        /** The throttle delay is over: the service probes one start at a time. */
        THROTTLE_OVER("throttle.over"),
        /** The throttle state was cleared: the command changed at reload, or the service was stopped. */
        THROTTLE_CLEARED("throttle.cleared"),
        /** The first child after a throttle proved itself: back to the full process limit. */
        PROBE_SUCCEEDED("probe.succeeded"),
        /** A connection refused because the service is throttled ({@code throttle_reply}). */
        REFUSE_THROTTLED("refuse.throttled"),
        /** A connection refused at the process limit (accept mode). */
        REFUSE_LIMIT("refuse.limit"),
        /** A connection refused by {@code max_per_source}. */
        REFUSE_PER_SOURCE("refuse.per_source"),
        /** A connection refused by {@code source_rate}. */
        REFUSE_SOURCE_RATE("refuse.source_rate"),
        /** A connection refused by the service's {@code rate}. */
        REFUSE_RATE("refuse.rate"),
        /** A reload began (SIGHUP, or {@code reload --canary}). */
        RELOAD_BEGIN("reload.begin"),
        /** A reload is in effect: services added, changed, removed. */
        RELOAD_DONE("reload.done"),
        /** A reload failed (a broken file): the running table stays. */
        RELOAD_FAILED("reload.failed"),
        /** A service of a reload could not be started (its listener) or updated; it is left out or keeps its settings. */
        RELOAD_SERVICE_FAILED("reload.service_failed"),
        /** A canary reload watches the changed and added services for its window. */
        CANARY_BEGIN("canary.begin"),
        /** The canary window passed without a failure: the new table stays. */
        CANARY_KEPT("canary.kept"),
        /** A new reload or an upgrade ended the window early: the current table stays. */
        CANARY_SUPERSEDED("canary.superseded"),
        /** A canary reload was undone: the previous table is back. */
        RELOAD_ROLLED_BACK("reload.rolled_back"),
        /** An upgrade began: a new master is being started. */
        UPGRADE_BEGIN("upgrade.begin"),
        /** The new master reported ready. */
        UPGRADE_READY("upgrade.ready"),
        /** The new master took over: this master stops spawning and waits for its children. */
        UPGRADE_COMMITTED("upgrade.committed"),
        /** The upgrade failed; this master keeps serving and nothing changed. */
        UPGRADE_FAILED("upgrade.failed"),
        /** The old master's last child is gone (or the grace time passed): it exits. */
        UPGRADE_RETIRED("upgrade.retired"),
        /** This master took over from the previous one (the first event of an upgraded master). */
        UPGRADE_TOOK_OVER("upgrade.took_over"),
        /** The master started serving. */
        MASTER_STARTED("master.started"),
        /** Shutdown began (SIGTERM, SIGINT, abort). */
        MASTER_STOPPING("master.stopping");

        public final String wire;

        Code(String wire) {
            this.wire = wire;
        }
    }

    /**
     * One decision.
     *
     * @param seq        1, 2, 3 … in this master
     * @param timeMillis when, in milliseconds since the epoch
     * @param code       the reason code's wire name
     * @param service    the service's name (field 1 of master.cf), or null for the master itself
     * @param pid        the child (or new master) concerned, or 0
     * @param fields     the details, in a fixed order per code
     */
    public record Event(long seq, long timeMillis, String code, String service, long pid, Map<String, Object> fields) {
        /** One line: {@code <code> service=<name> pid=<n> key=value …}, values with blanks quoted. */
        public String text() {
            StringBuilder b = new StringBuilder(code);
            if (service != null) {
                b.append(" service=").append(quoted(service));
            }
            if (pid != 0) {
                b.append(" pid=").append(pid);
            }
            for (Map.Entry<String, Object> f : fields.entrySet()) {
                b.append(' ').append(f.getKey()).append('=').append(quoted(String.valueOf(f.getValue())));
            }
            return b.toString();
        }

        private static String quoted(String v) {
            if (!v.isEmpty() && v.chars().noneMatch(c -> c <= ' ' || c == '"' || c == '\\')) {
                return v;
            }
            StringBuilder b = new StringBuilder("\"");
            for (char c : v.toCharArray()) {
                if (c == '"' || c == '\\') {
                    b.append('\\');
                }
                b.append(c < ' ' ? ' ' : c);
            }
            return b.append('"').toString();
        }
    }

    /** Hears every new event, on the loop thread; must not block. */
    public interface Subscriber {
        void event(Event e);
    }

    private final ArrayDeque<Event> ring = new ArrayDeque<>();
    private final List<Subscriber> subscribers = new ArrayList<>();
    private final EventLoop loop;
    private long seq;

    Events(EventLoop loop) {
        this.loop = loop;
    }

    /**
     * Records an event; {@code keyValues} are alternating names and values (null values are left
     * out). {@code service} may be null.
     */
    void emit(Code code, Service service, long pid, Object... keyValues) {
        emit(code, service == null ? null : service.entry.extName(), pid, keyValues);
    }

    void emit(Code code, String service, long pid, Object... keyValues) {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            if (keyValues[i + 1] != null) {
                fields.put((String) keyValues[i], keyValues[i + 1]);
            }
        }
        Event e = new Event(++seq, loop.currentTimeMillis(), code.wire, service, pid,
                Collections.unmodifiableMap(fields));
        if (ring.size() == CAPACITY) {
            ring.removeFirst();
        }
        ring.addLast(e);
        for (Subscriber s : subscribers.toArray(new Subscriber[0])) {
            try {
                s.event(e);
            } catch (RuntimeException ex) {
                subscribers.remove(s);
            }
        }
    }

    /** The events kept now, oldest first. */
    public List<Event> recent() {
        return List.copyOf(ring);
    }

    public void subscribe(Subscriber s) {
        subscribers.add(s);
    }

    public void unsubscribe(Subscriber s) {
        subscribers.remove(s);
    }

    /** Followers now (for tests and status). */
    public int subscribers() {
        return subscribers.size();
    }
}
