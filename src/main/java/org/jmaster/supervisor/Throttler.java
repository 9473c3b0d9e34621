package org.jmaster.supervisor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops spawning for a service whose children fail at start-up (Postfix's {@code master_throttle}),
 * with an exponential backoff instead of Postfix's fixed delay. While throttled the listeners are
 * not watched (or, with {@code throttle_reply}, answered by the master) and wakeups are skipped.
 * When the timer fires the service is half-open: one probe child, and the full process limit only
 * once that child completes a request; if it fails, the next, longer throttle follows.
 */
final class Throttler {
    private static final Logger log = LoggerFactory.getLogger("master");
    private final Supervisor master;

    Throttler(Supervisor master) {
        this.master = master;
    }

    void throttle(Service s, String path) {
        if (s.throttled) {
            return;
        }
        long delay = begin(s);
        log.warn("{}: bad command startup -- throttling for {}s", path, delay);
    }

    /**
     * A spawn for {@code s} failed in the master itself (no descriptor left for a pipe or a pidfd, no
     * memory): a failed spawn, as Postfix's failed fork — logged, and the service throttled with the
     * same backoff as a child that fails at start-up, so the listener cannot cause a spawn loop.
     */
    void spawnFailed(Service s, Throwable t) {
        String path = s.entry.execPath(master.settings.daemonDirectory()).toString();
        String why = Failure.describe(t);
        log.debug("master_spawn: {}", path, t);
        s.error("spawn " + path + ": " + why);
        if (s.throttled || s.removed || master.shuttingDown) {
            log.warn("master_spawn: {}: {}", path, why);
            return;
        }
        long delay = begin(s);
        log.warn("master_spawn: {}: {} -- throttling for {}s", path, why, delay);
    }

    /** Throttles {@code s} (not yet throttled) and returns the delay in seconds. */
    private long begin(Service s) {
        MasterSettings st = master.settings;
        long delay = s.throttle.nextDelaySeconds(st.throttleSeconds(), st.throttleMaxSeconds(),
                st.throttleResetSeconds(), System.nanoTime());
        s.throttles++;
        s.throttled = true;
        s.probing = false;
        s.throttle.retryAtMillis = System.currentTimeMillis() + delay * 1000;
        s.throttle.timer = master.loop.schedule(delay * 1000, () -> unthrottle(s));
        master.availability.listen(s);
        return delay;
    }

    void unthrottle(Service s) {
        if (!s.throttled) {
            return;
        }
        if (s.throttle.timer != null) {
            s.throttle.timer.cancel();
        }
        s.throttled = false;
        // half-open: one probe child; the service is healthy again once it completes a request
        s.probing = true;
        s.throttle.unthrottled(System.nanoTime());
        log.debug("service {}: throttle over, probing with one process", s.label());
        master.availability.listen(s);
    }

    /** A child of {@code s} completed a request: a probe after a throttle ends the half-open state. */
    void probeSucceeded(Service s) {
        if (s.probing) {
            s.probing = false;
            log.info("service {}: probe succeeded, back to {} process(es)", s.label(),
                    s.maxProc() == 0 ? "unlimited" : Integer.toString(s.maxProc()));
            master.availability.listen(s);
        }
    }
}
