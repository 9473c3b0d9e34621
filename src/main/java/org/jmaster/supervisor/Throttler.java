package org.jmaster.supervisor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops spawning for a service whose children fail at start-up (Postfix's {@code master_throttle}),
 * with an exponential backoff instead of Postfix's fixed delay. While throttled the listeners are
 * not watched and wakeups are skipped; when the timer fires the policy decides again.
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
        MasterSettings st = master.settings;
        long delay = s.throttle.nextDelaySeconds(st.throttleSeconds(), st.throttleMaxSeconds(),
                st.throttleResetSeconds(), System.nanoTime());
        s.throttles++;
        log.warn("{}: bad command startup -- throttling for {}s", path, delay);
        s.throttled = true;
        s.throttle.retryAtMillis = System.currentTimeMillis() + delay * 1000;
        s.throttle.timer = master.loop.schedule(delay * 1000, () -> unthrottle(s));
        master.availability.listen(s);
    }

    void unthrottle(Service s) {
        if (!s.throttled) {
            return;
        }
        if (s.throttle.timer != null) {
            s.throttle.timer.cancel();
        }
        s.throttled = false;
        s.throttle.unthrottled(System.nanoTime());
        log.debug("service {}: throttle lifted", s.label());
        master.availability.listen(s);
    }
}
