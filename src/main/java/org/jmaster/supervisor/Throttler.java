package org.jmaster.supervisor;

import org.jmaster.supervisor.policy.Throttle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the throttle rule (decided by the pure {@link Throttle}) to a service (Postfix's
 * {@code master_throttle}): the only writer of a service's throttle state and timer. It logs with
 * Postfix's words plus the delay, arms the timer, and lets the availability rule decide again.
 * While throttled the listeners are not watched (or, with {@code throttle_reply}, answered by the
 * master) and wakeups are skipped; afterwards the service probes one new start at a time until a
 * child proves itself.
 */
final class Throttler {
    private static final Logger log = LoggerFactory.getLogger("master");
    private final Supervisor master;

    Throttler(Supervisor master) {
        this.master = master;
    }

    private Throttle.Backoff backoff() {
        MasterSettings st = master.settings;
        return new Throttle.Backoff(st.throttleSeconds() * 1000, st.throttleMaxSeconds() * 1000);
    }

    /**
     * A child of {@code s} ended before it proved the command ({@code path}) starts; {@code why} is
     * how it ended ({@code exit status 1}), for the event stream and a canary reload.
     */
    void failedStart(Service s, String path, String why) {
        boolean probing = s.throttle.probing();
        Throttle.Decision d = s.throttle.failedStart(backoff(), master.loop.currentTimeMillis());
        if (apply(s, d)) {
            log.warn("{}: bad command startup -- throttling for {}s", path, d.delayMillis() / 1000);
            master.events.emit(probing ? Events.Code.THROTTLE_PROBE : Events.Code.THROTTLE_STARTUP, s, 0,
                    "delay_s", d.delayMillis() / 1000, "level", s.throttle.level(), "reason", why);
        } else if (!s.throttle.throttled()) {
            log.info("service {}: start-up failure {} of {} in a row tolerated (the command has served before)",
                    s.label(), s.throttle.streak(), Throttle.TOLERATED);
            master.events.emit(Events.Code.START_TOLERATED, s, 0, "streak", s.throttle.streak(),
                    "tolerated", Throttle.TOLERATED, "reason", why);
        }
        master.canary.failedStart(s, "bad command startup: " + why);
    }

    /**
     * A spawn for {@code s} failed in the master itself (exec failed, no descriptor left for a pipe
     * or a pidfd, no memory): as Postfix's failed fork, logged, and the service throttled, so the
     * listener cannot cause a spawn loop.
     */
    void spawnFailed(Service s, String why, Throwable detail) {
        String path = s.entry.execPath(master.settings.daemonDirectory()).toString();
        if (detail != null) {
            log.debug("master_spawn: {}", path, detail);
        }
        s.error("spawn " + path + ": " + why);
        master.events.emit(Events.Code.SPAWN_FAILED, s, 0, "reason", why);
        if (s.removed || master.shuttingDown) {
            log.warn("master_spawn: {}: {}", path, why);
            return;
        }
        Throttle.Decision d = s.throttle.spawnFailed(backoff(), master.loop.currentTimeMillis());
        if (apply(s, d)) {
            log.warn("master_spawn: {}: {} -- throttling for {}s", path, why, d.delayMillis() / 1000);
            master.events.emit(Events.Code.THROTTLE_SPAWN, s, 0, "delay_s", d.delayMillis() / 1000,
                    "level", s.throttle.level(), "reason", why);
        } else {
            log.warn("master_spawn: {}: {}", path, why);
        }
        master.canary.failedStart(s, "spawn failed: " + why);
    }

    /**
     * A child of {@code s} could not be started at all (exec failed, no usable {@code mail_owner}):
     * the caller logged why; as Postfix's child that dies in execvp, a bad command startup, but
     * throttled at once (trying again cannot help until the delay is over).
     */
    void cannotStart(Service s, String path, String error) {
        s.error(error);
        master.events.emit(Events.Code.SPAWN_FAILED, s, 0, "reason", error);
        if (s.removed || master.shuttingDown) {
            return;
        }
        Throttle.Decision d = s.throttle.spawnFailed(backoff(), master.loop.currentTimeMillis());
        if (apply(s, d)) {
            log.warn("{}: bad command startup -- throttling for {}s", path, d.delayMillis() / 1000);
            master.events.emit(Events.Code.THROTTLE_SPAWN, s, 0, "delay_s", d.delayMillis() / 1000,
                    "level", s.throttle.level(), "reason", error);
        }
        master.canary.failedStart(s, error);
    }

    /** A new child of {@code s} proved the command starts. */
    void proven(Service s) {
        set(s, s.throttle.proven());
    }

    /** A child of {@code s} completed a request: the backoff starts from its base again. */
    void completed(Service s) {
        set(s, s.throttle.completed());
    }

    /** The service's command changed at reload: a fresh start for the new one. */
    void commandChanged(Service s) {
        cancelTimer(s);
        if (s.throttle.phase() != Throttle.Phase.OPEN) {
            master.events.emit(Events.Code.THROTTLE_CLEARED, s, 0, "reason", "command changed");
        }
        set(s, s.throttle.commandChanged());
    }

    /** The service is stopped: no timer may outlive it. */
    void stopped(Service s) {
        if (s.throttle.phase() != Throttle.Phase.OPEN && !master.shuttingDown) {
            master.events.emit(Events.Code.THROTTLE_CLEARED, s, 0, "reason", "service removed");
        }
        cancelTimer(s);
    }

    private void delayOver(Service s) {
        s.throttleTimer = null;
        set(s, s.throttle.delayOver());
        if (s.throttle.probing()) {
            log.info("service {}: throttle over, probing one start at a time", s.label());
            master.events.emit(Events.Code.THROTTLE_OVER, s, 0);
        }
    }

    /** Adopts the decision; true when the service has just become throttled. */
    private boolean apply(Service s, Throttle.Decision d) {
        if (!d.throttles()) {
            set(s, d.next());
            return false;
        }
        s.throttles++;
        cancelTimer(s);
        s.throttle = d.next();
        s.throttleTimer = master.loop.schedule(d.delayMillis(), () -> delayOver(s));
        master.availability.listen(s);
        return true;
    }

    private void set(Service s, Throttle next) {
        Throttle before = s.throttle;
        if (next.equals(before)) {
            return;
        }
        s.throttle = next;
        if (before.probing() && next.phase() == Throttle.Phase.OPEN) {
            log.info("service {}: probe succeeded, back to {} process(es)", s.label(),
                    s.maxProc() == 0 ? "unlimited" : Integer.toString(s.maxProc()));
            master.events.emit(Events.Code.PROBE_SUCCEEDED, s, 0, "maxproc", s.maxProc());
        }
        if (before.phase() != next.phase()) {
            master.availability.listen(s);
        }
    }

    private static void cancelTimer(Service s) {
        if (s.throttleTimer != null) {
            s.throttleTimer.cancel();
            s.throttleTimer = null;
        }
    }
}
