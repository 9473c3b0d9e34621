package org.jmaster.supervisor;

import org.jmaster.nativ.ExitStatus;
import org.jmaster.nativ.Posix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects children whose pidfd became readable (Postfix's {@code master_reap_child}): logs an
 * abnormal end with Postfix's texts, throttles a service whose child died before completing any
 * request, and removes the child from the books. jmaster also throttles a child that exits 0 within
 * {@link #QUICK_EXIT_NANOS} of its start without ever taking a request from the current channel, so
 * such a program cannot cause a hot respawn loop.
 */
final class Reaper {
    private static final Logger log = LoggerFactory.getLogger("master");
    static final long QUICK_EXIT_NANOS = 1_000_000_000L;
    private final Supervisor master;

    Reaper(Supervisor master) {
        this.master = master;
    }

    void reap(Child c) {
        ExitStatus st;
        try {
            st = Posix.waitidPidfd(c.pidfd, true);
        } catch (RuntimeException e) {
            log.warn("waitid pid {}: {}", c.pid, e.getMessage());
            return;
        }
        if (st.kind() == ExitStatus.Kind.NONE) {
            return;
        }
        Service s = c.service;
        String path = s.entry.execPath(master.settings.daemonDirectory()).toString();
        if (st.kind() == ExitStatus.Kind.STOPPED) {
            log.warn("process {} pid {} stopped by signal {}", path, c.pid, st.code());
            return;
        }
        // frames the child sent just before it died still count (its last AVAIL, for instance)
        if (!c.channel.isClosed()) {
            master.statusEvents.drain(s, c.channel);
        }
        boolean normal = st.kind() == ExitStatus.Kind.EXITED && st.code() == 0;
        if (normal) {
            s.exitsNormal++;
        } else if (st.kind() == ExitStatus.Kind.EXITED) {
            s.exitsStatus++;
        } else {
            s.exitsSignal++;
        }
        if (!normal) {
            if (master.shuttingDown || s.removed) {
                // we told it to go; how a daemon leaves on SIGTERM (cleanup exits 15) is no news
                log.debug("process {} pid {} {} after SIGTERM", path, c.pid, st);
            } else if (st.kind() == ExitStatus.Kind.EXITED) {
                log.warn("process {} pid {} exit status {}", path, c.pid, st.code());
                s.error("pid " + c.pid + " exit status " + st.code());
            } else {
                log.warn("process {} pid {} killed by signal {}", path, c.pid, st.code());
                s.error("pid " + c.pid + " killed by signal " + st.code());
            }
        }
        boolean currentChannel = c.channel == s.channel && !s.removed && !master.shuttingDown;
        boolean quick = System.nanoTime() - c.startNanos < QUICK_EXIT_NANOS;
        if (s.acceptMode() || s.systemdProtocol()) {
            // a connection's child served it when it ended normally, or lived past a start-up failure
            if (normal || !quick) {
                c.useCount = 1;
                master.throttler.probeSucceeded(s);
            }
        }
        if (currentChannel && !s.throttled && c.useCount == 0) {
            if (!normal) {
                master.throttler.throttle(s, path);
            } else if (!c.everTaken && quick) {
                log.warn("process {} pid {} exited without taking a request", path, c.pid);
                s.error("pid " + c.pid + " exited without taking a request");
                master.throttler.throttle(s, path);
            }
        }
        delete(c);
    }

    /** Master_delete_child: forget {@code c} and let the policy decide again. */
    private void delete(Child c) {
        Service s = c.service;
        master.loop.unwatch(c.pidfd);
        Posix.closeQuietly(c.pidfd);
        master.children.remove(c.pid);
        master.admission.release(c.source);
        s.children.remove(c.pid);
        s.totalProc--;
        if (c.avail) {
            master.availability.less(s, c);
        } else {
            master.availability.listen(s);
        }
        master.childGone(s);
    }
}
