package org.jmaster.nativ;

import static org.jmaster.nativ.Native.MEM;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import jnr.ffi.annotations.IgnoreError;

/**
 * Local listening endpoints (unix stream and datagram sockets, fifos) made in a directory that
 * belongs to their owner ({@code mail_owner}'s {@code private/} and {@code public/}), born with
 * that owner and their final mode, as Postfix's {@code master_listen} makes them under
 * {@code set_eugid(mail_owner)}. There is no chmod or chown afterwards, so no path that the
 * directory's owner could swap for a symbolic link is ever given to a privileged call.
 *
 * <h2>How</h2>
 * The directory is opened by the calling thread, which then waits. Everything inside it is done
 * by a thread kept for the purpose (made on demand, ended after a second without work), which
 * first takes the owner's identity for file-system access ({@code setfsgid}, {@code setfsuid}),
 * so the kernel treats each of its file operations as the owner's, with root's file capabilities
 * dropped: it unlinks a stale entry ({@code unlinkat}; a symbolic link there is removed, never
 * followed), binds the socket at {@code /proc/self/fd/<dir>/<name>} (the held directory; no path
 * above it is looked up again, so the owner need not be able to reach it by name) or makes the
 * fifo ({@code mkfifoat}, {@code openat(O_NOFOLLOW)}, then {@code fstat}: a fifo of the owner's).
 * Sockets get mode 0666 and fifos 0622 from the umask (0111) under which they are made. Whatever
 * the directory's owner swaps in meanwhile, this thread can reach nothing the owner could not.
 *
 * <h2>Why a thread of its own, and what other threads see</h2>
 * The file-system identity is per thread in Linux (glibc's {@code setfsuid} is a plain system
 * call, not applied to every thread as {@code seteuid} is), so no other thread of the JVM runs as
 * the owner at any moment: not the event loop, not the JVM's signal-handler threads (which only
 * write a byte to the self-pipe), not the log sinks (which write to descriptors opened earlier),
 * not the JVM's own threads (compiler, GC, attach listener, which keep root's identity, so a
 * local user can neither attach to nor signal the master meanwhile). The umask is per process
 * unless the thread unshares its file-system attributes ({@code unshare(CLONE_FS)}), which it
 * does first; where a sandbox refuses that (a container's seccomp profile), the 0111 umask is
 * visible to other threads for the few system calls of one endpoint. None of those threads
 * creates files in normal operation (the master's own files are all made before the first
 * listener or by the loop thread itself, which is waiting here); a file the JVM makes in that
 * moment (a crash report) would be at most mode 0666 instead of 0600, never owned by anyone
 * else.
 */
public final class LocalEndpoints {
    /** What to make. */
    public enum Kind {
        /** A unix stream socket, listening (unix, pass). */
        STREAM,
        /** A bound unix datagram socket (unix-dgram). */
        DGRAM,
        /** A fifo opened for reading and writing (fifo). */
        FIFO
    }

    /**
     * The owner thread: at most one, made on demand and ended after a second without work, so
     * a start with many services pays for one thread, and an idle master has none.
     */
    private static final ThreadPoolExecutor OWNER = new ThreadPoolExecutor(0, 1, 1, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "jmaster-endpoint-as-owner");
                t.setDaemon(true);
                return t;
            });

    /** Sockets 0666, fifos 0622: the masks Postfix's listeners end up with. */
    static final int UMASK = 0111;
    static final int FIFO_MODE = 0622;

    private LocalEndpoints() {}

    /** The calls this file makes besides {@link SafeFiles}' {@code *at} calls, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            @IgnoreError
            int umask(int mask);

            int socket(int domain, int type, int protocol);

            int bind(int fd, long addr, int len);

            int listen(int fd, int backlog);

            int close(int fd);
        }
    }

    /**
     * Makes the endpoint {@code name} in the directory {@code dir} as {@code uid}/{@code gid}
     * (both -1: as this process) and returns its descriptor: non-blocking and close-on-exec; a
     * stream socket listening with {@code backlog}. An entry already there is removed first, as
     * the owner.
     */
    public static int create(String dir, String name, Kind kind, int backlog, int uid, int gid) throws NativeException {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("not a file name: " + name);
        }
        String shown = dir + "/" + name;
        int dirFd = SafeFiles.openDirectory(dir);
        try {
            Future<Integer> made = OWNER.submit(() -> createAsOwner(dirFd, name, kind, backlog, uid, gid, shown));
            boolean interrupted = false;
            try {
                for (;;) {
                    try {
                        return made.get();
                    } catch (InterruptedException e) {
                        interrupted = true; // the endpoint is being made: wait for it, keep the interrupt
                    } catch (ExecutionException e) {
                        throw rethrow(e.getCause());
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        } finally {
            Fds.closeQuietly(dirFd);
        }
    }

    /**
     * The owner thread's work. Its identity is set afresh for every endpoint, so nothing depends
     * on what an earlier task left; the thread itself ends after a second without work.
     */
    private static int createAsOwner(int dirFd, String name, Kind kind, int backlog, int uid, int gid, String shown)
            throws NativeException {
        SafeFiles.Lib l = SafeFiles.Bound.L;
        boolean privateFs = l.unshare(SafeFiles.CLONE_FS) == 0; // a no-op once this thread has its own
        int oldMask = Lib.C.umask(UMASK);
        try {
            int fsgid = gid != -1 ? gid : Users.getegid();
            int fsuid = uid != -1 ? uid : Users.geteuid();
            l.setfsgid(fsgid);
            l.setfsuid(fsuid);
            // setfs*id report no errors; asking with -1 (no change) returns the current value
            if (l.setfsgid(-1) != fsgid || l.setfsuid(-1) != fsuid) {
                throw new NativeException("setfsuid", fsuid + ":" + fsgid, Errno.EPERM);
            }
            if (SafeFiles.withName(name, n -> l.unlinkat(dirFd, n, 0)) != 0) {
                int err = Native.errno();
                if (err != Errno.ENOENT) {
                    throw new NativeException("unlink", shown, err);
                }
            }
            return kind == Kind.FIFO ? fifo(dirFd, name, fsuid, shown) : socket(dirFd, name, kind, backlog, shown);
        } finally {
            if (!privateFs) {
                Lib.C.umask(oldMask);
            }
        }
    }

    private static int socket(int dirFd, String name, Kind kind, int backlog, String shown) throws NativeException {
        int type = (kind == Kind.STREAM ? Abi.SOCK_STREAM : Abi.SOCK_DGRAM) | Abi.SOCK_NONBLOCK | Abi.SOCK_CLOEXEC;
        int fd = Lib.C.socket(Abi.AF_UNIX, type, 0);
        if (fd < 0) {
            throw new NativeException("socket", shown, Native.errno());
        }
        try {
            byte[] path = Scratch.utf8("/proc/self/fd/" + dirFd + "/" + name);
            if (path.length >= Abi.SUN_PATH_MAX) {
                throw new NativeException("bind", shown, Errno.ENAMETOOLONG);
            }
            Scratch s = Scratch.get();
            int mark = s.mark();
            try {
                long sa = s.calloc(Abi.SOCKADDR_RESERVE);
                MEM.putShort(sa, (short) Abi.AF_UNIX);
                MEM.putByteArray(sa + Abi.SUN_PATH, path, 0, path.length);
                if (Lib.C.bind(fd, sa, Abi.SUN_PATH + path.length + 1) != 0) {
                    throw new NativeException("bind", shown, Native.errno());
                }
            } finally {
                s.release(mark);
            }
            if (kind == Kind.STREAM && Lib.C.listen(fd, backlog) != 0) {
                throw new NativeException("listen", shown, Native.errno());
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            Lib.C.close(fd);
            throw e;
        }
    }

    /**
     * Postfix's {@code fifo_listen} as the owner: mkfifo, open O_RDWR|O_NONBLOCK (never end of
     * file, never blocks) without following a link, check that it is a fifo of the owner's,
     * drain stale bytes.
     */
    private static int fifo(int dirFd, String name, int owner, String shown) throws NativeException {
        if (SafeFiles.withName(name, n -> SafeFiles.Bound.L.mkfifoat(dirFd, n, FIFO_MODE)) != 0) {
            throw new NativeException("mkfifo", shown, Native.errno());
        }
        int fd = SafeFiles.openat(dirFd, name, Fds.O_RDWR | Fds.O_NONBLOCK | Fds.O_NOFOLLOW, 0, shown);
        try {
            Inodes.Stat st = Inodes.fstat(fd);
            if (!st.isFifo() || st.uid() != owner) {
                throw new NativeException("open", shown + " (not the fifo just made)", Errno.EINVAL);
            }
            Inodes.fchmod(fd, FIFO_MODE);
            byte[] drain = new byte[512];
            while (Fds.read(fd, drain, 0, drain.length) > 0) {
                // stale wakeups from before we started mean nothing
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            Lib.C.close(fd);
            throw e;
        }
    }

    private static NativeException rethrow(Throwable cause) {
        if (cause instanceof NativeException n) {
            return n;
        }
        if (cause instanceof RuntimeException r) {
            throw r;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        throw new IllegalStateException(cause);
    }
}
