package org.jmaster.nativ;

import static org.jmaster.nativ.Native.MEM;

/**
 * What a file is and who owns it: {@code fstat}, {@code lstat}, and the owner and mode set on a
 * descriptor ({@code fchown}, {@code fchmod}: never by path, see {@link SafeFiles}). Has its own
 * small binding, loaded on first use.
 *
 * <h2>Promises</h2>
 * {@link #lstat} describes a symbolic link, never follows it. Nothing here opens or creates a
 * descriptor.
 *
 * <h2>Errors</h2>
 * Every failure (a missing path, EPERM for a chown) throws the checked {@link NativeException}
 * with the call, its subject and errno.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe in the sense of the underlying system calls; per-call native memory
 * is per thread.
 */
public final class Inodes {
    // ---- file types (st_mode & S_IFMT) ----
    public static final int S_IFMT = Abi.S_IFMT;
    public static final int S_IFIFO = Abi.S_IFIFO;
    public static final int S_IFSOCK = Abi.S_IFSOCK;
    public static final int S_IFREG = 0100000;
    public static final int S_IFDIR = 0040000;

    /** What {@code fstat}/{@code lstat} says about a file (the fields the master looks at). */
    public record Stat(long dev, long ino, int mode, long nlink, int uid, int gid, long size) {
        public int type() {
            return mode & Abi.S_IFMT;
        }

        public int permissions() {
            return mode & 07777;
        }

        public boolean isFifo() {
            return type() == Abi.S_IFIFO;
        }

        public boolean isSocket() {
            return type() == Abi.S_IFSOCK;
        }

        public boolean isRegular() {
            return type() == S_IFREG;
        }

        public boolean isDirectory() {
            return type() == S_IFDIR;
        }
    }

    private Inodes() {}

    /** The calls this file makes, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            int fstat(int fd, long statBuf);

            int lstat(long path, long statBuf);

            int fchmod(int fd, int mode);

            int fchown(int fd, int uid, int gid);
        }
    }

    public static Stat fstat(int fd) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long st = s.calloc(Abi.STAT_RESERVE);
            if (Lib.C.fstat(fd, st) != 0) {
                throw new NativeException("fstat", Integer.toString(fd), Native.errno());
            }
            return stat(st);
        } finally {
            s.release(mark);
        }
    }

    /** {@code lstat}: a symbolic link is described, not followed. */
    public static Stat lstat(String path) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long st = s.calloc(Abi.STAT_RESERVE);
            if (Lib.C.lstat(s.cstr(path), st) != 0) {
                throw new NativeException("lstat", path, Native.errno());
            }
            return stat(st);
        } finally {
            s.release(mark);
        }
    }

    /** Decodes a {@code struct stat} read by the kernel at {@code st}. */
    static Stat stat(long st) {
        long nlink = Abi.STAT_NLINK_IS_64 ? MEM.getLong(st + Abi.STAT_NLINK)
                : Integer.toUnsignedLong(MEM.getInt(st + Abi.STAT_NLINK));
        return new Stat(MEM.getLong(st + Abi.STAT_DEV), MEM.getLong(st + Abi.STAT_INO),
                MEM.getInt(st + Abi.STAT_MODE), nlink, MEM.getInt(st + Abi.STAT_UID),
                MEM.getInt(st + Abi.STAT_GID), MEM.getLong(st + Abi.STAT_SIZE));
    }

    public static void fchmod(int fd, int mode) throws NativeException {
        if (Lib.C.fchmod(fd, mode) != 0) {
            throw new NativeException("fchmod", Integer.toString(fd), Native.errno());
        }
    }

    public static void fchown(int fd, int uid, int gid) throws NativeException {
        if (Lib.C.fchown(fd, uid, gid) != 0) {
            throw new NativeException("fchown", Integer.toString(fd), Native.errno());
        }
    }
}
