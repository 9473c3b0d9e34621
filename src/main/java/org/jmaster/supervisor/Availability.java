package org.jmaster.supervisor;

import org.jmaster.net.Listener;
import org.jmaster.supervisor.policy.Listening;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the availability rule (Postfix's {@code master_avail}, decided by the pure
 * {@link Listening}): the one place that watches or unwatches a service's listeners. Every state
 * change (spawn, status frame, reap, throttle, reload) ends by calling {@link #listen}. A readable
 * listener goes to the service's {@link ChildProtocol}: for Postfix's, exactly one spawn; the new
 * child counts as available, so the listener goes quiet until that child reports busy.
 */
final class Availability {
    private static final Logger log = LoggerFactory.getLogger("master");
    private static final long BUSY_WARN_INTERVAL_MS = 1000_000L;
    private final Supervisor master;

    Availability(Supervisor master) {
        this.master = master;
    }

    /** Decides, and applies, whether the listeners of {@code s} are watched. */
    void listen(Service s) {
        Listening.Decision d = Listening.decide(s.protocol.listenRule, s.listeningState(master.shuttingDown));
        if (d.atLimit() && s.stressEligible()) {
            warnAtLimit(s);
        }
        master.prefork.request(s);
        if (d.listen() == s.listening) {
            return;
        }
        s.listening = d.listen();
        for (Listener l : s.listeners) {
            if (s.listening) {
                master.loop.watchRead(l.fd(), (fd, rev) -> onListenerReady(s, fd));
            } else {
                master.loop.unwatch(l.fd());
            }
        }
    }

    /** Postfix's three lines, at most once per 1000 s per service. */
    private void warnAtLimit(Service s) {
        long now = master.loop.currentTimeMillis();
        if (s.busyWarnTime >= now - BUSY_WARN_INTERVAL_MS) {
            return;
        }
        s.busyWarnTime = now;
        log.warn("service \"{}\" ({}) has reached its process limit \"{}\": new clients may experience"
                + " noticeable delays", s.entry.extName(), s.entry.name(), s.maxProc());
        log.warn("to avoid this condition, increase the process count in master.cf or reduce the service"
                + " time per client");
        log.warn("see https://www.postfix.org/STRESS_README.html for examples of stress-adapting"
                + " configuration settings");
    }

    /**
     * A listener became readable while watched: a throttled service's waiting clients go to the
     * acceptor (to be answered), everything else to the service's protocol.
     */
    private void onListenerReady(Service s, int fd) {
        if (!s.listening) {
            return;
        }
        if (s.throttle.throttled()) {
            master.acceptor.ready(s, fd);
            return;
        }
        s.protocol.readable(master, s, fd);
    }

    /**
     * Postfix's stress decision (§4.3), before a spawn that takes the last slot of a stress-eligible
     * service: restart the status channel unless stress is already on, and keep stress on for 1000 s.
     */
    void stress(Service s) {
        if (s.stressEligible() && !Listening.limitOk(s.maxProc(), s.totalProc() + 1)) {
            long now = master.loop.currentTimeMillis();
            if (s.stressExpireTime < now) {
                master.restartChannel(s);
            }
            s.stressExpireTime = now + BUSY_WARN_INTERVAL_MS;
        }
    }

    /** Whether a child spawned now is told {@code stress=yes}. */
    boolean stressed(Service s) {
        return s.stressEligible() && s.stressExpireTime > master.loop.currentTimeMillis();
    }

    /**
     * A spawn is one containment boundary: whatever it throws (no descriptor left for a pipe or a
     * pidfd, out of memory) is a failed spawn, and a failed spawn throttles the service. Returns
     * false after a failure.
     */
    boolean spawnContained(Service s, Runnable spawn) {
        try {
            spawn.run();
            return true;
        } catch (Throwable t) {
            Failure.rethrowIfFatal(t);
            master.throttler.spawnFailed(s, Failure.describe(t), t);
            return false;
        }
    }
}
