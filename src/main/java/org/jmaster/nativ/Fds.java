package org.jmaster.nativ;

import static org.jmaster.nativ.Errno.EAGAIN;
import static org.jmaster.nativ.Errno.EINTR;
import static org.jmaster.nativ.Errno.EWOULDBLOCK;
import static org.jmaster.nativ.Native.MEM;

import java.util.Objects;

/**
 * Descriptors and locks: pipes, open, read, write, close, duplicates, descriptor flags and
 * {@code flock}, as small static calls on raw {@code int} descriptors. Has its own small binding,
 * loaded on first use: {@code master -t} binds nothing else.
 *
 * <h2>Promises</h2>
 * <ul>
 *   <li>Every descriptor created here is close-on-exec ({@code O_CLOEXEC}, {@code F_DUPFD_CLOEXEC});
 *       {@link #redirectToDevNull} is the one call that leaves a descriptor (0–2) open across exec,
 *       on purpose.</li>
 *   <li>EINTR is retried inside every call.</li>
 *   <li>Non-blocking results are values, not exceptions: {@link #read}, {@link #readNonBlocking} and
 *       {@link #write} return -1 for EAGAIN; {@link #flock} returns false for EWOULDBLOCK.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * A failure that the caller must expect (a missing path, a broken pipe) throws the checked
 * {@link NativeException} with the call, its subject and errno. A failure that only a bug or
 * exhaustion explains (EBADF, EINVAL, EMFILE from pipe2/dup) throws {@link UncheckedNativeException};
 * such methods are marked "unchecked" below. {@code *Quietly} methods never throw.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe in the sense of the underlying system calls; per-call native memory
 * is per thread.
 */
public final class Fds {
    // ---- open(2); O_CLOEXEC is always added by open(), never needed by callers ----
    public static final int O_RDONLY = Abi.O_RDONLY;
    public static final int O_WRONLY = Abi.O_WRONLY;
    public static final int O_RDWR = Abi.O_RDWR;
    public static final int O_CREAT = Abi.O_CREAT;
    public static final int O_EXCL = Abi.O_EXCL;
    public static final int O_NOCTTY = Abi.O_NOCTTY;
    public static final int O_TRUNC = Abi.O_TRUNC;
    public static final int O_APPEND = Abi.O_APPEND;
    public static final int O_NONBLOCK = Abi.O_NONBLOCK;
    public static final int O_CLOEXEC = Abi.O_CLOEXEC;
    /** Architecture-dependent value: not a compile-time constant. */
    public static final int O_NOFOLLOW = Abi.O_NOFOLLOW;
    /** Architecture-dependent value: not a compile-time constant. */
    public static final int O_DIRECTORY = Abi.O_DIRECTORY;

    // ---- flock(2) ----
    public static final int LOCK_SH = 1;
    public static final int LOCK_EX = 2;
    public static final int LOCK_NB = 4;
    public static final int LOCK_UN = 8;

    private Fds() {}

    /** The calls this file makes, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            int open(long path, int flags, int mode);

            int close(int fd);

            long read(int fd, long buf, long count);

            long write(int fd, long buf, long count);

            long pwrite(int fd, long buf, long count, long offset);

            int fcntl(int fd, int cmd, int arg);

            int dup3(int oldFd, int newFd, int flags);

            int pipe2(long fds, int flags);

            int flock(int fd, int operation);
        }
    }

    private static NativeException fail(String call, String subject) {
        return new NativeException(call, subject, Native.errno());
    }

    private static UncheckedNativeException bug(String call, String subject) {
        return new UncheckedNativeException(call, subject, Native.errno());
    }

    // =====================================================================================
    // making and closing

    /** A pipe, both ends close-on-exec, optionally non-blocking: {read, write}. Unchecked (EMFILE, ENFILE). */
    public static int[] pipe(boolean nonBlocking) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long fds = s.alloc(8);
            if (Lib.C.pipe2(fds, Abi.O_CLOEXEC | (nonBlocking ? Abi.O_NONBLOCK : 0)) != 0) {
                throw bug("pipe2", "");
            }
            return new int[] {MEM.getInt(fds), MEM.getInt(fds + 4)};
        } finally {
            s.release(mark);
        }
    }

    /** {@code open(path, flags | O_CLOEXEC, mode)}. */
    public static int open(String path, int flags, int mode) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long p = s.cstr(path);
            for (;;) {
                int fd = Lib.C.open(p, flags | Abi.O_CLOEXEC, mode);
                if (fd >= 0) {
                    return fd;
                }
                int err = Native.errno();
                if (err != EINTR) {
                    throw new NativeException("open", path, err);
                }
            }
        } finally {
            s.release(mark);
        }
    }

    /** Closes {@code fd} if it is not negative, ignoring every error. */
    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            Lib.C.close(fd);
        }
    }

    /** A close-on-exec duplicate at the lowest free number. Unchecked (EBADF, EMFILE). */
    public static int dup(int fd) {
        return dupAbove(fd, 0);
    }

    /** A close-on-exec duplicate at the lowest free number not below {@code minFd}. Unchecked. */
    public static int dupAbove(int fd, int minFd) {
        int n = Lib.C.fcntl(fd, Abi.F_DUPFD_CLOEXEC, minFd);
        if (n < 0) {
            throw bug("fcntl F_DUPFD_CLOEXEC", Integer.toString(fd));
        }
        return n;
    }

    /** Points {@code fd} at {@code /dev/null} (read-write), e.g. to let go of a terminal on fd 0–2. Unchecked. */
    public static void redirectToDevNull(int fd) {
        int nul;
        try {
            nul = open("/dev/null", O_RDWR, 0);
        } catch (NativeException e) {
            throw new UncheckedNativeException(e);
        }
        try {
            if (nul != fd && Lib.C.dup3(nul, fd, 0) < 0) {
                throw bug("dup3", Integer.toString(fd));
            }
        } finally {
            if (nul != fd) {
                Lib.C.close(nul);
            }
        }
        if (nul == fd) {
            setCloexec(fd, false);
        }
    }

    // =====================================================================================
    // flags

    /** The file status flags ({@code F_GETFL}): access mode, O_NONBLOCK, O_APPEND. Unchecked. */
    static int fileStatusFlags(int fd) {
        int fl = Lib.C.fcntl(fd, Abi.F_GETFL, 0);
        if (fl < 0) {
            throw bug("fcntl F_GETFL", Integer.toString(fd));
        }
        return fl;
    }

    /**
     * Sets or clears O_NONBLOCK. This is a flag of the open file, shared by every duplicate, also
     * in children: the master must not flip it on a listener it shares. Unchecked.
     */
    public static void setNonBlocking(int fd, boolean on) {
        int fl = fileStatusFlags(fd);
        int want = on ? fl | Abi.O_NONBLOCK : fl & ~Abi.O_NONBLOCK;
        if (want != fl && Lib.C.fcntl(fd, Abi.F_SETFL, want) < 0) {
            throw bug("fcntl F_SETFL", Integer.toString(fd));
        }
    }

    /** The descriptor flags ({@code F_GETFD}); -1 with errno set when {@code fd} is not open. */
    static int descriptorFlags(int fd) {
        return Lib.C.fcntl(fd, Abi.F_GETFD, 0);
    }

    /** Sets or clears FD_CLOEXEC on this descriptor only. Unchecked. */
    static void setCloexec(int fd, boolean on) {
        int fl = descriptorFlags(fd);
        if (fl < 0) {
            throw bug("fcntl F_GETFD", Integer.toString(fd));
        }
        int want = on ? fl | Abi.FD_CLOEXEC : fl & ~Abi.FD_CLOEXEC;
        if (want != fl && Lib.C.fcntl(fd, Abi.F_SETFD, want) < 0) {
            throw bug("fcntl F_SETFD", Integer.toString(fd));
        }
    }

    // =====================================================================================
    // reading and writing

    /**
     * Reads at most {@code len} bytes (at most {@link Scratch#BLOCK} per call). Returns the count,
     * 0 at end of file, or -1 when a non-blocking descriptor has nothing (EAGAIN).
     */
    public static int read(int fd, byte[] buf, int off, int len) throws NativeException {
        int n = read0(fd, buf, off, len);
        if (n == Integer.MIN_VALUE) {
            throw fail("read", "");
        }
        return n;
    }

    /** {@link #read} for the event loop: the same results, errors thrown unchecked. */
    public static int readNonBlocking(int fd, byte[] buf, int off, int len) {
        int n = read0(fd, buf, off, len);
        if (n == Integer.MIN_VALUE) {
            throw bug("read", "");
        }
        return n;
    }

    /** Returns the count, -1 for EAGAIN, or MIN_VALUE with errno saved for any other error. */
    private static int read0(int fd, byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (len == 0) {
            return 0;
        }
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            int n = Math.min(len, Scratch.BLOCK);
            long a = s.alloc(n);
            for (;;) {
                long r = Lib.C.read(fd, a, n);
                if (r >= 0) {
                    MEM.getByteArray(a, buf, off, (int) r);
                    return (int) r;
                }
                int err = Native.errno();
                if (err == EAGAIN) {
                    return -1;
                }
                if (err != EINTR) {
                    return Integer.MIN_VALUE;
                }
            }
        } finally {
            s.release(mark);
        }
    }

    /**
     * Writes at most {@code len} bytes (at most {@link Scratch#BLOCK} per call; may be partial).
     * Returns the count, or -1 when a non-blocking descriptor is full (EAGAIN). EPIPE is thrown
     * (SIGPIPE is ignored or handled by the JVM, never fatal).
     */
    public static int write(int fd, byte[] buf, int off, int len) throws NativeException {
        int n = write0(fd, buf, off, len, -1L);
        if (n == Integer.MIN_VALUE) {
            throw fail("write", "");
        }
        return n;
    }

    /** {@code pwrite} of all of {@code data} at {@code offset} (no O_APPEND, no truncation); returns the count. */
    public static int pwrite(int fd, byte[] data, long offset) throws NativeException {
        int n = write0(fd, data, 0, data.length, offset);
        if (n == Integer.MIN_VALUE) {
            throw fail("pwrite", "");
        }
        return n;
    }

    /** Writes {@code data} once, ignoring every failure (for signal handlers and best-effort notices). */
    public static boolean writeQuietly(int fd, byte[] data) {
        try {
            return write0(fd, data, 0, data.length, -1L) == data.length;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static int write0(int fd, byte[] buf, int off, int len, long offset) {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (len == 0) {
            return 0;
        }
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            int n = offset >= 0 ? len : Math.min(len, Scratch.BLOCK);
            long a = s.alloc(n);
            MEM.putByteArray(a, buf, off, n);
            for (;;) {
                long r = offset >= 0 ? Lib.C.pwrite(fd, a, n, offset) : Lib.C.write(fd, a, n);
                if (r >= 0) {
                    return (int) r;
                }
                int err = Native.errno();
                if (err == EAGAIN) {
                    return -1;
                }
                if (err != EINTR) {
                    return Integer.MIN_VALUE;
                }
            }
        } finally {
            s.release(mark);
        }
    }

    // =====================================================================================
    // locks

    /**
     * {@code flock(fd, op)} (a real flock(2) lock, the kind Postfix and flock(1) use, not an fcntl
     * record lock). Returns false when LOCK_NB was given and the lock is held elsewhere
     * (EWOULDBLOCK). Unchecked for other errors (EBADF, EINVAL, ENOLCK).
     */
    public static boolean flock(int fd, int op) {
        for (;;) {
            if (Lib.C.flock(fd, op) == 0) {
                return true;
            }
            int err = Native.errno();
            if (err == EWOULDBLOCK) {
                return false;
            }
            if (err != EINTR) {
                throw new UncheckedNativeException("flock", Integer.toString(fd), err);
            }
        }
    }
}
