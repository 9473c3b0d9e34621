package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * posix_spawn with a descriptor plan: what a real child sees, read from /proc from the outside
 * (so the child's own start-up cannot disturb it), and what it can do with the descriptors.
 */
class SpawnTest {
    private static final int O_CLOEXEC = 02000000;
    private static final int O_NONBLOCK = 04000;

    @BeforeAll
    static void masterIgnoresSigpipe() {
        Signals.ignoreSigpipe();
    }

    /**
     * The Postfix layout (§3.1): 0–2 as planned, 3/4 a shared pipe, 5 a socketpair end, 6 and 7
     * listeners; nothing else crosses although this JVM has dozens of descriptors open; no target
     * is close-on-exec; O_NONBLOCK as the master set it; empty signal mask although the spawning
     * JVM thread blocks SIGQUIT; only SIGPIPE ignored although the JVM ignores two more signals at
     * spawn time; exact argv, environment and cwd; same session and process group.
     */
    @Test
    void childSeesExactlyItsPlan(@TempDir Path dir) throws Exception {
        int[] flow = Fds.pipe(true);
        int[] status = Sockets.socketpair();
        int[] out = Fds.pipe(false);
        int inet = Sockets.inetListen(InetAddress.getLoopbackAddress(), 0, 10, 0);
        int unix = TestNative.unixListen(dir.resolve("sock").toString(), 10);
        List<String> argv = List.of("fake name ✓", "60");
        List<String> env = List.of("MAIL_CONFIG=/etc/postfix", "GENERATION=21", "EMPTY=", "UTF8=grüß");
        assertThat(TestNative.listOpenFds().length).as("the JVM has many descriptors").isGreaterThan(8);
        long spawnThreadBlocked = Proc.hexField("thread-self", "SigBlk");

        // inherited SIG_IGN (nohup-style) must not reach the child: ignore two harmless signals meanwhile
        assertThat(Signals.disposition(Signals.SIGWINCH)).isEqualTo(0L);
        assertThat(Signals.disposition(Signals.SIGURG)).isEqualTo(0L);
        Signals.ignore(Signals.SIGWINCH);
        Signals.ignore(Signals.SIGURG);
        int pid;
        try {
            pid = Spawn.spawn(SpawnPlan.builder("/bin/sleep").argv(argv).env(env).cwd(dir.toString())
                    .open(0, "/dev/null", Fds.O_RDONLY)
                    .dup2(out[1], 1)
                    .open(2, "/dev/null", Fds.O_WRONLY)
                    .dup2(flow[0], 3).dup2(flow[1], 4)
                    .dup2(status[1], 5)
                    .dup2(inet, 6).dup2(unix, 7)
                    .build());
        } finally {
            Signals.resetToDefault(Signals.SIGWINCH);
            Signals.resetToDefault(Signals.SIGURG);
        }
        int pidfd = Processes.pidfdOpen(pid);
        try {
            Proc.awaitExec(pid);
            TreeMap<Integer, String> fds = Proc.fds(pid);
            assertThat(fds.keySet()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
            assertThat(fds.get(0)).isEqualTo("/dev/null");
            assertThat(fds.get(1)).isEqualTo(Proc.self(out[1])).startsWith("pipe:");
            assertThat(fds.get(2)).isEqualTo("/dev/null");
            assertThat(fds.get(3)).isEqualTo(Proc.self(flow[0])).startsWith("pipe:");
            assertThat(fds.get(4)).isEqualTo(Proc.self(flow[1])).isEqualTo(fds.get(3));
            assertThat(fds.get(5)).isEqualTo(Proc.self(status[1])).startsWith("socket:")
                    .isNotEqualTo(Proc.self(status[0]));
            assertThat(fds.get(6)).isEqualTo(Proc.self(inet)).startsWith("socket:");
            assertThat(fds.get(7)).isEqualTo(Proc.self(unix)).startsWith("socket:");
            for (int fd = 0; fd <= 7; fd++) {
                assertThat(Proc.fdFlags(pid, fd) & O_CLOEXEC).as("fd %d close-on-exec", fd).isZero();
            }
            for (int fd : new int[] {3, 4, 6, 7}) {
                assertThat(Proc.fdFlags(pid, fd) & O_NONBLOCK).as("fd %d non-blocking", fd).isNotZero();
            }
            assertThat(Proc.fdFlags(pid, 5) & O_NONBLOCK).as("status fd blocking").isZero();

            String p = Long.toString(pid);
            System.out.printf("spawning thread SigBlk=%016x; child SigBlk=%s SigIgn=%s%n",
                    spawnThreadBlocked, Proc.status(p, "SigBlk"), Proc.status(p, "SigIgn"));
            assertThat(Proc.hexField(p, "SigBlk")).isZero();
            assertThat(Proc.hexField(p, "SigIgn")).isEqualTo(1L << (Signals.SIGPIPE - 1)).isEqualTo(0x1000L);

            assertThat(Proc.cmdline(pid)).isEqualTo(argv);
            assertThat(Proc.environ(pid)).isEqualTo(env);
            assertThat(Proc.cwd(pid)).isEqualTo(dir.toRealPath().toString());
            assertThat(Proc.session(pid)).isEqualTo(Proc.session(Processes.getpid()));
            assertThat(Proc.pgrp(pid)).isEqualTo(TestNative.getpgrp());
        } finally {
            assertThat(TestNative.pidfdSendSignal(pidfd, Signals.SIGKILL)).isTrue();
            ExitStatus st = Proc.reap(pidfd);
            assertThat(st).isEqualTo(new ExitStatus(pid, ExitStatus.Kind.KILLED, Signals.SIGKILL));
            for (int fd : new int[] {flow[0], flow[1], status[0], status[1], out[0], out[1], inet, unix}) {
                TestNative.close(fd);
            }
        }
    }

    /** The same layout used for real by a Python child: it reads and writes 3/4/5 and accepts on 6 and 7. */
    @Test
    void childCanUseItsDescriptors(@TempDir Path dir) throws Exception {
        int[] flow = Fds.pipe(true);
        int[] status = Sockets.socketpair();
        int[] out = Fds.pipe(false);
        int inet = Sockets.inetListen(InetAddress.getLoopbackAddress(), 0, 10, 0);
        int port = Sockets.getsockname(inet).port();
        Path sock = dir.resolve("sock");
        int unix = TestNative.unixListen(sock.toString(), 10);
        // clients queue before the child exists, as on-demand spawning works
        Socket c6 = new Socket(InetAddress.getLoopbackAddress(), port);
        SocketChannel c7 = SocketChannel.open(StandardProtocolFamily.UNIX);
        c7.connect(UnixDomainSocketAddress.of(sock));
        Fds.write(flow[1], new byte[] {'x'}, 0, 1);
        String script = String.join("\n",
                "import os, select, socket",
                "got = os.read(3, 10).decode()",
                "os.write(4, b'flow')",
                "os.write(5, b'status')",
                "for fd in (6, 7):",
                "    s = socket.socket(fileno=fd)",
                "    select.select([s], [], [], 10)",
                "    c, _ = s.accept()",
                "    c.sendall(str(fd).encode())",
                "    c.close()",
                "    s.detach()",
                "print(got, os.getcwd(), flush=True)");
        int pid = Spawn.spawn(SpawnPlan.builder("/usr/bin/python3")
                .argv("python3", "-I", "-S", "-c", script)
                .env(List.of("LC_ALL=C.UTF-8"))
                .cwd(dir.toString())
                .open(0, "/dev/null", Fds.O_RDONLY).dup2(out[1], 1).dup2(2, 2)
                .dup2(flow[0], 3).dup2(flow[1], 4).dup2(status[1], 5).dup2(inet, 6).dup2(unix, 7)
                .build());
        TestNative.close(out[1]);
        ExitStatus st = Proc.reap(Processes.pidfdOpen(pid));
        assertThat(st.success()).as(st.toString()).isTrue();
        assertThat(Proc.readAll(out[0]).trim()).isEqualTo("x " + dir.toRealPath());
        byte[] buf = new byte[64];
        assertThat(new String(buf, 0, Fds.read(flow[0], buf, 0, buf.length), StandardCharsets.US_ASCII)).isEqualTo("flow");
        assertThat(new String(buf, 0, Fds.read(status[0], buf, 0, buf.length), StandardCharsets.US_ASCII)).isEqualTo("status");
        try (InputStream in = c6.getInputStream()) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("6");
        }
        ByteBuffer bb = ByteBuffer.allocate(8);
        while (c7.read(bb) >= 0) {
            // until the child closes
        }
        assertThat(new String(bb.array(), 0, bb.position(), StandardCharsets.US_ASCII)).isEqualTo("7");
        c7.close();
        c6.close();
        for (int fd : new int[] {flow[0], flow[1], status[0], status[1], out[0], inet, unix}) {
            TestNative.close(fd);
        }
    }

    /**
     * Plans the naive sequence of dup2s would get wrong: a swap (each source is the other's
     * target) and a descriptor planned at its own number (dup2(fd, fd) would leave it
     * close-on-exec). Also: every unplanned descriptor below the highest target is closed.
     */
    @Test
    void swapsAndSameNumberMappings() throws Exception {
        int[] p = Fds.pipe(false);
        int hi = Fds.dupAbove(p[1], 40);
        assertThat(TestNative.isCloexec(hi)).isTrue();
        int pid = Spawn.spawn(SpawnPlan.builder("/bin/sleep").argv("sleep", "60")
                .dup2(p[0], p[1]).dup2(p[1], p[0]).dup2(hi, hi).dup2(2, 2)
                .build());
        int pidfd = Processes.pidfdOpen(pid);
        try {
            Proc.awaitExec(pid);
            TreeMap<Integer, String> fds = Proc.fds(pid);
            assertThat(fds.keySet()).containsExactlyElementsOf(Proc.set(0, 1, 2, p[0], p[1], hi));
            assertThat(fds.get(p[0])).isEqualTo(Proc.self(p[1]));
            assertThat(fds.get(p[1])).isEqualTo(Proc.self(p[0]));
            assertThat(fds.get(hi)).isEqualTo(Proc.self(hi));
            assertThat(fds.get(2)).isEqualTo(Proc.self(2));
            for (int fd : fds.keySet()) {
                assertThat(Proc.fdFlags(pid, fd) & O_CLOEXEC).as("fd %d", fd).isZero();
            }
        } finally {
            TestNative.pidfdSendSignal(pidfd, Signals.SIGKILL);
            Proc.reap(pidfd);
        }
        // the temporaries the parent made for the swap and the same-number mapping are gone
        assertThat(TestNative.isCloexec(hi)).isTrue();
        TestNative.close(p[0]);
        TestNative.close(p[1]);
        TestNative.close(hi);
    }

    /** Exec and file-action failures come back as posix_spawn's errno; nothing leaks, no zombie stays. */
    @Test
    void failuresCarryTheRealErrno(@TempDir Path dir) throws Exception {
        Path plain = Files.writeString(dir.resolve("plain"), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(plain, PosixFilePermissions.fromString("rw-r--r--"));
        Path garbage = Files.write(dir.resolve("garbage"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        Files.setPosixFilePermissions(garbage, PosixFilePermissions.fromString("rwxr-xr-x"));
        int[] before = TestNative.listOpenFds();

        assertSpawnFails(SpawnPlan.builder("/nonexistent/prog").build(), Errno.ENOENT,
                "posix_spawn /nonexistent/prog: No such file or directory");
        assertSpawnFails(SpawnPlan.builder(plain.toString()).build(), Errno.EACCES,
                "posix_spawn " + plain + ": Permission denied");
        assertSpawnFails(SpawnPlan.builder(garbage.toString()).build(), Errno.ENOEXEC,
                "posix_spawn " + garbage + ": Exec format error");
        assertSpawnFails(SpawnPlan.builder(dir.toString()).build(), Errno.EACCES, null);
        assertSpawnFails(SpawnPlan.builder("/bin/true").cwd(dir.resolve("missing").toString()).build(),
                Errno.ENOENT, null);
        assertSpawnFails(SpawnPlan.builder("/bin/true").open(0, "/nonexistent/in", Fds.O_RDONLY).build(),
                Errno.ENOENT, null);
        assertSpawnFails(SpawnPlan.builder("/bin/true").dup2(987, 3).build(), Errno.EBADF, null);

        assertThat(TestNative.listOpenFds()).containsExactly(before);
        assertThat(Proc.zombieChildren()).isEmpty();
    }

    private static void assertSpawnFails(SpawnPlan plan, int errno, String message) {
        assertThatThrownBy(() -> Spawn.spawn(plan))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.errno()).as(e.getMessage()).isEqualTo(errno);
                    assertThat(e.call()).isEqualTo("posix_spawn");
                    if (message != null) {
                        assertThat(e.getMessage()).isEqualTo(message);
                    }
                });
    }

    @Test
    void sessionAndProcessGroup() throws Exception {
        int pid = Spawn.spawn(SpawnPlan.builder("/bin/sleep").argv("sleep", "60").newSession(true).build());
        int pidfd = Processes.pidfdOpen(pid);
        try {
            assertThat(Proc.session(pid)).isEqualTo(pid);
            assertThat(Proc.pgrp(pid)).isEqualTo(pid);
        } finally {
            TestNative.pidfdSendSignal(pidfd, Signals.SIGKILL);
            Proc.reap(pidfd);
        }
        pid = Spawn.spawn(SpawnPlan.builder("/bin/sleep").argv("sleep", "60").processGroup(0).build());
        pidfd = Processes.pidfdOpen(pid);
        try {
            assertThat(Proc.pgrp(pid)).isEqualTo(pid);
            assertThat(Proc.session(pid)).isEqualTo(Proc.session(Processes.getpid()));
            assertThat(TestNative.killpg(pid, Signals.SIGTERM)).isTrue();
            assertThat(Proc.reap(pidfd)).isEqualTo(new ExitStatus(pid, ExitStatus.Kind.KILLED, Signals.SIGTERM));
        } finally {
            Fds.closeQuietly(pidfd);
        }
    }

    /** Open actions create files in the child (here its stdout), with the mode given. */
    @Test
    void openActionRedirectsOutput(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("out");
        ExitStatus st = Proc.run(SpawnPlan.builder("/bin/echo").argv("echo", "hello", "world")
                .open(1, file.toString(), Fds.O_WRONLY | Fds.O_CREAT | Fds.O_TRUNC, 0640)
                .build());
        assertThat(st.success()).isTrue();
        assertThat(Files.readString(file)).isEqualTo("hello world\n");
        assertThat(Inodes.lstat(file.toString()).permissions() & ~0640).isZero();
    }

    @Test
    void builderRefusesBadPlans() {
        assertThatThrownBy(() -> SpawnPlan.builder("/bin/true").dup2(3, 5).dup2(4, 5).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5 planned twice");
        assertThatThrownBy(() -> SpawnPlan.builder("/bin/true").argv("a\0b").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NUL");
        assertThatThrownBy(() -> SpawnPlan.builder("/bin/true").argv(List.of()).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpawnPlan.builder("/bin/true").newSession(true).processGroup(0).build())
                .isInstanceOf(IllegalArgumentException.class);
        SpawnPlan plan = SpawnPlan.builder("/bin/true").dup2(10, 3).dup2(11, 6).open(0, "/dev/null", Fds.O_RDONLY | Fds.O_CLOEXEC).build();
        assertThat(plan.highestTarget()).isEqualTo(6);
        assertThat(plan.gaps()).containsExactly(4, 5);
        assertThat(plan.argv()).containsExactly("/bin/true");
        assertThat(plan.env()).isEmpty();
        assertThat(((SpawnPlan.Open) plan.fdActions().get(2)).flags()).isEqualTo(Fds.O_RDONLY);
    }

    /** A child with SIGPIPE ignored gets EPIPE instead of dying (what Postfix daemons expect). */
    @Test
    void childInheritsIgnoredSigpipe() throws Exception {
        int[] p = Fds.pipe(false);
        TestNative.close(p[0]);
        // the shell's own write to a pipe without reader fails with EPIPE; the shell survives and reports it
        int[] out = Fds.pipe(false);
        int pid = Spawn.spawn(SpawnPlan.builder("/bin/sh")
                .argv("sh", "-c", "echo x >&3; echo status=$? >&1")
                .dup2(p[1], 3).dup2(out[1], 1).open(2, "/dev/null", Fds.O_WRONLY).build());
        TestNative.close(out[1]);
        TestNative.close(p[1]);
        ExitStatus st = Proc.reap(Processes.pidfdOpen(pid));
        assertThat(st.success()).as(st.toString()).isTrue();
        assertThat(Proc.readAll(out[0]).trim()).isEqualTo("status=1");
        TestNative.close(out[0]);
    }

    /**
     * A plan may start the child with signals blocked (the detached master's JVM, which reads SIGCHLD
     * from a signalfd).
     */
    @Test
    void childStartsWithThePlansBlockedSignals() throws Exception {
        int[] out = Fds.pipe(false);
        // grep itself: a shell would clear its mask
        int pid = Spawn.spawn(SpawnPlan.builder("/bin/grep")
                .argv("grep", "SigBlk", "/proc/self/status")
                .dup2(out[1], 1).open(2, "/dev/null", Fds.O_WRONLY)
                .blockSignals(Signals.SIGCHLD, Signals.SIGUSR1).build());
        TestNative.close(out[1]);
        assertThat(Proc.reap(Processes.pidfdOpen(pid)).success()).isTrue();
        String line = Proc.readAll(out[0]).trim();
        TestNative.close(out[0]);
        assertThat(Long.parseUnsignedLong(line.substring("SigBlk:".length()).trim(), 16))
                .isEqualTo((1L << (Signals.SIGCHLD - 1)) | (1L << (Signals.SIGUSR1 - 1)));
        assertThatThrownBy(() -> SpawnPlan.builder("/bin/true").blockSignals(Signals.SIGKILL))
                .isInstanceOf(IllegalArgumentException.class);
        // this JVM's threads did not start with SIGCHLD blocked
        assertThat(SignalFd.blockedInEveryThread(Signals.SIGCHLD)).isFalse();
    }
}
