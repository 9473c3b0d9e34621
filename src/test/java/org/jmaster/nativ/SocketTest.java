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
        Posix.ignoreSigpipe();
    }

    private static String readSome(int fd) throws NativeException {
        assertThat(Posix.waitReadable(fd, 10_000)).isTrue();
        byte[] buf = new byte[256];
        int n = Posix.read(fd, buf, 0, buf.length);
        return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.UTF_8);
    }

    private static void assertListenerFlags(int fd) {
        assertThat(Posix.isCloexec(fd)).as("close-on-exec").isTrue();
        assertThat(Posix.isNonBlocking(fd)).as("non-blocking").isTrue();
    }

    @Test
    void inetV4ListenAcceptAndAddresses() throws Exception {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        int l = Posix.inetListen(lo, 0, 16, 0);
        try {
            assertListenerFlags(l);
            assertThat(Posix.getIntOption(l, Posix.SOL_SOCKET, Posix.SO_REUSEADDR)).isEqualTo(1);
            assertThat(Posix.getIntOption(l, Posix.SOL_SOCKET, Posix.SO_REUSEPORT)).isEqualTo(1);
            PeerAddress local = Posix.getsockname(l);
            assertThat(local.address()).isEqualTo(lo);
            assertThat(local.port()).isPositive();
            assertThat(Posix.accept(l)).as("nothing waiting: EAGAIN as -1").isEqualTo(-1);
            try (Socket client = new Socket(lo, local.port())) {
                assertThat(Posix.waitReadable(l, 10_000)).isTrue();
                int a = Posix.accept(l);
                assertThat(a).isGreaterThanOrEqualTo(0);
                assertListenerFlags(a);
                PeerAddress peer = Posix.getpeername(a);
                assertThat(peer.toInetSocketAddress()).isEqualTo(client.getLocalSocketAddress());
                assertThat(peer.toString()).isEqualTo("127.0.0.1:" + client.getLocalPort());
                assertThat(Posix.write(a, "hello".getBytes(StandardCharsets.US_ASCII), 0, 5)).isEqualTo(5);
                Posix.close(a);
                try (InputStream in = client.getInputStream()) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("hello");
                }
            }
        } finally {
            Posix.close(l);
        }
    }

    @Test
    void inetWindowSizeAndAddressInUse() throws Exception {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        int l = Posix.inetListen(lo, 0, 16, 65536);
        try {
            assertThat(Posix.getIntOption(l, Posix.SOL_SOCKET, Posix.SO_RCVBUF)).isGreaterThanOrEqualTo(65536);
            assertThat(Posix.getIntOption(l, Posix.SOL_SOCKET, Posix.SO_SNDBUF)).isGreaterThanOrEqualTo(65536);
        } finally {
            Posix.close(l);
        }
        try (ServerSocket taken = new ServerSocket(0, 1, lo)) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> Posix.inetListen(lo, port, 16, 0))
                    .isInstanceOfSatisfying(NativeException.class, e -> {
                        assertThat(e.errno()).isEqualTo(Posix.EADDRINUSE);
                        assertThat(e.getMessage()).isEqualTo("bind 127.0.0.1:" + port + ": Address already in use");
                    });
        }
    }

    @Test
    void inetV6Listener() throws Exception {
        InetAddress lo6 = InetAddress.getByName("::1");
        int l;
        try {
            l = Posix.inetListen(lo6, 0, 16, 0);
        } catch (NativeException e) {
            assumeThat(e.errno()).as("IPv6 loopback available").isNotIn(Posix.EADDRNOTAVAIL, Posix.EAFNOSUPPORT);
            throw e;
        }
        try {
            assertListenerFlags(l);
            assertThat(Posix.getIntOption(l, Posix.IPPROTO_IPV6, Posix.IPV6_V6ONLY)).isEqualTo(1);
            PeerAddress local = Posix.getsockname(l);
            assertThat(local.family()).isEqualTo(Posix.AF_INET6);
            assertThat(local.address()).isInstanceOf(Inet6Address.class).isEqualTo(lo6);
            assertThat(local.toString()).isEqualTo("[0:0:0:0:0:0:0:1]:" + local.port());
            try (Socket client = new Socket(lo6, local.port())) {
                assertThat(Posix.waitReadable(l, 10_000)).isTrue();
                int a = Posix.accept(l);
                assertThat(Posix.getpeername(a).port()).isEqualTo(client.getLocalPort());
                Posix.close(a);
            }
            // v6-only: the same port on 127.0.0.1 is free for an IPv4 listener (Postfix listens on both)
            int v4 = Posix.inetListen(InetAddress.getByName("127.0.0.1"), local.port(), 16, 0);
            Posix.close(v4);
        } finally {
            Posix.close(l);
        }
    }

    @Test
    void unixListenerReplacesFileAndIsWorldWritable(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("smtpd");
        Files.writeString(path, "stale");
        int l = Posix.unixListen(path.toString(), 16);
        try {
            assertListenerFlags(l);
            Posix.Stat st = Posix.lstat(path.toString());
            assertThat(st.isSocket()).isTrue();
            assertThat(st.permissions()).isEqualTo(0666);
            assertThat(Posix.getsockname(l).path()).isEqualTo(path.toString());
            try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                client.connect(UnixDomainSocketAddress.of(path));
                assertThat(Posix.waitReadable(l, 10_000)).isTrue();
                int a = Posix.accept(l);
                Posix.PeerCred cred = Posix.getsockoptPeercred(a);
                assertThat(cred).isEqualTo(new Posix.PeerCred(Posix.getpid(), Posix.geteuid(), Posix.getegid()));
                assertThat(Posix.getpeername(a).path()).isEmpty();
                Posix.close(a);
            }
            assertThatThrownBy(() -> Posix.unixListen(dir.resolve("x".repeat(120)).toString(), 1))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Posix.ENAMETOOLONG));
        } finally {
            Posix.close(l);
        }
    }

    @Test
    void unixDgramAndSyslogSocket(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("log");
        int l = Posix.unixDgramBind(path.toString());
        try {
            assertListenerFlags(l);
            assertThat(Posix.lstat(path.toString()).permissions()).isEqualTo(0666);
            int c = Posix.unixDgramConnect(path.toString());
            assertThat(Posix.isCloexec(c)).isTrue();
            Posix.write(c, "W".getBytes(StandardCharsets.US_ASCII), 0, 1);
            assertThat(readSome(l)).isEqualTo("W");
            Posix.close(c);

            SyslogSocket syslog = SyslogSocket.open(path.toString());
            assertThat(syslog).isNotNull();
            assertThat(syslog.send("<22>postfix/master[1]: daemon started".getBytes(StandardCharsets.US_ASCII))).isTrue();
            assertThat(readSome(l)).isEqualTo("<22>postfix/master[1]: daemon started");
            // the daemon restarts: a new socket at the same path; the transport reconnects once
            Posix.close(l);
            l = Posix.unixDgramBind(path.toString());
            assertThat(syslog.send("again".getBytes(StandardCharsets.US_ASCII))).isTrue();
            assertThat(readSome(l)).isEqualTo("again");
            syslog.close();
            assertThat(SyslogSocket.open(dir.resolve("nothing").toString())).isNull();
        } finally {
            Posix.close(l);
        }
    }

    /** Postfix's fifo_listen: mode as asked despite the umask, a FIFO, never EOF; a wakeup "W" arrives. */
    @Test
    void fifoListener(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("pickup");
        int old = Posix.umask(077);
        int l;
        try {
            l = Posix.fifoListen(path.toString(), 0622);
        } finally {
            Posix.umask(old);
        }
        try {
            assertListenerFlags(l);
            Posix.Stat st = Posix.lstat(path.toString());
            assertThat(st.isFifo()).isTrue();
            assertThat(st.permissions()).isEqualTo(0622);
            byte[] buf = new byte[16];
            assertThat(Posix.read(l, buf, 0, buf.length)).as("empty: EAGAIN, not EOF").isEqualTo(-1);
            int w = Posix.open(path.toString(), Posix.O_WRONLY | Posix.O_NONBLOCK | Posix.O_NOFOLLOW, 0);
            Posix.write(w, new byte[] {'W'}, 0, 1);
            Posix.close(w);
            assertThat(readSome(l)).isEqualTo("W");
            assertThat(Posix.read(l, buf, 0, buf.length)).as("writer gone: still no EOF").isEqualTo(-1);
        } finally {
            Posix.close(l);
        }
    }

    /** Wakeup triggers: unix and inet connects with timeout, refused and missing targets, a full backlog. */
    @Test
    void triggerConnects(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("qmgr");
        int ul = Posix.unixListen(path.toString(), 16);
        int il = Posix.inetListen(InetAddress.getByName("127.0.0.1"), 0, 16, 0);
        int port = Posix.getsockname(il).port();
        try {
            int c = Posix.unixConnect(path.toString(), 1000);
            assertThat(Posix.isCloexec(c)).isTrue();
            Posix.write(c, new byte[] {'W', 0}, 0, 2);
            Posix.close(c);
            assertThat(Posix.waitReadable(ul, 10_000)).isTrue();
            int a = Posix.accept(ul);
            assertThat(readSome(a)).isEqualTo("W\0");
            Posix.close(a);

            c = Posix.inetConnect(InetAddress.getByName("127.0.0.1"), port, 1000);
            Posix.write(c, new byte[] {'W', 0}, 0, 2);
            Posix.close(c);
            assertThat(Posix.waitReadable(il, 10_000)).isTrue();
            a = Posix.accept(il);
            assertThat(readSome(a)).isEqualTo("W\0");
            Posix.close(a);

            // the loop's way: start the connect, wait for POLLOUT, read SO_ERROR
            c = Posix.connectInet(InetAddress.getByName("127.0.0.1"), port);
            assertThat(Posix.waitWritable(c, 10_000)).isTrue();
            assertThat(Posix.socketError(c)).isZero();
            Posix.close(c);
            c = Posix.connectUnix(path.toString());
            Posix.close(c);
        } finally {
            Posix.close(ul);
            Posix.close(il);
        }
        // nobody listens any more
        assertThatThrownBy(() -> Posix.inetConnect(InetAddress.getByName("127.0.0.1"), port, 1000))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Posix.ECONNREFUSED);
                    assertThat(e.getMessage()).isEqualTo("connect 127.0.0.1:" + port + ": Connection refused");
                });
        assertThatThrownBy(() -> Posix.unixConnect(path.toString(), 1000))
                .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Posix.ECONNREFUSED));
        assertThatThrownBy(() -> Posix.unixConnect(dir.resolve("none").toString(), 1000))
                .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Posix.ENOENT));
    }

    /** Backlog full: connectUnix fails at once with EAGAIN; unixConnect waits until the listener accepts, or times out. */
    @Test
    void unixConnectWaitsForBacklog(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("full");
        int l = Posix.unixListen(path.toString(), 0);
        int first = Posix.connectUnix(path.toString());
        try {
            assertThatThrownBy(() -> Posix.connectUnix(path.toString()))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Posix.EAGAIN));
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> Posix.unixConnect(path.toString(), 200))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Posix.ETIMEDOUT));
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(150_000_000L);

            CompletableFuture<Integer> later = CompletableFuture.supplyAsync(() -> {
                try {
                    Thread.sleep(100);
                    return Posix.accept(l);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            int second = Posix.unixConnect(path.toString(), 10_000);
            Posix.close(later.get(10, TimeUnit.SECONDS));
            Posix.close(second);
        } finally {
            Posix.close(first);
            Posix.close(l);
        }
    }

    /** Pass triggers: a descriptor sent with SCM_RIGHTS arrives close-on-exec and works. */
    @Test
    void sendFdOverSocketpairAndListener(@TempDir Path dir) throws Exception {
        int[] sp = Posix.socketpair();
        int[] pipe = Posix.pipe2(false);
        assertThat(Posix.sendFd(sp[0], pipe[0], "x".getBytes(StandardCharsets.US_ASCII))).isEqualTo(1);
        byte[] buf = new byte[8];
        Posix.ReceivedFd got = Posix.recvFd(sp[1], buf);
        assertThat(got.bytes()).isEqualTo(1);
        assertThat(buf[0]).isEqualTo((byte) 'x');
        assertThat(got.fd()).isNotNegative().isNotEqualTo(pipe[0]);
        assertThat(Posix.isCloexec(got.fd())).isTrue();
        assertThat(Proc.self(got.fd())).isEqualTo(Proc.self(pipe[0]));
        Posix.write(pipe[1], "W\0".getBytes(StandardCharsets.US_ASCII), 0, 2);
        Posix.close(pipe[1]);
        assertThat(Proc.readAll(got.fd())).isEqualTo("W\0");
        Posix.close(got.fd());
        Posix.close(pipe[0]);

        // no descriptor: fd -1; empty data still carries one byte
        Posix.write(sp[0], new byte[] {'y'}, 0, 1);
        assertThat(Posix.recvFd(sp[1], buf)).isEqualTo(new Posix.ReceivedFd(1, -1));
        int[] p2 = Posix.pipe2(false);
        assertThat(Posix.sendFd(sp[0], p2[1], new byte[0])).isEqualTo(1);
        Posix.ReceivedFd got2 = Posix.recvFd(sp[1], buf);
        assertThat(got2.fd()).isNotNegative();
        Posix.close(got2.fd());
        Posix.close(p2[0]);
        Posix.close(p2[1]);
        Posix.close(sp[0]);
        Posix.close(sp[1]);

        // over a pass listener, as the master's wakeup of a pass service does
        Path path = dir.resolve("pass");
        int l = Posix.unixListen(path.toString(), 4);
        int c = Posix.connectUnix(path.toString());
        int[] p3 = Posix.pipe2(false);
        Posix.sendFd(c, p3[0], new byte[] {0});
        assertThat(Posix.waitReadable(l, 10_000)).isTrue();
        int a = Posix.accept(l);
        assertThat(Posix.waitReadable(a, 10_000)).isTrue();
        Posix.ReceivedFd got3 = Posix.recvFd(a, buf);
        assertThat(Proc.self(got3.fd())).isEqualTo(Proc.self(p3[0]));
        for (int fd : new int[] {got3.fd(), a, c, l, p3[0], p3[1]}) {
            Posix.close(fd);
        }
    }

    @Test
    void peerAddressToString() throws Exception {
        assertThat(new PeerAddress(Posix.AF_UNIX, null, 0, "").toString()).isEqualTo("(unnamed)");
        assertThat(new PeerAddress(Posix.AF_INET, InetAddress.getByName("10.1.2.3"), 25, null).toInetSocketAddress())
                .isEqualTo(new InetSocketAddress("10.1.2.3", 25));
    }
}
