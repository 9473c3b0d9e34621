package org.jmaster.nativ;

import jnr.ffi.Runtime;

/**
 * The end of a connection the master refuses: after its one-line reply, the write side is shut
 * ({@code shutdown(SHUT_WR)}: the client reads the reply and then end of file), and what the client
 * still sends is read and dropped, so that the final close finds no unread input. A close with unread
 * input makes the kernel send a reset, and a reset makes the client's kernel throw away the reply it
 * has not read yet. Has its own small binding, loaded on first use.
 */
public final class HalfClose {
    private static final int SHUT_WR = 1;
    /** Bytes per read(2) of {@link #discard}; fits the per-thread scratch block. */
    static final int DISCARD_CHUNK = 8 * 1024;

    /** What {@link #discard} returns when the connection has ended. */
    public static final long END = -1;

    private HalfClose() {}

    /** The calls this file makes; public only because jnr-ffi implements it in its own class loader. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);
        static final Runtime RUNTIME = Runtime.getRuntime(C);

        public interface Calls {
            int shutdown(int fd, int how);

            long read(int fd, long buf, long count);
        }

        static int errno() {
            return RUNTIME.getLastError();
        }
    }

    /**
     * {@code shutdown(fd, SHUT_WR)}: what was written is sent, then end of file. False when the
     * connection is already gone (ENOTCONN, a reset); never throws.
     */
    public static boolean shutdownWrite(int fd) {
        return Lib.C.shutdown(fd, SHUT_WR) == 0;
    }

    /**
     * Reads and drops what a non-blocking socket holds, up to about {@code maxBytes} (at least one
     * read). Returns the number of bytes dropped while the connection stays open (0: nothing was
     * waiting), or {@link #END} when it has ended: end of file, or an error such as ECONNRESET.
     * Never blocks on a non-blocking descriptor; never throws.
     */
    public static long discard(int fd, long maxBytes) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long buf = s.alloc(DISCARD_CHUNK);
            long total = 0;
            do {
                long n = Lib.C.read(fd, buf, DISCARD_CHUNK);
                if (n > 0) {
                    total += n;
                } else if (n == 0) {
                    return END;
                } else {
                    int err = Lib.errno();
                    if (err == Errno.EAGAIN) {
                        return total;
                    }
                    if (err != Errno.EINTR) {
                        return END;
                    }
                }
            } while (total < maxBytes);
            return total;
        } finally {
            s.release(mark);
        }
    }
}
