package org.jmaster.nativ;

import static org.jmaster.nativ.Native.C;
import static org.jmaster.nativ.Native.MEM;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Local listening endpoints (unix stream and datagram sockets, fifos) made in a directory that
 * belongs to their owner ({@code mail_owner}'s {@code private/} and {@code public/}), born with
 * that owner and their final mode, as Postfix's {@code master_listen} makes them under
 * {@code set_eugid(mail_owner)}. There is no chmod or chown afterwards, so no path that the
 * directory's owner could swap for a symbolic link is ever given to a privileged call.
 *
 * <h2>How</h2>
 * The directory is opened by the calling thread. Everything inside it is done by a new thread
 * made for the purpose, which first takes the owner's identity for file-system access
 * ({@code setfsgid}, {@code setfsuid}), so the kernel treats each of its file operations as the
 * owner's, with root's file capabilities dropped: it unlinks a stale entry ({@code unlinkat}),
 * binds the socket at {@code /proc/self/fd/<dir>/<name>} (the held directory; no path above it
 * is looked up again) or makes the fifo ({@code mkfifoat}, {@code openat(O_NOFOLLOW)}, then
 * {@code fstat}: a fifo of the owner's). Sockets get mode 0666 and fifos 0622 from the umask
 * (0111) under which they are made. The thread then ends, and its identity with it.
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

    /** Sockets 0666, fifos 0622: the masks Postfix's listeners end up with. */
    static final int UMASK = 0111;
    static final int FIFO_MODE = 0622;

    private LocalEndpoints() {}

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
            FutureTask<Integer> task = new FutureTask<>(() -> createAsOwner(dirFd, name, kind, backlog, uid, gid, shown));
            Thread t = new Thread(task, "jmaster-endpoint-as-owner");
            t.setDaemon(true);
            t.start();
            try {
                return task.get();
            } catch (InterruptedException e) {
                // the endpoint is being made; wait for it, keep the interrupt for the caller
                Thread.currentThread().interrupt();
                joinUninterruptibly(t);
                return getNow(task);
            } catch (ExecutionException e) {
                throw rethrow(e.getCause());
            }
        } finally {
            Posix.closeQuietly(dirFd);
        }
    }

    /** The owner thread's work; runs on a thread that ends right after. */
    private static int createAsOwner(int dirFd, String name, Kind kind, int backlog, int uid, int gid, String shown)
            throws NativeException {
        SafeFiles.Lib l = SafeFiles.Bound.L;
        boolean privateFs = l.unshare(SafeFiles.CLONE_FS) == 0;
        int oldMask = C.umask(UMASK);
        try {
            if (gid != -1) {
                l.setfsgid(gid);
                if (l.setfsgid(-1) != gid) {
                    throw new NativeException("setfsgid", Integer.toString(gid), Posix.EPERM);
                }
            }
            if (uid != -1) {
                l.setfsuid(uid);
                if (l.setfsuid(-1) != uid) {
                    throw new NativeException("setfsuid", Integer.toString(uid), Posix.EPERM);
                }
            }
            if (SafeFiles.withName(name, n -> l.unlinkat(dirFd, n, 0)) != 0) {
                int err = Native.errno();
                if (err != Posix.ENOENT) {
                    throw new NativeException("unlink", shown, err);
                }
            }
            return kind == Kind.FIFO ? fifo(dirFd, name, uid, shown) : socket(dirFd, name, kind, backlog, shown);
        } finally {
            if (!privateFs) {
                C.umask(oldMask);
            }
        }
    }

    private static int socket(int dirFd, String name, Kind kind, int backlog, String shown) throws NativeException {
        int type = (kind == Kind.STREAM ? Abi.SOCK_STREAM : Abi.SOCK_DGRAM) | Abi.SOCK_NONBLOCK | Abi.SOCK_CLOEXEC;
        int fd = C.socket(Abi.AF_UNIX, type, 0);
        if (fd < 0) {
            throw new NativeException("socket", shown, Native.errno());
        }
        try {
            byte[] path = Scratch.utf8("/proc/self/fd/" + dirFd + "/" + name);
            if (path.length >= Abi.SUN_PATH_MAX) {
                throw new NativeException("bind", shown, Posix.ENAMETOOLONG);
            }
            Scratch s = Scratch.get();
            int mark = s.mark();
            try {
                long sa = s.calloc(Abi.SOCKADDR_RESERVE);
                MEM.putShort(sa, (short) Abi.AF_UNIX);
                MEM.putByteArray(sa + Abi.SUN_PATH, path, 0, path.length);
                if (C.bind(fd, sa, Abi.SUN_PATH + path.length + 1) != 0) {
                    throw new NativeException("bind", shown, Native.errno());
                }
            } finally {
                s.release(mark);
            }
            if (kind == Kind.STREAM && C.listen(fd, backlog) != 0) {
                throw new NativeException("listen", shown, Native.errno());
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            C.close(fd);
            throw e;
        }
    }

    /**
     * Postfix's {@code fifo_listen} as the owner: mkfifo, open O_RDWR|O_NONBLOCK (never end of
     * file, never blocks) without following a link, check that it is a fifo of the owner's,
     * drain stale bytes.
     */
    private static int fifo(int dirFd, String name, int uid, String shown) throws NativeException {
        if (SafeFiles.withName(name, n -> SafeFiles.Bound.L.mkfifoat(dirFd, n, FIFO_MODE)) != 0) {
            throw new NativeException("mkfifo", shown, Native.errno());
        }
        int fd = SafeFiles.openat(dirFd, name, Posix.O_RDWR | Posix.O_NONBLOCK | Posix.O_NOFOLLOW, 0, shown);
        try {
            Posix.Stat st = Posix.fstat(fd);
            int owner = uid != -1 ? uid : Posix.geteuid();
            if (!st.isFifo() || st.uid() != owner) {
                throw new NativeException("open", shown + " (not the fifo just made)", Posix.EINVAL);
            }
            Posix.fchmod(fd, FIFO_MODE);
            byte[] drain = new byte[512];
            while (Posix.read(fd, drain, 0, drain.length) > 0) {
                // stale wakeups from before we started mean nothing
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            C.close(fd);
            throw e;
        }
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static int getNow(FutureTask<Integer> task) throws NativeException {
        try {
            return task.get();
        } catch (InterruptedException e) {
            throw new IllegalStateException("the endpoint thread has ended", e);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
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
