package org.jmaster.supervisor;

import org.jmaster.nativ.ExitStatus;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Processes;
import org.jmaster.supervisor.policy.ChildEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects children whose pidfd became readable (Postfix's {@code master_reap_child}): logs an
 * abnormal end with Postfix's texts, tells the throttle rule what the end says about the command
 * ({@link ChildEnd}), and removes the child from the books.
 */
final class Reaper {
    private static final Logger log = LoggerFactory.getLogger("master");
    private final Supervisor master;

    Reaper(Supervisor master) {
        this.master = master;
    }

    void reap(Child c) {
        ExitStatus st;
        try {
            st = Processes.waitidPidfd(c.pidfd, true);
        } catch (RuntimeException e) {
            log.warn("waitid pid {}: {}", c.pid, e.getMessage());
            return;
        }
        if (st.kind() == ExitStatus.Kind.NONE) {
            return;
        }
        Service s = c.service;
        if (st.kind() == ExitStatus.Kind.STOPPED) {
            String path = s.entry.execPath(master.settings.daemonDirectory()).toString();
            log.warn("process {} pid {} stopped by signal {}", path, c.pid, st.code());
            return;
        }
        // frames the child sent just before it died still count (its last AVAIL, for instance)
        if (!c.channel.isClosed()) {
            master.statusEvents.drain(s, c.channel);
        }
        boolean normal = st.kind() == ExitStatus.Kind.EXITED && st.code() == 0;
        count(s, st, normal);
        boolean told = master.shuttingDown || s.removed;
        if (!normal) {
            logAbnormal(s, c, st, told);
        }
        boolean quick = master.loop.nanoTime() - c.startNanos < ChildProtocol.QUICK_EXIT_NANOS;
        boolean proven = c.proven || s.protocol.provenAtExit(normal, quick);
        ChildEnd end = ChildEnd.of(c.retiring() || told, proven, normal, quick, c.everTaken);
        emitExit(s, c, st, normal, c.retiring() || told, end);
        if (proven && !c.proven) {
            s.prove(c);
            master.throttler.proven(s);
            master.throttler.completed(s);
        }
        forget(c);
        if (end == ChildEnd.QUIET_EXIT) {
            log.warn("process {} pid {} exited without taking a request", execPath(s), c.pid);
            s.error("pid " + c.pid + " exited without taking a request");
        }
        if (end != ChildEnd.FINE) {
            master.throttler.failedStart(s, execPath(s), end == ChildEnd.QUIET_EXIT ? "exited without taking a request"
                    : st.kind() == ExitStatus.Kind.EXITED ? "exit status " + st.code() : "killed by signal " + st.code());
        }
        master.availability.listen(s);
        master.childGone(s);
    }

    /** The exit in the event stream: exit.normal, exit.status or exit.signal, with what it means for the throttle. */
    private void emitExit(Service s, Child c, ExitStatus st, boolean normal, boolean retiring, ChildEnd end) {
        Events.Code code = normal ? Events.Code.EXIT_NORMAL
                : st.kind() == ExitStatus.Kind.EXITED ? Events.Code.EXIT_STATUS : Events.Code.EXIT_SIGNAL;
        master.events.emit(code, s, c.pid,
                st.kind() == ExitStatus.Kind.EXITED ? "status" : "signal", st.code(),
                "uses", c.useCount, "retiring", retiring,
                "end", end.name().toLowerCase(java.util.Locale.ROOT),
                "age_ms", (master.loop.nanoTime() - c.startNanos) / 1_000_000L);
    }

    /** The command's path, for the lines about an end that is not fine (not made for every reap). */
    private String execPath(Service s) {
        return s.entry.execPath(master.settings.daemonDirectory()).toString();
    }

    private static void count(Service s, ExitStatus st, boolean normal) {
        if (normal) {
            s.exitsNormal++;
        } else if (st.kind() == ExitStatus.Kind.EXITED) {
            s.exitsStatus++;
        } else {
            s.exitsSignal++;
        }
    }

    private void logAbnormal(Service s, Child c, ExitStatus st, boolean told) {
        if (told) {
            // we told it to go; how a daemon leaves on SIGTERM (cleanup exits 15) is no news
            if (log.isDebugEnabled()) {
                log.debug("process {} pid {} {} after SIGTERM", execPath(s), c.pid, st);
            }
            return;
        }
        String path = execPath(s);
        if (st.kind() == ExitStatus.Kind.EXITED) {
            log.warn("process {} pid {} exit status {}", path, c.pid, st.code());
            s.error("pid " + c.pid + " exit status " + st.code());
        } else {
            log.warn("process {} pid {} killed by signal {}", path, c.pid, st.code());
            s.error("pid " + c.pid + " killed by signal " + st.code());
        }
    }

    /** Master_delete_child: forget {@code c}; the caller lets the policy decide again. */
    private void forget(Child c) {
        master.loop.unwatch(c.pidfd);
        Fds.closeQuietly(c.pidfd);
        if (c.proofTimer != null) {
            c.proofTimer.cancel();
        }
        master.children.remove(c.pid);
        master.admission.release(c.sourceKey);
        c.service.forget(c);
    }
}
