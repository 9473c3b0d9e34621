package org.jmaster.nativ;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.annotations.IgnoreError;

/**
 * Files and directories made or opened by a root process in directories that someone else may
 * write (the rules of DESIGN.md, "Root-safe by construction"). Nothing here chmods or chowns by
 * path, or opens a file there for reading or writing before it has been examined: a directory is
 * made in its parent held open ({@code mkdirat}, {@code openat(O_NOFOLLOW)}); a new entry's owner
 * and mode are set on its descriptor ({@code fchown}, {@code fchmod}) after {@code fstat} showed
 * that the descriptor is the directory or file this process just made; an existing file is
 * examined on an {@code O_PATH|O_NOFOLLOW} descriptor and only that inode is then opened
 * (Postfix's {@code safe_open}: not a symbolic link, a regular file, one link, the expected
 * owner).
 *
 * <p>The one trusted part of every path is its directory, which is opened by name and may pass
 * through symbolic links: it comes from the configuration, as in Postfix.
 *
 * <p>The {@code *at} calls are bound through their own small jnr-ffi interface, loaded on first
 * use (only when a directory must be made: {@link #openRegular} and the checks need none).
 */
public final class SafeFiles {
    /** Linux's values; the same on x86_64 and aarch64. */
    static final int O_PATH = 010000000;
    static final int CLONE_FS = 0x200;

    /** An existing file that must not be used: a symbolic link, a hard link, a wrong owner, ... */
    public static final class UnsafeFileException extends IOException {
        private static final long serialVersionUID = 1L;

        UnsafeFileException(String why) {
            super(why);
        }
    }

    /** The {@code *at} calls and the per-thread identity calls, bound on first use. */
    public interface Lib {
        int openat(int dirFd, long path, int flags, int mode);

        int mkdirat(int dirFd, long path, int mode);

        int mkfifoat(int dirFd, long path, int mode);

        int unlinkat(int dirFd, long path, int flags);

        /** glibc's wrapper is a plain system call: it changes only the calling thread. */
        @IgnoreError
        int setfsuid(int uid);

        @IgnoreError
        int setfsgid(int gid);

        int unshare(int flags);
    }

    /** Class initialisation is the lock: the interface is generated once, when first needed. */
    static final class Bound {
        static final Lib L;

        static {
            L = Native.load(Lib.class);
        }

        private Bound() {}
    }

    private SafeFiles() {}

    // =====================================================================================
    // directories

    /**
     * Opens the directory {@code path} (a configured path: symbolic links on the way are
     * followed) for use with the calls below; close-on-exec.
     */
    public static int openDirectory(String path) throws NativeException {
        return Fds.open(path, Fds.O_RDONLY | Fds.O_DIRECTORY, 0);
    }

    /** Opens the directory {@code name} in {@code dirFd}; a symbolic link there is refused (ELOOP or ENOTDIR). */
    public static int openDirectoryAt(int dirFd, String name, String shown) throws NativeException {
        return openat(dirFd, name, Fds.O_RDONLY | Fds.O_DIRECTORY | Fds.O_NOFOLLOW, 0, shown);
    }

    /**
     * Makes the directory {@code name} in {@code dirFd} and returns it open: {@code mkdirat} with
     * mode 0700, {@code openat(O_NOFOLLOW)}, {@code fstat} (a directory owned by this process's
     * user, i.e. the one just made, else UnsafeFileException), then {@code fchown} to
     * {@code uid}/{@code gid} (when either is not -1) and {@code fchmod} to {@code mode}. Until then
     * only this user can enter it, so it never has a wider mode than {@code mode}. Throws
     * NativeException with EEXIST when the name is taken.
     */
    public static int makeDirectoryAt(int dirFd, String name, int mode, int uid, int gid, String shown)
            throws IOException {
        at("mkdir", shown, withName(name, n -> Bound.L.mkdirat(dirFd, n, 0700)));
        int fd = openDirectoryAt(dirFd, name, shown);
        try {
            Inodes.Stat st = Inodes.fstat(fd);
            if (!st.isDirectory() || st.uid() != Users.geteuid()) {
                throw new UnsafeFileException("mkdir " + shown + ": replaced by another directory while being made");
            }
            if (uid != -1 || gid != -1) {
                Inodes.fchown(fd, uid, gid);
            }
            Inodes.fchmod(fd, mode);
            return fd;
        } catch (IOException | RuntimeException e) {
            Fds.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * Makes the directory {@code path} and any missing parents, owned by this process's user,
     * with {@code mode} each; existing ones are left as they are.
     */
    public static void makeDirectories(Path path, int mode) throws IOException {
        if (Files.isDirectory(path)) {
            return;
        }
        Path parent = parentOf(path);
        makeDirectories(parent, mode);
        int dir = openDirectory(parent.toString());
        try {
            Fds.closeQuietly(makeDirectoryAt(dir, path.getFileName().toString(), mode, -1, -1, path.toString()));
        } catch (NativeException e) {
            if (e.errno() != Errno.EEXIST || !Files.isDirectory(path)) {
                throw e;
            }
        } finally {
            Fds.closeQuietly(dir);
        }
    }

    /**
     * The directory that holds {@code path}: its parent, or {@code .} for a single relative name.
     * Paths are never made absolute here: a relative one means the process's working directory,
     * which need not be Java's {@code user.dir} (a service chdirs to its queue directory).
     */
    public static Path parentOf(Path path) {
        if (path.getFileName() == null) {
            throw new IllegalArgumentException("no file name in " + path);
        }
        return path.getParent() != null ? path.getParent() : Path.of(".");
    }

    // =====================================================================================
    // regular files

    /**
     * Postfix's {@code safe_open}: opens the regular file {@code path} (close-on-exec, {@code flags}
     * being O_RDONLY, O_WRONLY or O_RDWR plus O_APPEND), creating it with {@code mode} when it does
     * not exist ({@code O_CREAT|O_EXCL}, which never follows a link, then {@code fchown} to
     * {@code uid}/{@code gid} when either is not -1). An existing file is examined before it is
     * opened for reading or writing: through an {@code O_PATH|O_NOFOLLOW} descriptor, which
     * {@code fstat} describes and which is then reopened (through {@code /proc/self/fd}), so the
     * checks and the open concern the same inode and opening has no side effect on anything else.
     * It must not be a symbolic link, must be a regular file with exactly one link, and must
     * belong to {@code owner} (unless -1); else UnsafeFileException says why in Postfix's words
     * ("file has 2 hard links"). Only the last name of {@code path} is treated this way; the
     * directories on the way are configuration, as in Postfix.
     */
    public static int openRegular(String path, int flags, int mode, int uid, int gid, int owner) throws IOException {
        int access = flags & ~(Fds.O_CREAT | Fds.O_EXCL);
        for (int attempt = 0; ; attempt++) {
            int probe;
            try {
                probe = Fds.open(path, O_PATH | Fds.O_NOFOLLOW, 0);
            } catch (NativeException e) {
                if (e.errno() != Errno.ENOENT || attempt > 0) {
                    throw e;
                }
                int fd;
                try {
                    fd = Fds.open(path, access | Fds.O_CREAT | Fds.O_EXCL | Fds.O_NOFOLLOW | Fds.O_NOCTTY, mode);
                } catch (NativeException c) {
                    if (c.errno() == Errno.EEXIST) {
                        continue; // made by someone else meanwhile: examine it as an existing file
                    }
                    throw c;
                }
                try {
                    if (uid != -1 || gid != -1) {
                        Inodes.fchown(fd, uid, gid);
                    }
                    return fd;
                } catch (NativeException c) {
                    Fds.closeQuietly(fd);
                    throw c;
                }
            }
            try {
                check(Inodes.fstat(probe), owner);
                // the O_PATH descriptor pins the inode that was examined; open that one
                return Fds.open("/proc/self/fd/" + probe, access | Fds.O_NOCTTY, 0);
            } finally {
                Fds.closeQuietly(probe);
            }
        }
    }

    /** Postfix's {@code safe_open} rules for an existing file, on its {@code fstat}. */
    static void check(Inodes.Stat st, int owner) throws UnsafeFileException {
        if (st.type() == S_IFLNK) {
            throw new UnsafeFileException("file is a symbolic link");
        }
        if (st.isDirectory()) {
            throw new UnsafeFileException("file is a directory");
        }
        if (!st.isRegular()) {
            throw new UnsafeFileException("file is not a regular file");
        }
        if (st.nlink() != 1) {
            throw new UnsafeFileException("file has " + st.nlink() + " hard links");
        }
        if (owner != -1 && st.uid() != owner) {
            throw new UnsafeFileException("file is owned by uid " + st.uid() + ", not by uid " + owner);
        }
    }

    static final int S_IFLNK = 0120000;

    // =====================================================================================
    // helpers for the package

    static int openat(int dirFd, String name, int flags, int mode, String shown) throws NativeException {
        for (;;) {
            int fd = withName(name, n -> Bound.L.openat(dirFd, n, flags | Fds.O_CLOEXEC, mode));
            if (fd >= 0) {
                return fd;
            }
            int err = Native.errno();
            if (err != Errno.EINTR) {
                throw new NativeException("open", shown, err);
            }
        }
    }

    private static void at(String call, String shown, int rc) throws NativeException {
        if (rc != 0) {
            throw new NativeException(call, shown, Native.errno());
        }
    }

    /**
     * Calls {@code call} with {@code name} as a C string in this thread's scratch memory, released
     * afterwards; returns the call's result (errno is still the call's when it returns).
     */
    static int withName(String name, java.util.function.LongToIntFunction call) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            return call.applyAsInt(s.cstr(name));
        } finally {
            s.release(mark);
        }
    }
}
