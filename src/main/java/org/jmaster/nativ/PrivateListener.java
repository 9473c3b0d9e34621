package org.jmaster.nativ;

import static org.jmaster.nativ.Native.MEM;

import java.util.concurrent.ThreadLocalRandom;
import jnr.ffi.Runtime;

/**
 * Unix stream listeners for privileged endpoints (the control socket, a unix metrics endpoint) and
 * the credentials of whoever connects to them.
 *
 * <p>{@link #listen} never lets the socket file exist with a wider mode or another owner than its
 * final ones: it binds inside a fresh directory of its own (mode 0700, made next to the final name,
 * reached only through its descriptor), gives the socket its mode and group there, and then renames it
 * into place, which also replaces a stale socket atomically. Nothing is chmodded, chowned or unlinked
 * by a path that another user could redirect. {@link #peerGroups} reads the supplementary groups the
 * peer had when it connected ({@code SO_PEERGROUPS}). Has its own small binding, loaded on first use.
 */
public final class PrivateListener {
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int AT_REMOVEDIR = 0x200;
    private static final int SO_PEERGROUPS = 59;
    private static final int ENOPROTOOPT = 92;

    private PrivateListener() {}

    /** The calls this file makes; public only because jnr-ffi implements it in its own class loader. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);
        static final Runtime RUNTIME = Runtime.getRuntime(C);

        public interface Calls {
            int open(long path, int flags, int mode);

            int openat(int dirFd, long path, int flags, int mode);

            int mkdirat(int dirFd, long path, int mode);

            int fchmodat(int dirFd, long path, int mode, int flags);

            int fchownat(int dirFd, long path, int uid, int gid, int flags);

            int renameat(int oldDirFd, long oldPath, int newDirFd, long newPath);

            int unlinkat(int dirFd, long path, int flags);

            int fstat(int fd, long statBuf);

            int socket(int domain, int type, int protocol);

            int bind(int fd, long addr, int len);

            int listen(int fd, int backlog);

            int getsockopt(int fd, int level, int name, long value, long lenInOut);

            int close(int fd);
        }

        static int errno() {
            return RUNTIME.getLastError();
        }
    }

    /**
     * A non-blocking, close-on-exec unix stream listener at {@code path} whose file has
     * {@code mode} and group {@code gid} (-1: the master's) from the moment the name exists. The
     * directory that holds {@code path} must exist; an existing socket there is replaced.
     */
    public static int listen(String path, int backlog, int mode, int gid) throws NativeException {
        int slash = path.lastIndexOf('/');
        String parent = slash < 0 ? "." : slash == 0 ? "/" : path.substring(0, slash);
        String name = path.substring(slash + 1);
        if (name.isEmpty() || name.equals(".") || name.equals("..")) {
            throw new NativeException("bind", path, Errno.EINVAL);
        }
        Lib.Calls c = Lib.C;
        Scratch s = Scratch.get();
        int mark = s.mark();
        int parentFd = -1;
        int dirFd = -1;
        int fd = -1;
        String tmp = null;
        boolean bound = false;
        try {
            parentFd = c.open(s.cstr(parent), Fds.O_RDONLY | Fds.O_DIRECTORY | Fds.O_CLOEXEC, 0);
            if (parentFd < 0) {
                throw fail("open", parent);
            }
            for (int attempt = 0; tmp == null; attempt++) {
                // the name need not be secret: mkdir fails on anything that exists, and the result is checked
                String candidate = "." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
                if (c.mkdirat(parentFd, s.cstr(candidate), 0700) == 0) {
                    tmp = candidate;
                } else if (Lib.errno() != Errno.EEXIST || attempt > 100) {
                    throw fail("mkdir", parent + "/" + candidate);
                }
            }
            String tmpPath = parent + "/" + tmp;
            dirFd = c.openat(parentFd, s.cstr(tmp), Fds.O_RDONLY | Fds.O_DIRECTORY | Fds.O_NOFOLLOW
                    | Fds.O_CLOEXEC, 0);
            if (dirFd < 0) {
                throw fail("open", tmpPath);
            }
            requirePrivate(dirFd, tmpPath);
            fd = c.socket(Sockets.AF_UNIX, Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK | Abi.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw fail("socket", path);
            }
            // bind through the descriptor of our own directory, so the path cannot be redirected;
            // without /proc, by its path (a swapped directory then shows as ENOENT below, never more)
            try {
                bindUnix(fd, "/proc/self/fd/" + dirFd + "/" + name, path);
            } catch (NativeException e) {
                if (e.errno() != Errno.ENOENT || new java.io.File("/proc/self/fd").isDirectory()) {
                    throw e;
                }
                bindUnix(fd, tmpPath + "/" + name, path);
            }
            bound = true;
            if (gid >= 0 && c.fchownat(dirFd, s.cstr(name), -1, gid, AT_SYMLINK_NOFOLLOW) != 0) {
                throw fail("chown", path);
            }
            if (c.fchmodat(dirFd, s.cstr(name), mode, 0) != 0) {
                throw fail("chmod", path);
            }
            if (c.listen(fd, backlog) != 0) {
                throw fail("listen", path);
            }
            if (c.renameat(dirFd, s.cstr(name), parentFd, s.cstr(name)) != 0) {
                throw fail("rename", tmpPath + "/" + name + " to " + path);
            }
            bound = false;
            int result = fd;
            fd = -1;
            return result;
        } finally {
            if (fd >= 0) {
                c.close(fd);
            }
            if (bound) {
                c.unlinkat(dirFd, s.cstr(name), 0);
            }
            if (tmp != null) {
                c.unlinkat(parentFd, s.cstr(tmp), AT_REMOVEDIR);
            }
            if (dirFd >= 0) {
                c.close(dirFd);
            }
            if (parentFd >= 0) {
                c.close(parentFd);
            }
            s.release(mark);
        }
    }

    /** Our directory, just made: ours, a directory, no access for anyone else (else someone swapped it). */
    private static void requirePrivate(int dirFd, String where) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long st = s.calloc(Abi.STAT_RESERVE);
            if (Lib.C.fstat(dirFd, st) != 0) {
                throw fail("fstat", where);
            }
            int mode = MEM.getInt(st + Abi.STAT_MODE);
            int uid = MEM.getInt(st + Abi.STAT_UID);
            if ((mode & Abi.S_IFMT) != Inodes.S_IFDIR || uid != Users.geteuid() || (mode & 077) != 0) {
                throw new NativeException("mkdir", where + " (not a private directory of ours)", Errno.EEXIST);
            }
        } finally {
            s.release(mark);
        }
    }

    private static void bindUnix(int fd, String bindPath, String path) throws NativeException {
        byte[] p = Scratch.utf8(bindPath);
        if (p.length >= Abi.SUN_PATH_MAX) {
            throw new NativeException("bind", path, Errno.ENAMETOOLONG);
        }
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long sa = s.calloc(Abi.SOCKADDR_RESERVE);
            MEM.putShort(sa, (short) Abi.AF_UNIX);
            MEM.putByteArray(sa + Abi.SUN_PATH, p, 0, p.length);
            if (Lib.C.bind(fd, sa, Abi.SUN_PATH + p.length + 1) != 0) {
                throw fail("bind", path);
            }
        } finally {
            s.release(mark);
        }
    }

    /**
     * The supplementary groups the process at the other end of unix socket {@code fd} had when it
     * connected ({@code SO_PEERGROUPS}, Linux 4.13); null when the kernel cannot tell.
     */
    public static int[] peerGroups(int fd) throws NativeException {
        Scratch s = Scratch.get();
        for (int count = 64; ; ) {
            int mark = s.mark();
            try {
                long buf = s.calloc(4L * count);
                long lenp = s.alloc(4);
                MEM.putInt(lenp, 4 * count);
                if (Lib.C.getsockopt(fd, Abi.SOL_SOCKET, SO_PEERGROUPS, buf, lenp) != 0) {
                    int err = Lib.errno();
                    if (err == ENOPROTOOPT) {
                        return null;
                    }
                    int needed = MEM.getInt(lenp) / 4;
                    if (err == Errno.ERANGE && needed > count && needed <= 65536) {
                        count = needed;
                        continue;
                    }
                    throw new NativeException("getsockopt SO_PEERGROUPS", Integer.toString(fd), err);
                }
                int n = MEM.getInt(lenp) / 4;
                int[] out = new int[n];
                for (int i = 0; i < n; i++) {
                    out[i] = MEM.getInt(buf + 4L * i);
                }
                return out;
            } finally {
                s.release(mark);
            }
        }
    }

    private static NativeException fail(String call, String subject) {
        return new NativeException(call, subject, Lib.errno());
    }
}
