package org.jmaster.supervisor;

import java.util.concurrent.atomic.AtomicLong;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.SignalFd;
import org.jmaster.nativ.Signals;
import sun.misc.Signal;

/**
 * Turns signals into events of the loop, as Postfix's self-pipe does: the JVM's signal thread only
 * sets a bit and writes one byte to a non-blocking pipe; the loop drains the pipe and handles what
 * arrived: USR1 (reopen the log) first, then HUP before CHLD before USR2 (upgrade) before TERM/INT.
 * The signal thread owns nothing else.
 *
 * <p>SIGCHLD comes once per child that exits, and the JDK runs each delivered signal on a new
 * thread. When SIGCHLD is blocked in every thread (the launcher starts the JVM so), it is read from
 * a {@link SignalFd} in the loop instead: no thread per exit. Otherwise it is handled like the rest.
 *
 * <p>USR2 is HotSpot's own suspend/resume signal on Linux unless {@code _JAVA_SR_SIGNUM} moves it
 * (the launcher moves it to {@value #SR_SIGNUM}); {@code sun.misc.Signal} would take USR2 anyway and
 * break the JVM's thread suspension, so the handler is installed only when it was moved.
 */
final class SignalRelay {
    /** What the loop does with the signals that arrived. */
    interface Listener {
        void reload();

        void terminate(int signal);

        void reopenLogs();

        void childExited();

        /** SIGUSR2: binary upgrade. */
        void upgrade();
    }

    /** Where the launcher moves HotSpot's suspend/resume signal: SIGRTMIN+6, which nothing sends by convention. */
    static final int SR_SIGNUM = 40;

    private final AtomicLong pending = new AtomicLong();
    private final int readFd;
    private final int writeFd;
    private final byte[] drain = new byte[64];

    SignalRelay(EventLoop loop, Listener listener, boolean reapOrphans) {
        int[] pipe = Fds.pipe(true);
        this.readFd = pipe[0];
        this.writeFd = pipe[1];
        install(Signals.SIGHUP);
        install(Signals.SIGTERM);
        install(Signals.SIGINT);
        install(Signals.SIGUSR1);
        if (reapOrphans) {
            if (SignalFd.blockedInEveryThread(Signals.SIGCHLD)) {
                loop.watchRead(SignalFd.open(Signals.SIGCHLD), (fd, rev) -> {
                    if (SignalFd.drain(fd)) {
                        listener.childExited();
                    }
                });
            } else {
                install(Signals.SIGCHLD);
            }
        }
        if (usr2IsFree()) {
            install(Signals.SIGUSR2);
        }
        loop.watchRead(readFd, (fd, rev) -> {
            while (Fds.readNonBlocking(fd, drain, 0, drain.length) > 0) {
                // just empty the pipe; the bits say what happened
            }
            long bits = pending.getAndSet(0);
            // a reopened log first, so that what the other signals cause is written to the new file
            if (has(bits, Signals.SIGUSR1)) {
                listener.reopenLogs();
            }
            if (has(bits, Signals.SIGHUP)) {
                listener.reload();
            }
            if (has(bits, Signals.SIGCHLD)) {
                listener.childExited();
            }
            if (has(bits, Signals.SIGUSR2)) {
                listener.upgrade();
            }
            for (int sig : new int[] {Signals.SIGTERM, Signals.SIGINT}) {
                if (has(bits, sig)) {
                    listener.terminate(sig);
                    return;
                }
            }
        });
    }

    private void install(int sig) {
        // a signal inherited as ignored (nohup, background job) would silently stay ignored
        Signals.resetToDefault(sig);
        Signal.handle(new Signal(Signals.name(sig)), s -> {
            pending.getAndUpdate(bits -> bits | (1L << s.getNumber()));
            Fds.writeQuietly(writeFd, new byte[] {0});
        });
    }

    /** Whether HotSpot's suspend/resume signal was moved away from SIGUSR2 ({@code _JAVA_SR_SIGNUM}). */
    static boolean usr2IsFree() {
        String sr = System.getenv("_JAVA_SR_SIGNUM");
        try {
            int n = sr == null ? Signals.SIGUSR2 : Integer.parseInt(sr.trim());
            // HotSpot accepts SIGSEGV < n < NSIG and otherwise keeps SIGUSR2
            return n != Signals.SIGUSR2 && n > Signals.SIGSEGV && n <= Signals.SIGRTMAX;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean has(long bits, int sig) {
        return (bits & (1L << sig)) != 0;
    }
}
