package org.jmaster.server;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Inodes;
import org.jmaster.nativ.NativeException;

/**
 * The child end of the status channel, descriptor 5 (protocol doc §3.2, §3.3, §3.8): writes the
 * 12-byte {@code {pid, generation, status}} frames in native byte order, and tells when the master
 * has closed its end (it exited, or a reload retired this generation). A process without a master
 * ({@code -S}) has a disabled channel that reports nothing and never closes.
 */
final class MasterStatus {
    static final int FD = 5;
    static final int TAKEN = 0;
    static final int AVAIL = 1;

    /** -1: disabled. */
    private final int fd;
    private final byte[] frame = new byte[12];
    private final ByteBuffer view = ByteBuffer.wrap(frame).order(ByteOrder.nativeOrder());
    private final byte[] drain = new byte[64];
    private boolean gone;

    private MasterStatus(int fd, int pid, long generation) {
        this.fd = fd;
        view.putInt(0, pid);
        view.putInt(4, (int) generation);
    }

    /** The channel on descriptor 5; a {@link ServerFatal} when it is not open. */
    static MasterStatus open(int pid, long generation) {
        try {
            Inodes.Stat st = Inodes.fstat(FD);
            if (!st.isSocket() && !st.isFifo()) {
                throw new ServerFatal("descriptor " + FD + " is not a status channel (not a socket or pipe)");
            }
        } catch (NativeException e) {
            throw new ServerFatal("descriptor " + FD + " (the status channel) is not open: start this program from"
                    + " master.cf, or run it with -S to serve standard input");
        }
        return over(FD, pid, generation);
    }

    /** The channel on descriptor {@code fd}, unchecked (a test's socketpair). */
    static MasterStatus over(int fd, int pid, long generation) {
        return new MasterStatus(fd, pid, generation);
    }

    static MasterStatus disabled() {
        return new MasterStatus(-1, 0, 0);
    }

    /** The descriptor to watch for the master's end-of-file; -1 when disabled. */
    int fd() {
        return fd;
    }

    /** Busy: sent right after taking a request. Failures are ignored, as Postfix does. */
    void taken() {
        send(TAKEN);
    }

    /** Idle again: false when the master is gone (EPIPE), and the process should leave. */
    boolean avail() {
        return send(AVAIL);
    }

    private boolean send(int status) {
        if (fd < 0) {
            return true;
        }
        if (gone) {
            return false;
        }
        view.putInt(8, status);
        try {
            if (Fds.write(fd, frame, 0, frame.length) == frame.length) {
                return true;
            }
        } catch (NativeException e) {
            // EPIPE: the master closed its end
        }
        gone = true;
        return false;
    }

    /**
     * Called when descriptor 5 is readable: true when that is the master's end-of-file (or an
     * error), false for stray bytes, which mean nothing and are dropped.
     */
    boolean closedByMaster() {
        if (fd < 0) {
            return false;
        }
        try {
            int n = Fds.read(fd, drain, 0, drain.length);
            if (n == 0) {
                gone = true;
            }
        } catch (NativeException e) {
            gone = true;
        }
        return gone;
    }
}
