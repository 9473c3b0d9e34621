package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.InputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Listeners (inet v4/v6, unix, unix-dgram, fifo), wakeup-style connects, fd passing, peer credentials. */
class SocketTest {
    @BeforeAll
    static void sigpipe() {
        Signals.ignoreSigpipe();
    }

    private static String readSome(int fd) throws NativeException {
        assertThat(PollSet.waitReadable(fd, 10_000)).isTrue();
        byte[] buf = new byte[256];
        int n = Fds.read(fd, buf, 0, buf.length);
        return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.UTF_8);
    }

    private static void assertListenerFlags(int fd) {
        assertThat(TestNative.isCloexec(fd)).as("close-on-exec").isTrue();
        assertThat(TestNative.isNonBlocking(fd)).as("non-blocking").isTrue();
    }

    @Test
    void inetV4ListenAcceptAndAddresses() throws Exception {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        int l = Sockets.inetListen(lo, 0, 16, 0);
        try {
            assertListenerFlags(l);
            assertThat(Sockets.getIntOption(l, Abi.SOL_SOCKET, Abi.SO_REUSEADDR)).isEqualTo(1);
            assertThat(Sockets.getIntOption(l, Abi.SOL_SOCKET, Abi.SO_REUSEPORT)).isEqualTo(1);
            PeerAddress local = Sockets.getsockname(l);
            assertThat(local.address()).isEqualTo(lo);
            assertThat(local.port()).isPositive();
            assertThat(Sockets.accept(l)).as("nothing waiting: EAGAIN as -1").isEqualTo(-1);
            try (Socket client = new Socket(lo, local.port())) {
                assertThat(PollSet.waitReadable(l, 10_000)).isTrue();
                int a = Sockets.accept(l);
                assertThat(a).isGreaterThanOrEqualTo(0);
                assertListenerFlags(a);
                PeerAddress peer = Sockets.getpeername(a);
                assertThat(peer.toInetSocketAddress()).isEqualTo(client.getLocalSocketAddress());
                assertThat(peer.toString()).isEqualTo("127.0.0.1:" + client.getLocalPort());
                assertThat(Fds.write(a, "hello".getBytes(StandardCharsets.US_ASCII), 0, 5)).isEqualTo(5);
                TestNative.close(a);
                try (InputStream in = client.getInputStream()) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("hello");
                }
            }
        } finally {
            TestNative.close(l);
        }
    }

    @Test
    void inetWindowSizeAndAddressInUse() throws Exception {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        int l = Sockets.inetListen(lo, 0, 16, 65536);
        try {
            assertThat(Sockets.getIntOption(l, Abi.SOL_SOCKET, Abi.SO_RCVBUF)).isGreaterThanOrEqualTo(65536);
            assertThat(Sockets.getIntOption(l, Abi.SOL_SOCKET, Abi.SO_SNDBUF)).isGreaterThanOrEqualTo(65536);
        } finally {
            TestNative.close(l);
        }
        try (ServerSocket taken = new ServerSocket(0, 1, lo)) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> Sockets.inetListen(lo, port, 16, 0))
                    .isInstanceOfSatisfying(NativeException.class, e -> {
                        assertThat(e.errno()).isEqualTo(Errno.EADDRINUSE);
                        assertThat(e.getMessage()).isEqualTo("bind 127.0.0.1:" + port + ": Address already in use");
                    });
        }
    }

    @Test
    void inetV6Listener() throws Exception {
        InetAddress lo6 = InetAddress.getByName("::1");
        int l;
        try {
            l = Sockets.inetListen(lo6, 0, 16, 0);
        } catch (NativeException e) {
            assumeThat(e.errno()).as("IPv6 loopback available").isNotIn(Errno.EADDRNOTAVAIL, Errno.EAFNOSUPPORT);
            throw e;
        }
        try {
            assertListenerFlags(l);
            assertThat(Sockets.getIntOption(l, Abi.IPPROTO_IPV6, Abi.IPV6_V6ONLY)).isEqualTo(1);
            PeerAddress local = Sockets.getsockname(l);
            assertThat(local.family()).isEqualTo(Sockets.AF_INET6);
            assertThat(local.address()).isInstanceOf(Inet6Address.class).isEqualTo(lo6);
            assertThat(local.toString()).isEqualTo("[0:0:0:0:0:0:0:1]:" + local.port());
            try (Socket client = new Socket(lo6, local.port())) {
                assertThat(PollSet.waitReadable(l, 10_000)).isTrue();
                int a = Sockets.accept(l);
                assertThat(Sockets.getpeername(a).port()).isEqualTo(client.getLocalPort());
                TestNative.close(a);
            }
            // v6-only: the same port on 127.0.0.1 is free for an IPv4 listener (Postfix listens on both)
            int v4 = Sockets.inetListen(InetAddress.getByName("127.0.0.1"), local.port(), 16, 0);
            TestNative.close(v4);
        } finally {
            TestNative.close(l);
        }
    }

    @Test
    void unixListenerReplacesFileAndIsWorldWritable(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("smtpd");
        Files.writeString(path, "stale");
        int l = TestNative.unixListen(path.toString(), 16);
        try {
            assertListenerFlags(l);
            Inodes.Stat st = Inodes.lstat(path.toString());
            assertThat(st.isSocket()).isTrue();
            assertThat(st.permissions()).isEqualTo(0666);
            assertThat(Sockets.getsockname(l).path()).isEqualTo(path.toString());
            try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                client.connect(UnixDomainSocketAddress.of(path));
                assertThat(PollSet.waitReadable(l, 10_000)).isTrue();
                int a = Sockets.accept(l);
                Sockets.PeerCred cred = Sockets.getsockoptPeercred(a);
                assertThat(cred).isEqualTo(new Sockets.PeerCred(Processes.getpid(), Users.geteuid(), Users.getegid()));
                assertThat(Sockets.getpeername(a).path()).isEmpty();
                TestNative.close(a);
            }
            assertThatThrownBy(() -> TestNative.unixListen(dir.resolve("x".repeat(120)).toString(), 1))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENAMETOOLONG));
        } finally {
            TestNative.close(l);
        }
    }

    @Test
    void unixDgramAndSyslogSocket(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("log");
        int l = TestNative.unixDgramBind(path.toString());
        try {
            assertListenerFlags(l);
            assertThat(Inodes.lstat(path.toString()).permissions()).isEqualTo(0666);
            int c = Sockets.unixDgramConnect(path.toString());
            assertThat(TestNative.isCloexec(c)).isTrue();
            Fds.write(c, "W".getBytes(StandardCharsets.US_ASCII), 0, 1);
            assertThat(readSome(l)).isEqualTo("W");
            TestNative.close(c);

            SyslogSocket syslog = SyslogSocket.open(path.toString());
            assertThat(syslog).isNotNull();
            assertThat(syslog.send("<22>postfix/master[1]: daemon started".getBytes(StandardCharsets.US_ASCII))).isTrue();
            assertThat(readSome(l)).isEqualTo("<22>postfix/master[1]: daemon started");
            // the daemon restarts: a new socket at the same path; the transport reconnects once
            TestNative.close(l);
            l = TestNative.unixDgramBind(path.toString());
            assertThat(syslog.send("again".getBytes(StandardCharsets.US_ASCII))).isTrue();
            assertThat(readSome(l)).isEqualTo("again");
            syslog.close();
            assertThat(SyslogSocket.open(dir.resolve("nothing").toString())).isNull();
        } finally {
            TestNative.close(l);
        }
    }

    /** Postfix's fifo_listen: mode as asked despite the umask, a FIFO, never EOF; a wakeup "W" arrives. */
    @Test
    void fifoListener(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("pickup");
        int old = Processes.umask(077);
        int l;
        try {
            l = TestNative.fifoListen(path.toString(), 0622);
        } finally {
            Processes.umask(old);
        }
        try {
            assertListenerFlags(l);
            Inodes.Stat st = Inodes.lstat(path.toString());
            assertThat(st.isFifo()).isTrue();
            assertThat(st.permissions()).isEqualTo(0622);
            byte[] buf = new byte[16];
            assertThat(Fds.read(l, buf, 0, buf.length)).as("empty: EAGAIN, not EOF").isEqualTo(-1);
            int w = Fds.open(path.toString(), Fds.O_WRONLY | Fds.O_NONBLOCK | Fds.O_NOFOLLOW, 0);
            Fds.write(w, new byte[] {'W'}, 0, 1);
            TestNative.close(w);
            assertThat(readSome(l)).isEqualTo("W");
            assertThat(Fds.read(l, buf, 0, buf.length)).as("writer gone: still no EOF").isEqualTo(-1);
        } finally {
            TestNative.close(l);
        }
    }

    /** Wakeup triggers: unix and inet connects with timeout, refused and missing targets, a full backlog. */
    @Test
    void triggerConnects(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("qmgr");
        int ul = TestNative.unixListen(path.toString(), 16);
        int il = Sockets.inetListen(InetAddress.getByName("127.0.0.1"), 0, 16, 0);
        int port = Sockets.getsockname(il).port();
        try {
            int c = TestNative.connectUnixWaiting(path.toString(), 1000);
            assertThat(TestNative.isCloexec(c)).isTrue();
            Fds.write(c, new byte[] {'W', 0}, 0, 2);
            TestNative.close(c);
            assertThat(PollSet.waitReadable(ul, 10_000)).isTrue();
            int a = Sockets.accept(ul);
            assertThat(readSome(a)).isEqualTo("W\0");
            TestNative.close(a);

            c = TestNative.connectInetWaiting(InetAddress.getByName("127.0.0.1"), port, 1000);
            Fds.write(c, new byte[] {'W', 0}, 0, 2);
            TestNative.close(c);
            assertThat(PollSet.waitReadable(il, 10_000)).isTrue();
            a = Sockets.accept(il);
            assertThat(readSome(a)).isEqualTo("W\0");
            TestNative.close(a);

            // the loop's way: start the connect, wait for POLLOUT, read SO_ERROR
            c = Sockets.connectInetNoWait(InetAddress.getByName("127.0.0.1"), port);
            assertThat(PollSet.waitWritable(c, 10_000)).isTrue();
            assertThat(Sockets.socketError(c)).isZero();
            TestNative.close(c);
            c = Sockets.connectUnixNoWait(path.toString());
            TestNative.close(c);
        } finally {
            TestNative.close(ul);
            TestNative.close(il);
        }
        // nobody listens any more
        assertThatThrownBy(() -> TestNative.connectInetWaiting(InetAddress.getByName("127.0.0.1"), port, 1000))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.ECONNREFUSED);
                    assertThat(e.getMessage()).isEqualTo("connect 127.0.0.1:" + port + ": Connection refused");
                });
        assertThatThrownBy(() -> TestNative.connectUnixWaiting(path.toString(), 1000))
                .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNREFUSED));
        assertThatThrownBy(() -> TestNative.connectUnixWaiting(dir.resolve("none").toString(), 1000))
                .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }

    /** Backlog full: connectUnix fails at once with EAGAIN; unixConnect waits until the listener accepts, or times out. */
    @Test
    void unixConnectWaitsForBacklog(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("full");
        int l = TestNative.unixListen(path.toString(), 0);
        int first = Sockets.connectUnixNoWait(path.toString());
        try {
            assertThatThrownBy(() -> Sockets.connectUnixNoWait(path.toString()))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EAGAIN));
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> TestNative.connectUnixWaiting(path.toString(), 200))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ETIMEDOUT));
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(150_000_000L);

            CompletableFuture<Integer> later = CompletableFuture.supplyAsync(() -> {
                try {
                    Thread.sleep(100);
                    return Sockets.accept(l);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            int second = TestNative.connectUnixWaiting(path.toString(), 10_000);
            TestNative.close(later.get(10, TimeUnit.SECONDS));
            TestNative.close(second);
        } finally {
            TestNative.close(first);
            TestNative.close(l);
        }
    }

    /** Pass triggers: a descriptor sent with SCM_RIGHTS arrives close-on-exec and works. */
    @Test
    void sendFdOverSocketpairAndListener(@TempDir Path dir) throws Exception {
        int[] sp = Sockets.socketpair();
        int[] pipe = Fds.pipe(false);
        assertThat(FdPassing.sendFd(sp[0], pipe[0], "x".getBytes(StandardCharsets.US_ASCII))).isEqualTo(1);
        byte[] buf = new byte[8];
        FdPassing.ReceivedFd got = FdPassing.recvFd(sp[1], buf);
        assertThat(got.bytes()).isEqualTo(1);
        assertThat(buf[0]).isEqualTo((byte) 'x');
        assertThat(got.fd()).isNotNegative().isNotEqualTo(pipe[0]);
        assertThat(TestNative.isCloexec(got.fd())).isTrue();
        assertThat(Proc.self(got.fd())).isEqualTo(Proc.self(pipe[0]));
        Fds.write(pipe[1], "W\0".getBytes(StandardCharsets.US_ASCII), 0, 2);
        TestNative.close(pipe[1]);
        assertThat(Proc.readAll(got.fd())).isEqualTo("W\0");
        TestNative.close(got.fd());
        TestNative.close(pipe[0]);

        // no descriptor: fd -1; empty data still carries one byte
        Fds.write(sp[0], new byte[] {'y'}, 0, 1);
        assertThat(FdPassing.recvFd(sp[1], buf)).isEqualTo(new FdPassing.ReceivedFd(1, -1));
        int[] p2 = Fds.pipe(false);
        assertThat(FdPassing.sendFd(sp[0], p2[1], new byte[0])).isEqualTo(1);
        FdPassing.ReceivedFd got2 = FdPassing.recvFd(sp[1], buf);
        assertThat(got2.fd()).isNotNegative();
        TestNative.close(got2.fd());
        TestNative.close(p2[0]);
        TestNative.close(p2[1]);
        TestNative.close(sp[0]);
        TestNative.close(sp[1]);

        // over a pass listener, as the master's wakeup of a pass service does
        Path path = dir.resolve("pass");
        int l = TestNative.unixListen(path.toString(), 4);
        int c = Sockets.connectUnixNoWait(path.toString());
        int[] p3 = Fds.pipe(false);
        FdPassing.sendFd(c, p3[0], new byte[] {0});
        assertThat(PollSet.waitReadable(l, 10_000)).isTrue();
        int a = Sockets.accept(l);
        assertThat(PollSet.waitReadable(a, 10_000)).isTrue();
        FdPassing.ReceivedFd got3 = FdPassing.recvFd(a, buf);
        assertThat(Proc.self(got3.fd())).isEqualTo(Proc.self(p3[0]));
        for (int fd : new int[] {got3.fd(), a, c, l, p3[0], p3[1]}) {
            TestNative.close(fd);
        }
    }

    @Test
    void peerAddressToString() throws Exception {
        assertThat(new PeerAddress(Sockets.AF_UNIX, null, 0, "").toString()).isEqualTo("(unnamed)");
        assertThat(new PeerAddress(Sockets.AF_INET, InetAddress.getByName("10.1.2.3"), 25, null).toInetSocketAddress())
                .isEqualTo(new InetSocketAddress("10.1.2.3", 25));
    }
}
