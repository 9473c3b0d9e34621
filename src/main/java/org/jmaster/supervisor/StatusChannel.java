package org.jmaster.supervisor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Sockets;

/**
 * One generation of a service's status channel (Postfix's {@code status_fd[2]}): a socketpair whose
 * child end every child of that generation gets as fd 5. Closing both ends is how a reload or a
 * stress restart tells the children to leave: they read EOF and exit when idle. Frames are
 * {@code struct { int pid; unsigned gen; int avail; }} in native byte order, read one per readiness.
 */
final class StatusChannel {
    static final int FRAME = 12;
    static final int STAT_TAKEN = 0;
    static final int STAT_AVAIL = 1;

    /** A decoded frame, or how many bytes came when fewer than a frame did. */
    record Frame(int length, int pid, long gen, int avail) {}

    final int masterFd;
    final int childFd;
    private final byte[] buf = new byte[FRAME];
    private final ByteBuffer view = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
    private boolean closed;

    private StatusChannel(int masterFd, int childFd) {
        this.masterFd = masterFd;
        this.childFd = childFd;
    }

    static StatusChannel open() {
        int[] pair = Sockets.socketpair();
        // the master's end must never block the loop; the child's end stays blocking, as Postfix's children expect
        Fds.setNonBlocking(pair[0], true);
        return new StatusChannel(pair[0], pair[1]);
    }

    /**
     * Reads at most one frame. Returns null when nothing is waiting, a frame with {@code length} 0 on
     * end of file, and a frame with {@code length} below 12 for a partial update.
     */
    Frame read() {
        int n = Fds.readNonBlocking(masterFd, buf, 0, FRAME);
        if (n < 0) {
            return null;
        }
        if (n < FRAME) {
            return new Frame(n, n >= 4 ? view.getInt(0) : 0, 0, -1);
        }
        return new Frame(n, view.getInt(0), Integer.toUnsignedLong(view.getInt(4)), view.getInt(8));
    }

    boolean isClosed() {
        return closed;
    }

    void close() {
        if (!closed) {
            closed = true;
            Fds.closeQuietly(masterFd);
            Fds.closeQuietly(childFd);
        }
    }
}
