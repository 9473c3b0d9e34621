package org.jmaster.supervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jmaster.conf.ServiceKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A canary reload's window: the new table is live, the previous one is kept, and the services the
 * reload changed or added are watched. A failed start of one of them (the throttle rule's failed
 * start, or a spawn that failed in the master) or a listener that could not be opened returns the
 * master to the previous table by itself ({@code reload rolled back: <service>: <reason>}); a
 * window that passes without one keeps the new table. The files on disk are never touched. Owned by
 * the loop thread; at most one window at a time (a new reload or an upgrade ends it, keeping what
 * runs).
 */
final class Canary {
    private static final Logger log = LoggerFactory.getLogger("master");
    private final Supervisor master;
    private Supervisor.Loaded previous;
    private Set<ServiceKey> watched = Set.of();
    private EventLoop.Timer timer;
    private long windowSeconds;
    private long deadlineMillis;
    private final List<Supervisor.Outcome> waiting = new ArrayList<>();
    private boolean rollbackPending;

    Canary(Supervisor master) {
        this.master = master;
    }

    boolean active() {
        return previous != null;
    }

    /** When the window ends (milliseconds since the epoch), 0 when none runs (for status). */
    long endsAtMillis() {
        return active() ? deadlineMillis : 0;
    }

    /**
     * Opens a window of {@code seconds} over {@code watched}, to return to {@code previous}
     * on a failure; {@code outcome} (may be null) hears how it ends.
     */
    void begin(Supervisor.Loaded previous, Set<ServiceKey> watched, long seconds, Supervisor.Outcome outcome) {
        this.previous = previous;
        this.watched = Set.copyOf(watched);
        this.windowSeconds = seconds;
        this.deadlineMillis = master.loop.currentTimeMillis() + seconds * 1000L;
        if (outcome != null) {
            waiting.add(outcome);
        }
        timer = master.loop.schedule(seconds * 1000L, this::kept);
        log.info("reload: canary window of {}s over {} changed or added service(s)", seconds, watched.size());
        master.events.emit(Events.Code.CANARY_BEGIN, (String) null, 0, "window_s", seconds,
                "services", watched.size());
    }

    /** A service of the running table failed to start a child; within the window, that undoes the reload. */
    void failedStart(Service s, String reason) {
        if (active() && watched.contains(s.entry.key())) {
            rollbackSoon(s.entry.extName(), reason);
        }
    }

    /** A service of the reload could not be started or updated (its listener, its status channel). */
    void serviceFailed(String name, String reason) {
        if (active()) {
            rollbackSoon(name, reason);
        }
    }

    /** A new reload or an upgrade: the window ends, the running table stays. */
    void supersede(String by) {
        if (!active()) {
            return;
        }
        log.info("reload: canary window ended early by {}; keeping the running configuration", by);
        master.events.emit(Events.Code.CANARY_SUPERSEDED, (String) null, 0, "by", by);
        end(true, "kept (canary window ended early by " + by + ")");
    }

    /** Not from inside the handler that saw the failure: the reload below replaces what that handler holds. */
    private void rollbackSoon(String name, String reason) {
        if (rollbackPending) {
            return;
        }
        rollbackPending = true;
        master.loop.schedule(0, () -> {
            rollbackPending = false;
            if (active()) {
                rollback(name, reason);
            }
        });
    }

    private void rollback(String name, String reason) {
        Supervisor.Loaded back = previous;
        log.warn("reload rolled back: {}: {}", name, reason);
        master.events.emit(Events.Code.RELOAD_ROLLED_BACK, name, 0, "reason", reason);
        end(false, "rolled back: " + name + ": " + reason);
        master.rollBack(back);
    }

    private void kept() {
        timer = null;
        if (!active()) {
            return;
        }
        log.info("reload: no start-up failure within the canary window of {}s; keeping the new configuration",
                windowSeconds);
        master.events.emit(Events.Code.CANARY_KEPT, (String) null, 0, "window_s", windowSeconds);
        end(true, "kept after the canary window of " + windowSeconds + "s");
    }

    private void end(boolean ok, String text) {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        previous = null;
        watched = Set.of();
        List<Supervisor.Outcome> tell = new ArrayList<>(waiting);
        waiting.clear();
        for (Supervisor.Outcome o : tell) {
            o.done(ok, text);
        }
    }
}
