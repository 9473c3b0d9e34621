package org.jmaster.supervisor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Sockets;

/**
 * One generation of a service's status channel (Postfix's {@code status_fd[2]}): a socketpair whose
 * child end every child of that generation gets as fd 5. Closing both ends is how a reload or a
 * stress restart tells the children to leave: they read EOF and exit when idle. Frames are
 * {@code struct { int pid; unsigned gen; int avail; }} in native byte order.
 *
 * <p>One {@code read} takes everything that is waiting, up to {@link #BATCH} frames, into a buffer
 * the channel keeps; the stream is cut into 12-byte frames from there, as Postfix's master cuts it
 * with one 12-byte read per frame, and a shorter tail is a partial update. Decoding allocates
 * nothing.
 */
final class StatusChannel {
    static final int FRAME = 12;
    static final int STAT_TAKEN = 0;
    static final int STAT_AVAIL = 1;
    /** Frames taken by one read. */
    static final int BATCH = 64;

    final int masterFd;
    final int childFd;
    private final byte[] buf = new byte[FRAME * BATCH];
    private final ByteBuffer view = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
    private int length;
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
     * Reads what is waiting, at most {@link #BATCH} frames, with one {@code read}. Returns the number
     * of bytes (0 at end of file), or -1 when nothing was waiting. The bytes are then frames
     * 0 .. {@link #frames()} - 1, and a {@link #tail()} of fewer than 12 bytes.
     */
    int read() {
        int n = Fds.readNonBlocking(masterFd, buf, 0, buf.length);
        length = Math.max(n, 0);
        return n;
    }

    /** Whole frames in the last read. */
    int frames() {
        return length / FRAME;
    }

    /** Bytes after the last whole frame (a partial update), 0 to 11. */
    int tail() {
        return length % FRAME;
    }

    /** The pid field of frame {@code i}, or of the tail when it has at least 4 bytes (else 0). */
    int pid(int i) {
        int off = i * FRAME;
        return off + 4 <= length ? view.getInt(off) : 0;
    }

    long generation(int i) {
        return Integer.toUnsignedLong(view.getInt(i * FRAME + 4));
    }

    int avail(int i) {
        return view.getInt(i * FRAME + 8);
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
