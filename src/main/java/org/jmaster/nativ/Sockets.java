package org.jmaster.nativ;

import static org.jmaster.nativ.Errno.EAGAIN;
import static org.jmaster.nativ.Errno.ECONNABORTED;
import static org.jmaster.nativ.Errno.EINPROGRESS;
import static org.jmaster.nativ.Errno.EINTR;
import static org.jmaster.nativ.Errno.ENAMETOOLONG;
import static org.jmaster.nativ.Native.MEM;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * Sockets: inet listeners, accepting, non-blocking connects (the wakeup triggers), the syslog
 * datagram socket, socket pairs, addresses and peer credentials. Unix listeners are made by
 * {@link LocalEndpoints} and {@link PrivateListener}; descriptors are passed by {@link FdPassing}.
 * Has its own small binding, loaded on first use.
 *
 * <h2>Promises</h2>
 * <ul>
 *   <li>Every socket created here is close-on-exec ({@code SOCK_CLOEXEC}, {@code accept4}).</li>
 *   <li>EINTR is retried inside every call; a connect interrupted by a signal goes on in the
 *       background, as after EINPROGRESS.</li>
 *   <li>Non-blocking results are values, not exceptions: {@link #accept} returns -1 when no
 *       connection is waiting.</li>
 *   <li>No call here waits unless its name or its timeout says so: {@link #connectUnixNoWait}
 *       and {@link #connectInetNoWait} return at once.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * A failure that the caller must expect (an address in use, a refused connection, a missing
 * socket file) throws the checked {@link NativeException} with the call, its subject and errno.
 * A failure that only a bug or exhaustion explains (EBADF, EMFILE from socketpair) throws
 * {@link UncheckedNativeException}; such methods are marked "unchecked" below.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe in the sense of the underlying system calls; per-call native memory
 * is per thread.
 */
public final class Sockets {
    public static final int AF_UNIX = Abi.AF_UNIX;
    public static final int AF_INET = Abi.AF_INET;
    public static final int AF_INET6 = Abi.AF_INET6;

    /** The credentials of a unix-socket peer at connect time ({@code SO_PEERCRED}). */
    public record PeerCred(int pid, int uid, int gid) {}

    private Sockets() {}

    /** The calls this file makes, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            int socket(int domain, int type, int protocol);

            int socketpair(int domain, int type, int protocol, long fds);

            int setsockopt(int fd, int level, int name, long value, int len);

            int getsockopt(int fd, int level, int name, long value, long lenInOut);

            int bind(int fd, long addr, int len);

            int listen(int fd, int backlog);

            int connect(int fd, long addr, int len);

            int accept4(int fd, long addr, long lenInOut, int flags);

            int getsockname(int fd, long addr, long lenInOut);

            int getpeername(int fd, long addr, long lenInOut);

            int close(int fd);
        }
    }

    private static NativeException fail(String call, String subject) {
        return new NativeException(call, subject, Native.errno());
    }

    private static UncheckedNativeException bug(String call, String subject) {
        return new UncheckedNativeException(call, subject, Native.errno());
    }

    // =====================================================================================
    // pairs and listeners

    /** A connected AF_UNIX SOCK_STREAM pair, both close-on-exec and blocking. Unchecked. */
    public static int[] socketpair() {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long fds = s.alloc(8);
            if (Lib.C.socketpair(Abi.AF_UNIX, Abi.SOCK_STREAM | Abi.SOCK_CLOEXEC, 0, fds) != 0) {
                throw bug("socketpair", "");
            }
            return new int[] {MEM.getInt(fds), MEM.getInt(fds + 4)};
        } finally {
            s.release(mark);
        }
    }

    /**
     * An inet stream listener as Postfix's {@code inet_listen}: socket non-blocking and
     * close-on-exec, SO_REUSEADDR, SO_REUSEPORT, IPV6_V6ONLY for IPv6, SO_SNDBUF and SO_RCVBUF when
     * {@code windowSize > 0}, bind, listen. Port 0 binds an ephemeral port (see {@link #getsockname}).
     */
    public static int inetListen(InetAddress addr, int port, int backlog, int windowSize) throws NativeException {
        boolean v6 = addr instanceof Inet6Address;
        String where = hostPort(addr, port);
        int fd = socket(v6 ? Abi.AF_INET6 : Abi.AF_INET, Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK, where);
        try {
            setIntOption(fd, Abi.SOL_SOCKET, Abi.SO_REUSEADDR, 1, "setsockopt SO_REUSEADDR", where);
            setIntOption(fd, Abi.SOL_SOCKET, Abi.SO_REUSEPORT, 1, "setsockopt SO_REUSEPORT", where);
            if (v6) {
                setIntOption(fd, Abi.IPPROTO_IPV6, Abi.IPV6_V6ONLY, 1, "setsockopt IPV6_V6ONLY", where);
            }
            if (windowSize > 0) {
                setIntOption(fd, Abi.SOL_SOCKET, Abi.SO_SNDBUF, windowSize, "setsockopt SO_SNDBUF", where);
                setIntOption(fd, Abi.SOL_SOCKET, Abi.SO_RCVBUF, windowSize, "setsockopt SO_RCVBUF", where);
            }
            Scratch s = Scratch.get();
            int mark = s.mark();
            try {
                long sa = s.calloc(Abi.SOCKADDR_RESERVE);
                int len = putInet(sa, addr, port);
                if (Lib.C.bind(fd, sa, len) != 0) {
                    throw fail("bind", where);
                }
            } finally {
                s.release(mark);
            }
            if (Lib.C.listen(fd, backlog) != 0) {
                throw fail("listen", where);
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            Lib.C.close(fd);
            throw e;
        }
    }

    /**
     * Accepts one connection (accept4, close-on-exec and non-blocking); -1 when none is waiting
     * (EAGAIN) or it went away before we took it (ECONNABORTED).
     */
    public static int accept(int listenFd) throws NativeException {
        for (;;) {
            int fd = Lib.C.accept4(listenFd, 0L, 0L, Abi.SOCK_CLOEXEC | Abi.SOCK_NONBLOCK);
            if (fd >= 0) {
                return fd;
            }
            int err = Native.errno();
            if (err == EAGAIN || err == ECONNABORTED) {
                return -1;
            }
            if (err != EINTR) {
                throw new NativeException("accept", Integer.toString(listenFd), err);
            }
        }
    }

    // =====================================================================================
    // sockets: clients (wakeup triggers)

    /**
     * Connects to a unix stream socket without waiting (the one attempt fails at once with EAGAIN
     * when the listener's backlog is full): returns a connected non-blocking,
     * close-on-exec socket, or throws (ECONNREFUSED, ENOENT, EAGAIN when the listener's backlog is
     * full).
     */
    public static int connectUnixNoWait(String path) throws NativeException {
        return connectUnixOnce(Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK, path);
    }

    /** A unix socket of {@code type} connected to {@code path} in one attempt; closed again on failure. */
    private static int connectUnixOnce(int type, String path) throws NativeException {
        int fd = socket(Abi.AF_UNIX, type, path);
        try {
            int err = connectOnce(fd, path);
            if (err != 0) {
                throw new NativeException("connect", path, err);
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            Lib.C.close(fd);
            throw e;
        }
    }

    /**
     * Starts a non-blocking connect to {@code addr:port} and returns the socket at once; the
     * connection may still be in progress: wait for POLLOUT, then {@link #socketError} says how it
     * ended (0 = connected).
     */
    public static int connectInetNoWait(InetAddress addr, int port) throws NativeException {
        String where = hostPort(addr, port);
        int fd = socket(addr instanceof Inet6Address ? Abi.AF_INET6 : Abi.AF_INET,
                Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK, where);
        try {
            int err = connectOnce(fd, addr, port);
            if (err != 0 && err != EINPROGRESS) {
                throw new NativeException("connect", where, err);
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            Lib.C.close(fd);
            throw e;
        }
    }

    /** A datagram socket connected to the unix socket at {@code path} (for syslog), blocking, close-on-exec. */
    public static int unixDgramConnect(String path) throws NativeException {
        return connectUnixOnce(Abi.SOCK_DGRAM, path);
    }

    /** connect(2) once (EINTR retried); returns 0 or the errno. */
    static int connectOnce(int fd, String path) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long sa = s.calloc(Abi.SOCKADDR_RESERVE);
            int len = putUnix(sa, path, "connect");
            return connectLoop(fd, sa, len);
        } finally {
            s.release(mark);
        }
    }

    static int connectOnce(int fd, InetAddress addr, int port) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long sa = s.calloc(Abi.SOCKADDR_RESERVE);
            int len = putInet(sa, addr, port);
            return connectLoop(fd, sa, len);
        } finally {
            s.release(mark);
        }
    }

    private static int connectLoop(int fd, long sa, int len) {
        if (Lib.C.connect(fd, sa, len) == 0) {
            return 0;
        }
        int err = Native.errno();
        // after EINTR the connect goes on in the background, as after EINPROGRESS
        return err == EINTR ? EINPROGRESS : err;
    }

    /** {@code SO_ERROR}: the pending error of a socket, e.g. of a finished non-blocking connect (0: none). Unchecked. */
    public static int socketError(int fd) {
        return getIntOption(fd, Abi.SOL_SOCKET, Abi.SO_ERROR);
    }

    /** {@code SO_TYPE}: whether a socket is a stream ({@code true}) or not (datagram, ...). Unchecked. */
    public static boolean isStream(int fd) {
        return getIntOption(fd, Abi.SOL_SOCKET, SO_TYPE) == Abi.SOCK_STREAM;
    }

    private static final int SO_TYPE = 3;

    /** The local address of a socket. */
    public static PeerAddress getsockname(int fd) throws NativeException {
        return address(fd, false);
    }

    /** The remote address of a connected socket. */
    public static PeerAddress getpeername(int fd) throws NativeException {
        return address(fd, true);
    }

    private static PeerAddress address(int fd, boolean peer) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long sa = s.calloc(Abi.SOCKADDR_RESERVE);
            long lenp = s.alloc(4);
            MEM.putInt(lenp, Abi.SOCKADDR_RESERVE);
            int rc = peer ? Lib.C.getpeername(fd, sa, lenp) : Lib.C.getsockname(fd, sa, lenp);
            if (rc != 0) {
                throw fail(peer ? "getpeername" : "getsockname", Integer.toString(fd));
            }
            return decodeAddress(sa, MEM.getInt(lenp));
        } finally {
            s.release(mark);
        }
    }

    /** The pid, uid and gid of the process at the other end of a unix socket ({@code SO_PEERCRED}). */
    public static PeerCred getsockoptPeercred(int fd) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long cred = s.calloc(Abi.UCRED_SIZE);
            long lenp = s.alloc(4);
            MEM.putInt(lenp, Abi.UCRED_SIZE);
            if (Lib.C.getsockopt(fd, Abi.SOL_SOCKET, Abi.SO_PEERCRED, cred, lenp) != 0) {
                throw fail("getsockopt SO_PEERCRED", Integer.toString(fd));
            }
            return new PeerCred(MEM.getInt(cred), MEM.getInt(cred + 4), MEM.getInt(cred + 8));
        } finally {
            s.release(mark);
        }
    }

    /** An int socket option ({@code getsockopt}). Unchecked. */
    static int getIntOption(int fd, int level, int name) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long v = s.calloc(4);
            long lenp = s.alloc(4);
            MEM.putInt(lenp, 4);
            if (Lib.C.getsockopt(fd, level, name, v, lenp) != 0) {
                throw bug("getsockopt", Integer.toString(fd));
            }
            return MEM.getInt(v);
        } finally {
            s.release(mark);
        }
    }

    /** Sets SO_SNDTIMEO: how long a blocking send may wait for room. */
    static void setSendTimeout(int fd, int millis) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long tv = s.calloc(Abi.TIMEVAL_SIZE);
            MEM.putLong(tv, millis / 1000);
            MEM.putLong(tv + 8, (millis % 1000) * 1000L);
            if (Lib.C.setsockopt(fd, Abi.SOL_SOCKET, Abi.SO_SNDTIMEO, tv, Abi.TIMEVAL_SIZE) != 0) {
                throw fail("setsockopt SO_SNDTIMEO", Integer.toString(fd));
            }
        } finally {
            s.release(mark);
        }
    }

    private static void setIntOption(int fd, int level, int name, int value, String call, String subject)
            throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long v = s.alloc(4);
            MEM.putInt(v, value);
            if (Lib.C.setsockopt(fd, level, name, v, 4) != 0) {
                throw fail(call, subject);
            }
        } finally {
            s.release(mark);
        }
    }

    static int socket(int domain, int type, String subject) throws NativeException {
        int fd = Lib.C.socket(domain, type | Abi.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw fail("socket", subject);
        }
        return fd;
    }

    // ---- sockaddr encoding and decoding ----

    private static int putInet(long sa, InetAddress addr, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
        byte[] a = addr.getAddress();
        if (addr instanceof Inet6Address v6) {
            MEM.putShort(sa, (short) Abi.AF_INET6);
            putPort(sa, port);
            MEM.putByteArray(sa + Abi.SIN6_ADDR, a, 0, 16);
            MEM.putInt(sa + Abi.SIN6_SCOPE_ID, v6.getScopeId());
            return Abi.SOCKADDR_IN6_SIZE;
        }
        MEM.putShort(sa, (short) Abi.AF_INET);
        putPort(sa, port);
        MEM.putByteArray(sa + 4, a, 0, 4);
        return Abi.SOCKADDR_IN_SIZE;
    }

    private static void putPort(long sa, int port) {
        MEM.putByte(sa + 2, (byte) (port >>> 8));
        MEM.putByte(sa + 3, (byte) port);
    }

    static int putUnix(long sa, String path, String call) throws NativeException {
        byte[] p = Scratch.utf8(path);
        if (p.length >= Abi.SUN_PATH_MAX) {
            throw new NativeException(call, path, ENAMETOOLONG);
        }
        MEM.putShort(sa, (short) Abi.AF_UNIX);
        MEM.putByteArray(sa + Abi.SUN_PATH, p, 0, p.length);
        if (p.length > 0 && p[0] == '@') {
            // Linux's abstract namespace (as systemd's NOTIFY_SOCKET writes it): a leading NUL, no terminator
            MEM.putByte(sa + Abi.SUN_PATH, (byte) 0);
            return Abi.SUN_PATH + p.length;
        }
        MEM.putByte(sa + Abi.SUN_PATH + p.length, (byte) 0);
        return Abi.SUN_PATH + p.length + 1;
    }

    private static PeerAddress decodeAddress(long sa, int len) {
        int family = MEM.getShort(sa) & 0xffff;
        int port = ((MEM.getByte(sa + 2) & 0xff) << 8) | (MEM.getByte(sa + 3) & 0xff);
        try {
            if (family == Abi.AF_INET) {
                byte[] a = new byte[4];
                MEM.getByteArray(sa + 4, a, 0, 4);
                return new PeerAddress(family, InetAddress.getByAddress(a), port, null);
            }
            if (family == Abi.AF_INET6) {
                byte[] a = new byte[16];
                MEM.getByteArray(sa + Abi.SIN6_ADDR, a, 0, 16);
                int scope = MEM.getInt(sa + Abi.SIN6_SCOPE_ID);
                InetAddress ia = scope != 0 ? Inet6Address.getByAddress(null, a, scope) : InetAddress.getByAddress(a);
                return new PeerAddress(family, ia, port, null);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        if (family == Abi.AF_UNIX) {
            int n = Math.max(0, Math.min(len - Abi.SUN_PATH, Abi.SUN_PATH_MAX));
            byte[] p = new byte[n];
            MEM.getByteArray(sa + Abi.SUN_PATH, p, 0, n);
            String path;
            if (n > 0 && p[0] == 0) {
                path = "@" + new String(p, 1, n - 1, StandardCharsets.UTF_8);
            } else {
                int end = 0;
                while (end < n && p[end] != 0) {
                    end++;
                }
                path = new String(p, 0, end, StandardCharsets.UTF_8);
            }
            return new PeerAddress(family, null, 0, path);
        }
        throw new IllegalStateException("unknown address family " + family);
    }

    static String hostPort(InetAddress addr, int port) {
        String h = addr.getHostAddress();
        return (addr instanceof Inet4Address ? h : "[" + h + "]") + ":" + port;
    }
}
