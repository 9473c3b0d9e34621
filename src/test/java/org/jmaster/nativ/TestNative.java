package org.jmaster.nativ;

import static org.jmaster.nativ.Errno.EAGAIN;
import static org.jmaster.nativ.Errno.EBADF;
import static org.jmaster.nativ.Errno.EINPROGRESS;
import static org.jmaster.nativ.Errno.EINTR;
import static org.jmaster.nativ.Errno.EINVAL;
import static org.jmaster.nativ.Errno.ENOENT;
import static org.jmaster.nativ.Errno.ESRCH;
import static org.jmaster.nativ.Errno.ETIMEDOUT;
import static org.jmaster.nativ.Native.MEM;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jnr.ffi.annotations.IgnoreError;

/**
 * Native calls only the tests make: by path (chmod, chown, mkfifo, unlink), about other processes
 * and threads, descriptor flags, listeners of the kinds the master makes through
 * {@link LocalEndpoints}, and connects that wait. The same conventions as the main bindings
 * (close-on-exec descriptors, EINTR retried, checked {@link NativeException} for what a caller must
 * expect, {@link UncheckedNativeException} for bugs); its own small binding, loaded on first use.
 * Nothing in src/main may use this: a root process must not chmod or chown by path (see
 * {@link SafeFiles}).
 */
public final class TestNative {
    private TestNative() {}

    /** The calls this file makes, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            int close(int fd);

            int chmod(long path, int mode);

            int chown(long path, int uid, int gid);

            int mkfifo(long path, int mode);

            int unlink(long path);

            @IgnoreError
            int getppid();

            @IgnoreError
            int getpgrp();

            int setsid();

            int killpg(int pgrp, int sig);

            int tgkill(int tgid, int tid, int sig);

            int pidfd_send_signal(int pidfd, int sig, long siginfo, int flags);

            int seteuid(int uid);

            int setegid(int gid);

            int getgroups(int size, long gids);

            int fcntl(int fd, int cmd, int arg);

            int bind(int fd, long addr, int len);

            int listen(int fd, int backlog);
        }
    }

    private static NativeException fail(String call, String subject) {
        return new NativeException(call, subject, Native.errno());
    }

    // =====================================================================================
    // descriptors

    /**
     * Closes {@code fd}. Linux releases the descriptor even when close reports EINTR or EIO, so
     * those are ignored; unchecked EBADF means a double close somewhere.
     */
    public static void close(int fd) {
        if (Lib.C.close(fd) != 0) {
            int err = Native.errno();
            if (err == EBADF) {
                throw new UncheckedNativeException("close", Integer.toString(fd), err);
            }
        }
    }

    public static boolean isCloexec(int fd) {
        int fl = Lib.C.fcntl(fd, Abi.F_GETFD, 0);
        if (fl < 0) {
            throw new UncheckedNativeException("fcntl F_GETFD", Integer.toString(fd), Native.errno());
        }
        return (fl & Abi.FD_CLOEXEC) != 0;
    }

    public static boolean isNonBlocking(int fd) {
        return (Fds.fileStatusFlags(fd) & Abi.O_NONBLOCK) != 0;
    }

    /**
     * The descriptors open in this process, ascending, read from {@code /proc/self/fd} (the
     * descriptor used for the listing itself is left out).
     */
    public static int[] listOpenFds() {
        List<Integer> seen = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : dir) {
                seen.add(Integer.parseInt(p.getFileName().toString()));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        // the listing's own descriptor was closed with the stream: keep only what is still open
        int[] out = new int[seen.size()];
        int n = 0;
        for (int fd : seen) {
            if (Lib.C.fcntl(fd, Abi.F_GETFD, 0) >= 0) {
                out[n++] = fd;
            }
        }
        out = Arrays.copyOf(out, n);
        Arrays.sort(out);
        return out;
    }

    // =====================================================================================
    // files by path

    public static void mkfifo(String path, int mode) throws NativeException {
        pathCall("mkfifo", path, p -> Lib.C.mkfifo(p, mode));
    }

    public static void chown(String path, int uid, int gid) throws NativeException {
        pathCall("chown", path, p -> Lib.C.chown(p, uid, gid));
    }

    public static void chmod(String path, int mode) throws NativeException {
        pathCall("chmod", path, p -> Lib.C.chmod(p, mode));
    }

    public static void unlink(String path) throws NativeException {
        pathCall("unlink", path, Lib.C::unlink);
    }

    /** Unlinks {@code path}; false when it did not exist. */
    public static boolean unlinkIfExists(String path) throws NativeException {
        try {
            unlink(path);
            return true;
        } catch (NativeException e) {
            if (e.errno() == ENOENT) {
                return false;
            }
            throw e;
        }
    }

    private static void pathCall(String call, String path, java.util.function.LongToIntFunction c)
            throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            if (c.applyAsInt(s.cstr(path)) != 0) {
                throw fail(call, path);
            }
        } finally {
            s.release(mark);
        }
    }

    // =====================================================================================
    // processes, threads, identity

    public static int getppid() {
        return Lib.C.getppid();
    }

    public static int getpgrp() {
        return Lib.C.getpgrp();
    }

    /** Makes this process a session leader; EPERM when it already leads a process group. */
    public static int setsid() throws NativeException {
        int sid = Lib.C.setsid();
        if (sid < 0) {
            throw fail("setsid", "");
        }
        return sid;
    }

    /** {@code killpg(pgrp, sig)}; false when there is no such group (ESRCH) or no permission (EPERM). */
    public static boolean killpg(int pgrp, int sig) {
        if (Lib.C.killpg(pgrp, sig) == 0) {
            return true;
        }
        int err = Native.errno();
        if (err == ESRCH || err == Errno.EPERM) {
            return false;
        }
        throw new UncheckedNativeException("killpg", Integer.toString(pgrp), err);
    }

    /**
     * Sends {@code sig} to one thread ({@code tgkill}), e.g. to interrupt a poll in that thread;
     * the thread id is the {@code N} of {@code /proc/self/task/N}. False when it is gone.
     */
    public static boolean tgkill(int tid, int sig) {
        if (Lib.C.tgkill(Processes.getpid(), tid, sig) == 0) {
            return true;
        }
        int err = Native.errno();
        if (err == ESRCH) {
            return false;
        }
        throw new UncheckedNativeException("tgkill", Integer.toString(tid), err);
    }

    /** The kernel id of the calling thread (from {@code /proc/thread-self}). */
    public static int gettid() {
        try {
            Path link = Files.readSymbolicLink(Path.of("/proc/thread-self"));
            return Integer.parseInt(link.getFileName().toString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Sends {@code sig} through a pidfd; false when the process has already exited (ESRCH). */
    public static boolean pidfdSendSignal(int pidfd, int sig) {
        if (Lib.C.pidfd_send_signal(pidfd, sig, 0L, 0) == 0) {
            return true;
        }
        int err = Native.errno();
        if (err == ESRCH) {
            return false;
        }
        throw new UncheckedNativeException("pidfd_send_signal", "pidfd " + pidfd, err);
    }

    /** Effective uid of the whole process (all threads). */
    public static void seteuid(int uid) throws NativeException {
        if (Lib.C.seteuid(uid) != 0) {
            throw fail("seteuid", Integer.toString(uid));
        }
    }

    /** Effective gid of the whole process (all threads). Set the gid before dropping the uid. */
    public static void setegid(int gid) throws NativeException {
        if (Lib.C.setegid(gid) != 0) {
            throw fail("setegid", Integer.toString(gid));
        }
    }

    /** The supplementary groups of this process, in the kernel's order. Unchecked. */
    public static int[] getgroups() {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            int n = Lib.C.getgroups(0, 0L);
            if (n < 0) {
                throw new UncheckedNativeException("getgroups", "", Native.errno());
            }
            long a = s.alloc(Math.max(4L, 4L * n));
            n = Lib.C.getgroups(n, a);
            if (n < 0) {
                throw new UncheckedNativeException("getgroups", "", Native.errno());
            }
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = MEM.getInt(a + 4L * i);
            }
            return out;
        } finally {
            s.release(mark);
        }
    }

    // =====================================================================================
    // listeners and waiting connects

    /**
     * A unix stream listener as Postfix's {@code unix_listen}: an existing file at {@code path} is
     * unlinked, the socket (non-blocking, close-on-exec) bound, the file made mode 0666, then listen.
     */
    public static int unixListen(String path, int backlog) throws NativeException {
        int fd = unixBound(path, Abi.SOCK_STREAM);
        try {
            if (Lib.C.listen(fd, backlog) != 0) {
                throw fail("listen", path);
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            Lib.C.close(fd);
            throw e;
        }
    }

    /** A unix datagram socket bound at {@code path} (unlinked first, mode 0666), non-blocking, close-on-exec. */
    public static int unixDgramBind(String path) throws NativeException {
        return unixBound(path, Abi.SOCK_DGRAM);
    }

    private static int unixBound(String path, int type) throws NativeException {
        unlinkIfExists(path);
        int fd = Sockets.socket(Abi.AF_UNIX, type | Abi.SOCK_NONBLOCK, path);
        try {
            Scratch s = Scratch.get();
            int mark = s.mark();
            try {
                long sa = s.calloc(Abi.SOCKADDR_RESERVE);
                int len = Sockets.putUnix(sa, path, "bind");
                if (Lib.C.bind(fd, sa, len) != 0) {
                    throw fail("bind", path);
                }
            } finally {
                s.release(mark);
            }
            chmod(path, 0666);
            return fd;
        } catch (NativeException | RuntimeException e) {
            Lib.C.close(fd);
            throw e;
        }
    }

    /**
     * A FIFO listener as Postfix's {@code fifo_listen}: unlink, {@code mkfifo(mode)}, open
     * O_RDWR|O_NONBLOCK (so it never reports end of file and opening never blocks), check that it
     * is a FIFO, {@code fchmod(mode)} (the umask does not apply), drain stale bytes.
     */
    public static int fifoListen(String path, int mode) throws NativeException {
        unlinkIfExists(path);
        mkfifo(path, mode);
        int fd = Fds.open(path, Abi.O_RDWR | Abi.O_NONBLOCK | Abi.O_NOFOLLOW, 0);
        try {
            if (!Inodes.fstat(fd).isFifo()) {
                throw new NativeException("open", path + " (not a fifo)", EINVAL);
            }
            Inodes.fchmod(fd, mode);
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

    /**
     * Connects to a unix stream socket, waiting at most {@code timeoutMs} while the listener's
     * backlog is full; throws ETIMEDOUT after that. The socket is returned non-blocking.
     */
    public static int connectUnixWaiting(String path, int timeoutMs) throws NativeException {
        long deadline = System.nanoTime() + Math.max(0, timeoutMs) * 1_000_000L;
        int fd = Sockets.socket(Abi.AF_UNIX, Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK, path);
        try {
            for (int pause = 1; ; pause = Math.min(pause * 2, 20)) {
                int err = Sockets.connectOnce(fd, path);
                if (err == 0) {
                    return fd;
                }
                if (err == EINPROGRESS) {
                    finishConnect(fd, deadline, path);
                    return fd;
                }
                if (err != EAGAIN) {
                    throw new NativeException("connect", path, err);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new NativeException("connect", path, ETIMEDOUT);
                }
                try {
                    Thread.sleep(Math.min(pause, Math.max(1, left / 1_000_000L)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new NativeException("connect", path, EINTR);
                }
            }
        } catch (NativeException | RuntimeException e) {
            Lib.C.close(fd);
            throw e;
        }
    }

    /**
     * Connects to {@code addr:port}, waiting at most {@code timeoutMs}; throws ETIMEDOUT after
     * that, or the connect's own error. The socket is returned non-blocking.
     */
    public static int connectInetWaiting(InetAddress addr, int port, int timeoutMs) throws NativeException {
        String where = Sockets.hostPort(addr, port);
        long deadline = System.nanoTime() + Math.max(0, timeoutMs) * 1_000_000L;
        int fd = Sockets.socket(addr instanceof Inet6Address ? Abi.AF_INET6 : Abi.AF_INET,
                Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK, where);
        try {
            int err = Sockets.connectOnce(fd, addr, port);
            if (err == EINPROGRESS) {
                finishConnect(fd, deadline, where);
            } else if (err != 0) {
                throw new NativeException("connect", where, err);
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            Lib.C.close(fd);
            throw e;
        }
    }

    private static void finishConnect(int fd, long deadline, String where) throws NativeException {
        int left = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
        if (!PollSet.waitWritable(fd, left)) {
            throw new NativeException("connect", where, ETIMEDOUT);
        }
        int err = Sockets.socketError(fd);
        if (err != 0) {
            throw new NativeException("connect", where, err);
        }
    }
}
