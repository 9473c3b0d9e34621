package org.jmaster.supervisor;

import org.jmaster.net.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The availability policy (Postfix's {@code master_avail}): the one place that decides whether a
 * service's listeners are watched. A service is watched only while it has no idle child, is under
 * its process limit and is not throttled. Every state change (spawn, status frame, reap, throttle,
 * reload) ends by calling {@link #listen}. A readable listener causes exactly one spawn; the new
 * child counts as available, so the listener goes quiet until that child reports busy.
 */
final class Availability {
    private static final Logger log = LoggerFactory.getLogger("master");
    private static final long BUSY_WARN_INTERVAL_MS = 1000_000L;
    private final Supervisor master;

    Availability(Supervisor master) {
        this.master = master;
    }

    /**
     * Decides, and applies, whether the listeners of {@code s} are watched. Beyond Postfix: a throttled
     * service with a {@code throttle_reply} is watched so the master can answer; an accept-mode service
     * is watched while it has a free slot, or at its limit when it has a {@code refuse_reply}.
     */
    void listen(Service s) {
        boolean want;
        if (s.removed) {
            want = false;
        } else if (s.throttled) {
            want = s.throttleReply().isPresent();
        } else if (s.acceptMode()) {
            want = s.limitOk(s.totalProc) || s.refuseReply().isPresent();
        } else if (s.systemdProtocol()) {
            // one instance owns the sockets; spawn again only once it is gone
            want = s.totalProc == 0;
        } else if (s.availProc > 0) {
            want = false;
        } else if (s.limitOk(s.totalProc)) {
            want = true;
        } else {
            want = false;
            long now = System.currentTimeMillis();
            if (s.stressEligible() && s.busyWarnTime < now - BUSY_WARN_INTERVAL_MS) {
                s.busyWarnTime = now;
                log.warn("service \"{}\" ({}) has reached its process limit \"{}\": new clients may experience"
                        + " noticeable delays", s.entry.extName(), s.entry.name(), s.maxProc());
                log.warn("to avoid this condition, increase the process count in master.cf or reduce the service"
                        + " time per client");
                log.warn("see https://www.postfix.org/STRESS_README.html for examples of stress-adapting"
                        + " configuration settings");
            }
        }
        master.prefork.request(s);
        if (want == s.listening) {
            return;
        }
        s.listening = want;
        for (Listener l : s.listeners) {
            if (want) {
                master.loop.watchRead(l.fd(), (fd, rev) -> onListenerReady(s, fd));
            } else {
                master.loop.unwatch(l.fd());
            }
        }
    }

    /**
     * A listener became readable while watched: for a Postfix-protocol service one spawn, with the
     * stress decision of §4.3 first; connections the master takes itself go to the acceptor.
     */
    private void onListenerReady(Service s, int fd) {
        if (!s.listening) {
            return;
        }
        if (s.throttled || s.acceptMode()) {
            master.acceptor.ready(s, fd);
            return;
        }
        if (s.systemdProtocol()) {
            spawnContained(s, () -> master.spawner.spawnSystemd(s));
            return;
        }
        if (s.stressEligible() && !s.limitOk(s.totalProc + 1)) {
            long now = System.currentTimeMillis();
            if (s.stressExpireTime < now) {
                master.restartChannel(s);
            }
            s.stressExpireTime = now + BUSY_WARN_INTERVAL_MS;
        }
        spawnContained(s, () -> master.spawner.spawn(s));
    }

    /** Prefork: one more idle child; false when none was started (a failed spawn throttles). */
    boolean spawnIdle(Service s) {
        boolean[] started = new boolean[1];
        spawnContained(s, () -> started[0] = master.spawner.spawnIdle(s));
        return started[0];
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
            master.throttler.spawnFailed(s, t);
            return false;
        }
    }

    /** A child became idle (spawned, or reported AVAIL). */
    void more(Service s, Child c) {
        if (!c.avail) {
            c.avail = true;
            s.availProc++;
        }
        listen(s);
    }

    /** A child became busy (reported TAKEN) or went away while idle. */
    void less(Service s, Child c) {
        if (c.avail) {
            c.avail = false;
            s.availProc--;
        }
        listen(s);
    }
}
