package org.jmaster.nativ;

import jnr.ffi.annotations.IgnoreError;

/**
 * errno values of Linux (the same on x86_64 and aarch64) and their texts. {@link #strerror} is the
 * only native call here, bound on first use: constants alone bind nothing.
 *
 * <h2>Promises</h2>
 * {@link #strerror} never fails and caches what it read; it is what every {@link NativeException}
 * message ends with.
 *
 * <h2>Errors</h2>
 * None.
 *
 * <h2>Threads</h2>
 * Thread-safe: the cache holds immutable strings (a race at worst reads one twice).
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENOEXEC = 8;
    public static final int EBADF = 9;
    public static final int ECHILD = 10;
    public static final int EAGAIN = 11;
    public static final int EWOULDBLOCK = EAGAIN;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EEXIST = 17;
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;
    public static final int EMFILE = 24;
    public static final int EPIPE = 32;
    public static final int ERANGE = 34;
    public static final int ENAMETOOLONG = 36;
    public static final int ELOOP = 40;
    public static final int EPROTOTYPE = 91;
    public static final int EAFNOSUPPORT = 97;
    public static final int EADDRINUSE = 98;
    public static final int EADDRNOTAVAIL = 99;
    public static final int ECONNABORTED = 103;
    public static final int ECONNRESET = 104;
    public static final int ENOTCONN = 107;
    public static final int ETIMEDOUT = 110;
    public static final int ECONNREFUSED = 111;
    public static final int EINPROGRESS = 115;

    private static final String[] TEXT = new String[256];

    private Errno() {}

    /** The call this file makes, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            @IgnoreError
            long strerror(int errnum);
        }
    }

    /** {@code strerror(errno)}, e.g. "No such file or directory"; cached. */
    public static String strerror(int errno) {
        if (errno >= 0 && errno < TEXT.length) {
            String s = TEXT[errno];
            if (s == null) {
                s = Scratch.string(Lib.C.strerror(errno));
                TEXT[errno] = s;
            }
            return s;
        }
        return Scratch.string(Lib.C.strerror(errno));
    }
}
