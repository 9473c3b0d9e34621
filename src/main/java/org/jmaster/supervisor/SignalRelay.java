package org.jmaster.supervisor;

import java.util.concurrent.atomic.AtomicInteger;
import org.jmaster.nativ.Posix;
import org.jmaster.nativ.Signals;
import sun.misc.Signal;

/**
 * Turns HUP, TERM and INT into events of the loop, as Postfix's self-pipe does: the JVM's signal
 * thread only sets a bit and writes one byte to a non-blocking pipe; the loop drains the pipe and
 * handles what arrived, HUP before TERM/INT. The signal thread owns nothing else.
 */
final class SignalRelay {
    /** What the loop does with the signals that arrived. */
    interface Listener {
        void reload();

        void terminate(int signal);
    }

    private static final int[] HANDLED = {Signals.SIGHUP, Signals.SIGTERM, Signals.SIGINT};
    private final AtomicInteger pending = new AtomicInteger();
    private final int readFd;
    private final int writeFd;
    private final byte[] drain = new byte[64];

    SignalRelay(EventLoop loop, Listener listener) {
        int[] pipe = Posix.pipe2(true);
        this.readFd = pipe[0];
        this.writeFd = pipe[1];
        for (int sig : HANDLED) {
            // a signal inherited as ignored (nohup, background job) would silently stay ignored
            Posix.resetToDefault(sig);
            Signal.handle(new Signal(Signals.name(sig)), s -> {
                pending.getAndUpdate(bits -> bits | (1 << s.getNumber()));
                Posix.writeQuietly(writeFd, new byte[] {0});
            });
        }
        loop.watchRead(readFd, (fd, rev) -> {
            while (Posix.readNonBlocking(fd, drain, 0, drain.length) > 0) {
                // just empty the pipe; the bits say what happened
            }
            int bits = pending.getAndSet(0);
            if ((bits & (1 << Signals.SIGHUP)) != 0) {
                listener.reload();
            }
            for (int sig : new int[] {Signals.SIGTERM, Signals.SIGINT}) {
                if ((bits & (1 << sig)) != 0) {
                    listener.terminate(sig);
                    return;
                }
            }
        });
    }
}
