package org.jmaster.nativ;

import static org.jmaster.nativ.Errno.EAGAIN;
import static org.jmaster.nativ.Errno.EINTR;
import static org.jmaster.nativ.Native.MEM;

/**
 * Descriptors passed over unix sockets ({@code SCM_RIGHTS}): the master hands a listener or a
 * connection to a child, a service receives it. Has its own small binding, loaded on first use.
 *
 * <h2>Promises</h2>
 * <ul>
 *   <li>A received descriptor is close-on-exec ({@code MSG_CMSG_CLOEXEC}); any descriptor beyond
 *       the first of a message is closed, never leaked.</li>
 *   <li>Sending never raises SIGPIPE ({@code MSG_NOSIGNAL}); the sender keeps its descriptor.</li>
 *   <li>EINTR is retried; EAGAIN is a value (-1), not an exception.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * Every other failure (EPIPE, ECONNRESET, EBADF) throws the checked {@link NativeException}.
 *
 * <h2>Threads</h2>
 * Thread-safe in the sense of the underlying system calls; per-call native memory is per thread.
 */
public final class FdPassing {
    /** The result of {@link #recvFd}: bytes received (-1: EAGAIN, 0: end of file) and the descriptor, or -1. */
    public record ReceivedFd(int bytes, int fd) {}

    private FdPassing() {}

    /** The calls this file makes, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            long sendmsg(int fd, long msg, int flags);

            long recvmsg(int fd, long msg, int flags);

            int close(int fd);
        }
    }

    /**
     * Sends {@code fdToPass} over the unix socket {@code sock} with SCM_RIGHTS, along with
     * {@code data} (one NUL byte when empty: a stream needs at least one byte to carry the
     * descriptor). Returns the bytes sent, or -1 when a non-blocking socket is full (EAGAIN).
     * The caller still owns {@code fdToPass} and closes it.
     */
    public static int sendFd(int sock, int fdToPass, byte[] data) throws NativeException {
        byte[] payload = data.length == 0 ? new byte[1] : data;
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long buf = s.alloc(payload.length);
            MEM.putByteArray(buf, payload, 0, payload.length);
            long iov = s.calloc(Abi.IOVEC_SIZE);
            MEM.putAddress(iov + Abi.IOV_BASE, buf);
            MEM.putLong(iov + Abi.IOV_LEN, payload.length);
            long ctl = s.calloc(Abi.CMSG_SPACE_ONE_FD);
            MEM.putLong(ctl + Abi.CMSG_LEN_FIELD, Abi.CMSG_LEN_ONE_FD);
            MEM.putInt(ctl + Abi.CMSG_LEVEL, Abi.SOL_SOCKET);
            MEM.putInt(ctl + Abi.CMSG_TYPE, Abi.SCM_RIGHTS);
            MEM.putInt(ctl + Abi.CMSG_DATA, fdToPass);
            long msg = s.calloc(Abi.MSGHDR_SIZE);
            MEM.putAddress(msg + Abi.MSG_IOV, iov);
            MEM.putLong(msg + Abi.MSG_IOVLEN, 1);
            MEM.putAddress(msg + Abi.MSG_CONTROL, ctl);
            MEM.putLong(msg + Abi.MSG_CONTROLLEN, Abi.CMSG_SPACE_ONE_FD);
            for (;;) {
                long n = Lib.C.sendmsg(sock, msg, Abi.MSG_NOSIGNAL);
                if (n >= 0) {
                    return (int) n;
                }
                int err = Native.errno();
                if (err == EAGAIN) {
                    return -1;
                }
                if (err != EINTR) {
                    throw new NativeException("sendmsg", Integer.toString(sock), err);
                }
            }
        } finally {
            s.release(mark);
        }
    }

    /**
     * Receives data and at most one descriptor (close-on-exec, MSG_CMSG_CLOEXEC) from a unix
     * socket into {@code buf}. Bytes -1 means EAGAIN, 0 end of file; fd -1 means none came.
     */
    public static ReceivedFd recvFd(int sock, byte[] buf) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            int cap = Math.max(1, Math.min(buf.length, Scratch.BLOCK / 2));
            long data = s.alloc(cap);
            long iov = s.calloc(Abi.IOVEC_SIZE);
            MEM.putAddress(iov + Abi.IOV_BASE, data);
            MEM.putLong(iov + Abi.IOV_LEN, cap);
            int ctlSize = 64; // room for one SCM_RIGHTS header plus a few fds (extra ones are closed by the kernel)
            long ctl = s.calloc(ctlSize);
            long msg = s.calloc(Abi.MSGHDR_SIZE);
            MEM.putAddress(msg + Abi.MSG_IOV, iov);
            MEM.putLong(msg + Abi.MSG_IOVLEN, 1);
            MEM.putAddress(msg + Abi.MSG_CONTROL, ctl);
            MEM.putLong(msg + Abi.MSG_CONTROLLEN, ctlSize);
            long n;
            for (;;) {
                n = Lib.C.recvmsg(sock, msg, Abi.MSG_CMSG_CLOEXEC);
                if (n >= 0) {
                    break;
                }
                int err = Native.errno();
                if (err == EAGAIN) {
                    return new ReceivedFd(-1, -1);
                }
                if (err != EINTR) {
                    throw new NativeException("recvmsg", Integer.toString(sock), err);
                }
            }
            MEM.getByteArray(data, buf, 0, (int) Math.min(n, buf.length));
            int fd = -1;
            long ctlLen = MEM.getLong(msg + Abi.MSG_CONTROLLEN);
            // walk the control messages; keep the first passed fd, close any others
            long off = 0;
            while (off + Abi.CMSG_DATA <= ctlLen) {
                long c = ctl + off;
                long len = MEM.getLong(c + Abi.CMSG_LEN_FIELD);
                if (len < Abi.CMSG_DATA) {
                    break;
                }
                if (MEM.getInt(c + Abi.CMSG_LEVEL) == Abi.SOL_SOCKET && MEM.getInt(c + Abi.CMSG_TYPE) == Abi.SCM_RIGHTS) {
                    for (long p = Abi.CMSG_DATA; p + 4 <= len; p += 4) {
                        int got = MEM.getInt(c + p);
                        if (fd < 0) {
                            fd = got;
                        } else {
                            Lib.C.close(got);
                        }
                    }
                }
                off += (len + 7) & ~7L;
            }
            return new ReceivedFd((int) n, fd);
        } finally {
            s.release(mark);
        }
    }
}
