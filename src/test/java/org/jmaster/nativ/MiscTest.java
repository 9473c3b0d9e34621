package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Descriptors, files, identity, limits, users, messages. */
class MiscTest {
    @Test
    void messagesAndSignalNames() {
        assertThat(Errno.strerror(Errno.ENOENT)).isEqualTo("No such file or directory");
        assertThat(Errno.strerror(Errno.EAGAIN)).isEqualTo("Resource temporarily unavailable");
        assertThat(Errno.strerror(4000)).isEqualTo("Unknown error 4000");
        assertThat(Signals.strsignal(Signals.SIGHUP)).isEqualTo("Hangup");
        assertThat(Signals.name(Signals.SIGHUP)).isEqualTo("HUP");
        assertThat(Signals.name(Signals.SIGCHLD)).isEqualTo("CHLD");
        assertThat(Signals.name(36)).isEqualTo("RTMIN+2");
        assertThat(Signals.number("SIGTERM")).isEqualTo(15);
        assertThat(Signals.number("term")).isEqualTo(15);
        assertThat(Signals.number("nope")).isEqualTo(-1);
        assertThat(Signals.isCatchable(Signals.SIGKILL)).isFalse();
        NativeException e = new NativeException("bind", "/x", Errno.EADDRINUSE);
        assertThat(e).hasMessage("bind /x: Address already in use");
        assertThat(new UncheckedNativeException(e).errno()).isEqualTo(Errno.EADDRINUSE);
        assertThat(new NativeException("setsid", Errno.EPERM)).hasMessage("setsid: Operation not permitted");
    }

    @Test
    void identity() {
        assertThat((long) Processes.getpid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(TestNative.getppid()).isPositive();
        assertThat(Users.getuid()).isEqualTo(Integer.parseInt(Proc.status("self", "Uid").split("\\s+")[0]));
        assertThat(Users.geteuid()).isEqualTo(Integer.parseInt(Proc.status("self", "Uid").split("\\s+")[1]));
        assertThat(Users.getgid()).isEqualTo(Integer.parseInt(Proc.status("self", "Gid").split("\\s+")[0]));
        assertThat(Users.getegid()).isEqualTo(Integer.parseInt(Proc.status("self", "Gid").split("\\s+")[1]));
        assertThat(TestNative.getpgrp()).isEqualTo(Proc.pgrp(Processes.getpid()));
        // setsid is exercised in a child JVM (SignalResetTest): here it would detach the test JVM
    }

    @Test
    void umaskAndLimits() throws Exception {
        int old = Processes.umask(077);
        try {
            assertThat(Processes.umask(077)).isEqualTo(077);
        } finally {
            Processes.umask(old);
        }
        Processes.Rlimit r = Processes.getrlimit(Processes.RLIMIT_NOFILE);
        assertThat(r.soft()).isPositive().isLessThanOrEqualTo(r.hard());
        assertThat(Processes.raiseNofileLimit()).isEqualTo(r.hard());
        assertThat(Processes.getrlimit(Processes.RLIMIT_NOFILE).soft()).isEqualTo(r.hard());
        // children inherit it
        int[] out = Fds.pipe(false);
        int pid = Spawn.spawn(SpawnPlan.builder("/bin/sh").argv("sh", "-c", "ulimit -Sn").dup2(out[1], 1).build());
        TestNative.close(out[1]);
        Proc.reap(Processes.pidfdOpen(pid));
        assertThat(Proc.readAll(out[0]).trim()).isEqualTo(Long.toString(r.hard()));
        TestNative.close(out[0]);
        Processes.setrlimit(Processes.RLIMIT_CORE, 0, Processes.getrlimit(Processes.RLIMIT_CORE).hard());
        assertThat(Processes.getrlimit(Processes.RLIMIT_CORE).soft()).isZero();
    }

    @Test
    void usersAndGroups() {
        Users.Passwd root = Users.getpwnam("root").orElseThrow();
        assertThat(root).isEqualTo(new Users.Passwd("root", 0, 0, "/root", root.shell()));
        assertThat(Users.getpwnam("nobody").orElseThrow().uid()).isEqualTo(65534);
        assertThat(Users.getpwnam("no-such-user-jmaster")).isEmpty();
        assertThat(Users.getgrnam("root").orElseThrow().gid()).isZero();
        assertThat(Users.getgrnam("no-such-group-jmaster")).isEmpty();
    }

    @Test
    void descriptorFlags() throws Exception {
        int fd = Fds.open("/dev/null", Fds.O_RDWR, 0);
        assertThat(TestNative.isCloexec(fd)).isTrue();
        assertThat(TestNative.isNonBlocking(fd)).isFalse();
        Fds.setNonBlocking(fd, true);
        assertThat(TestNative.isNonBlocking(fd)).isTrue();
        assertThat(Fds.fileStatusFlags(fd) & 3).isEqualTo(Fds.O_RDWR);
        int d = Fds.dup(fd);
        assertThat(d).isNotEqualTo(fd);
        assertThat(TestNative.isCloexec(d)).isTrue();
        assertThat(TestNative.isNonBlocking(d)).as("status flags are shared by dups").isTrue();
        int hi = Fds.dupAbove(fd, 100);
        assertThat(hi).isGreaterThanOrEqualTo(100);
        Fds.setCloexec(hi, false);
        assertThat(TestNative.isCloexec(hi)).isFalse();
        assertThat(TestNative.listOpenFds()).contains(fd, d, hi);
        for (int x : new int[] {fd, d, hi}) {
            TestNative.close(x);
        }
        assertThat(TestNative.listOpenFds()).doesNotContain(hi);
        assertThatThrownBy(() -> TestNative.close(hi))
                .isInstanceOfSatisfying(UncheckedNativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
        Fds.closeQuietly(hi);
        Fds.closeQuietly(-1);

        int[] p = Fds.pipe(true);
        int[] s = Sockets.socketpair();
        for (int x : new int[] {p[0], p[1], s[0], s[1]}) {
            assertThat(TestNative.isCloexec(x)).isTrue();
        }
        assertThat(TestNative.isNonBlocking(p[0])).isTrue();
        assertThat(TestNative.isNonBlocking(s[0])).isFalse();
        TestNative.close(s[0]);
        TestNative.close(s[1]);

        // read: -1 for EAGAIN, 0 at EOF; write: -1 when full, EPIPE without a reader
        byte[] buf = new byte[4096];
        assertThat(Fds.read(p[0], buf, 0, 10)).isEqualTo(-1);
        int total = 0;
        int n;
        while ((n = Fds.write(p[1], buf, 0, buf.length)) > 0) {
            total += n;
        }
        assertThat(n).isEqualTo(-1);
        assertThat(total).isGreaterThanOrEqualTo(4096);
        TestNative.close(p[1]);
        while (Fds.read(p[0], buf, 0, buf.length) > 0) {
            // drain
        }
        assertThat(Fds.read(p[0], buf, 0, buf.length)).isZero();
        int[] p2 = Fds.pipe(false);
        TestNative.close(p2[0]);
        Signals.ignoreSigpipe();
        assertThatThrownBy(() -> Fds.write(p2[1], buf, 0, 1))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EPIPE);
                    assertThat(e).hasMessage("write: Broken pipe");
                });
        assertThat(Fds.writeQuietly(p2[1], buf)).isFalse();
        TestNative.close(p2[1]);
        assertThatThrownBy(() -> Fds.readNonBlocking(p[1], buf, 0, 1))
                .isInstanceOfSatisfying(UncheckedNativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
        TestNative.close(p[0]);
    }

    @Test
    void redirectToDevNull() throws Exception {
        int[] p = Fds.pipe(false);
        int fd = Fds.dupAbove(p[1], 50);
        Fds.redirectToDevNull(fd);
        assertThat(Proc.self(fd)).isEqualTo("/dev/null");
        assertThat(TestNative.isCloexec(fd)).as("like 0-2 it is meant to be inherited").isFalse();
        for (int x : new int[] {fd, p[0], p[1]}) {
            TestNative.close(x);
        }
    }

    @Test
    void filesAndModes(@TempDir Path dir) throws Exception {
        String fifo = dir.resolve("f").toString();
        TestNative.mkfifo(fifo, 0600);
        assertThat(Inodes.lstat(fifo).isFifo()).isTrue();
        TestNative.chmod(fifo, 0622);
        assertThat(Inodes.lstat(fifo).permissions()).isEqualTo(0622);
        if (Users.geteuid() == 0) {
            TestNative.chown(fifo, 65534, 65534);
            assertThat(Inodes.lstat(fifo).uid()).isEqualTo(65534);
        }
        assertThatThrownBy(() -> TestNative.mkfifo(fifo, 0600))
                .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e).hasMessage("mkfifo " + fifo + ": File exists"));
        TestNative.unlink(fifo);
        assertThat(TestNative.unlinkIfExists(fifo)).isFalse();

        String file = dir.resolve("pid").toString();
        int fd = Fds.open(file, Fds.O_RDWR | Fds.O_CREAT | Fds.O_NOFOLLOW, 0600);
        Fds.pwrite(fd, "      42\n".getBytes(StandardCharsets.US_ASCII), 0);
        Fds.pwrite(fd, "7".getBytes(StandardCharsets.US_ASCII), 7);
        assertThat(Files.readString(Path.of(file))).isEqualTo("      47\n");
        Inodes.fchmod(fd, 0644);
        Inodes.Stat st = Inodes.fstat(fd);
        assertThat(st.isRegular()).isTrue();
        assertThat(st.permissions()).isEqualTo(0644);
        assertThat(st.size()).isEqualTo(9);
        assertThat(st.nlink()).isEqualTo(1);
        if (Users.geteuid() == 0) {
            Inodes.fchown(fd, 65534, 0);
            assertThat(Inodes.fstat(fd).uid()).isEqualTo(65534);
        }
        TestNative.close(fd);
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of(file));
        assertThatThrownBy(() -> Fds.open(link.toString(), Fds.O_RDWR | Fds.O_NOFOLLOW, 0))
                .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ELOOP));
    }

    /** seteuid/setegid: create a file as mail_owner (here nobody), then come back to root. */
    @Test
    void effectiveIdsCreateFilesAsAnotherUser(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.geteuid() == 0, "needs root");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        String file = dir.resolve("owned").toString();
        int fd;
        TestNative.setegid(65534);
        try {
            TestNative.seteuid(65534);
            try {
                assertThat(Users.geteuid()).isEqualTo(65534);
                fd = Fds.open(file, Fds.O_RDWR | Fds.O_CREAT | Fds.O_EXCL, 0600);
            } finally {
                TestNative.seteuid(0);
            }
        } finally {
            TestNative.setegid(0);
        }
        assertThat(Users.geteuid()).isZero();
        assertThat(Users.getegid()).isZero();
        Inodes.Stat st = Inodes.fstat(fd);
        assertThat(st.uid()).isEqualTo(65534);
        assertThat(st.gid()).isEqualTo(65534);
        TestNative.close(fd);
    }

    /** resetToDefault only undoes SIG_IGN; it never replaces a handler (no window where HUP would kill). */
    @Test
    void resetToDefaultOnlyUndoesIgnore() {
        assertThat(Signals.disposition(Signals.SIGWINCH)).isZero();
        assertThat(Signals.resetToDefault(Signals.SIGWINCH)).isFalse();
        Signals.ignore(Signals.SIGWINCH);
        assertThat(Signals.isIgnored(Signals.SIGWINCH)).isTrue();
        assertThat(Proc.hexField("self", "SigIgn") & (1L << (Signals.SIGWINCH - 1))).isNotZero();
        assertThat(Signals.resetToDefault(Signals.SIGWINCH)).isTrue();
        assertThat(Signals.disposition(Signals.SIGWINCH)).isZero();
        // the JVM's own HUP handler (shutdown hooks) stays installed
        long hup = Signals.disposition(Signals.SIGHUP);
        assertThat(Signals.resetToDefault(Signals.SIGHUP)).isFalse();
        assertThat(Signals.disposition(Signals.SIGHUP)).isEqualTo(hup);
        Signals.ignoreSigpipe();
        assertThat(Signals.isIgnored(Signals.SIGPIPE)).isTrue();
    }
}
