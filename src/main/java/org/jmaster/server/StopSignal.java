package org.jmaster.server;

import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.Signals;
import sun.misc.Signal;

/**
 * SIGTERM, the master's "stop now" (its shutdown, or the removal of the service): the JVM's
 * signal thread only sets a flag and writes a byte to a pipe that every wait of the serving thread
 * watches, so a client in the middle of a session can be told goodbye. Once that is done,
 * {@link #die()} ends the process by the signal itself, as if it had not been caught, so the
 * master sees what it expects (a child killed by SIGTERM).
 */
final class StopSignal {
    private final int readFd;
    private final int writeFd;
    private volatile boolean requested;

    StopSignal() {
        int[] pipe = Fds.pipe(true);
        readFd = pipe[0];
        writeFd = pipe[1];
    }

    /** Installs the handler (resetting an inherited SIG_IGN first, as the master does). */
    void install() {
        Signals.resetToDefault(Signals.SIGTERM);
        Signal.handle(new Signal("TERM"), s -> {
            requested = true;
            Fds.writeQuietly(writeFd, new byte[] {1});
        });
    }

    boolean requested() {
        return requested;
    }

    /** Readable once a stop was requested (it is never drained). */
    int fd() {
        return readFd;
    }

    /** Ends the process by SIGTERM with the default action. */
    void die() {
        Signals.setDefault(Signals.SIGTERM);
        Processes.kill(Processes.getpid(), Signals.SIGTERM);
        // the signal is delivered before kill(2) returns to a single-threaded caller; with other
        // threads around it may take a moment, and it cannot be blocked: wait for it
        for (;;) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Runtime.getRuntime().halt(128 + Signals.SIGTERM);
            }
        }
    }
}
