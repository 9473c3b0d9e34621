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
        assertThat(Posix.strerror(Posix.ENOENT)).isEqualTo("No such file or directory");
        assertThat(Posix.strerror(Posix.EAGAIN)).isEqualTo("Resource temporarily unavailable");
        assertThat(Posix.strerror(4000)).isEqualTo("Unknown error 4000");
        assertThat(Signals.strsignal(Signals.SIGHUP)).isEqualTo("Hangup");
        assertThat(Signals.name(Signals.SIGHUP)).isEqualTo("HUP");
        assertThat(Signals.name(Signals.SIGCHLD)).isEqualTo("CHLD");
        assertThat(Signals.name(36)).isEqualTo("RTMIN+2");
        assertThat(Signals.number("SIGTERM")).isEqualTo(15);
        assertThat(Signals.number("term")).isEqualTo(15);
        assertThat(Signals.number("nope")).isEqualTo(-1);
        assertThat(Signals.isCatchable(Signals.SIGKILL)).isFalse();
        NativeException e = new NativeException("bind", "/x", Posix.EADDRINUSE);
        assertThat(e).hasMessage("bind /x: Address already in use");
        assertThat(new UncheckedNativeException(e).errno()).isEqualTo(Posix.EADDRINUSE);
        assertThat(new NativeException("setsid", Posix.EPERM)).hasMessage("setsid: Operation not permitted");
    }

    @Test
    void identity() {
        assertThat((long) Posix.getpid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(Posix.getppid()).isPositive();
        assertThat(Posix.getuid()).isEqualTo(Integer.parseInt(Proc.status("self", "Uid").split("\\s+")[0]));
        assertThat(Posix.geteuid()).isEqualTo(Integer.parseInt(Proc.status("self", "Uid").split("\\s+")[1]));
        assertThat(Posix.getgid()).isEqualTo(Integer.parseInt(Proc.status("self", "Gid").split("\\s+")[0]));
        assertThat(Posix.getegid()).isEqualTo(Integer.parseInt(Proc.status("self", "Gid").split("\\s+")[1]));
        assertThat(Posix.getpgrp()).isEqualTo(Proc.pgrp(Posix.getpid()));
        // setsid is exercised in a child JVM (SignalResetTest): here it would detach the test JVM
    }

    @Test
    void umaskAndLimits() throws Exception {
        int old = Posix.umask(077);
        try {
            assertThat(Posix.umask(077)).isEqualTo(077);
        } finally {
            Posix.umask(old);
        }
        Posix.Rlimit r = Posix.getrlimit(Posix.RLIMIT_NOFILE);
        assertThat(r.soft()).isPositive().isLessThanOrEqualTo(r.hard());
        assertThat(Posix.raiseNofileLimit()).isEqualTo(r.hard());
        assertThat(Posix.getrlimit(Posix.RLIMIT_NOFILE).soft()).isEqualTo(r.hard());
        // children inherit it
        int[] out = Posix.pipe2(false);
        int pid = Posix.spawn(SpawnPlan.builder("/bin/sh").argv("sh", "-c", "ulimit -Sn").dup2(out[1], 1).build());
        Posix.close(out[1]);
        Proc.reap(Posix.pidfdOpen(pid));
        assertThat(Proc.readAll(out[0]).trim()).isEqualTo(Long.toString(r.hard()));
        Posix.close(out[0]);
        Posix.setrlimit(Posix.RLIMIT_CORE, 0, Posix.getrlimit(Posix.RLIMIT_CORE).hard());
        assertThat(Posix.getrlimit(Posix.RLIMIT_CORE).soft()).isZero();
    }

    @Test
    void usersAndGroups() {
        Posix.Passwd root = Posix.getpwnam("root").orElseThrow();
        assertThat(root).isEqualTo(new Posix.Passwd("root", 0, 0, "/root", root.shell()));
        assertThat(Posix.getpwnam("nobody").orElseThrow().uid()).isEqualTo(65534);
        assertThat(Posix.getpwnam("no-such-user-jmaster")).isEmpty();
        assertThat(Posix.getgrnam("root").orElseThrow().gid()).isZero();
        assertThat(Posix.getgrnam("no-such-group-jmaster")).isEmpty();
    }

    @Test
    void descriptorFlags() throws Exception {
        int fd = Posix.open("/dev/null", Posix.O_RDWR, 0);
        assertThat(Posix.isCloexec(fd)).isTrue();
        assertThat(Posix.isNonBlocking(fd)).isFalse();
        Posix.setNonBlocking(fd, true);
        assertThat(Posix.isNonBlocking(fd)).isTrue();
        assertThat(Posix.fileStatusFlags(fd) & 3).isEqualTo(Posix.O_RDWR);
        int d = Posix.dup(fd);
        assertThat(d).isNotEqualTo(fd);
        assertThat(Posix.isCloexec(d)).isTrue();
        assertThat(Posix.isNonBlocking(d)).as("status flags are shared by dups").isTrue();
        int hi = Posix.dupAbove(fd, 100);
        assertThat(hi).isGreaterThanOrEqualTo(100);
        Posix.setCloexec(hi, false);
        assertThat(Posix.isCloexec(hi)).isFalse();
        assertThat(Posix.listOpenFds()).contains(fd, d, hi);
        for (int x : new int[] {fd, d, hi}) {
            Posix.close(x);
        }
        assertThat(Posix.listOpenFds()).doesNotContain(hi);
        assertThatThrownBy(() -> Posix.close(hi))
                .isInstanceOfSatisfying(UncheckedNativeException.class, e -> assertThat(e.errno()).isEqualTo(Posix.EBADF));
        Posix.closeQuietly(hi);
        Posix.closeQuietly(-1);

        int[] p = Posix.pipe2(true);
        int[] s = Posix.socketpair();
        for (int x : new int[] {p[0], p[1], s[0], s[1]}) {
            assertThat(Posix.isCloexec(x)).isTrue();
        }
        assertThat(Posix.isNonBlocking(p[0])).isTrue();
        assertThat(Posix.isNonBlocking(s[0])).isFalse();
        Posix.close(s[0]);
        Posix.close(s[1]);

        // read: -1 for EAGAIN, 0 at EOF; write: -1 when full, EPIPE without a reader
        byte[] buf = new byte[4096];
        assertThat(Posix.read(p[0], buf, 0, 10)).isEqualTo(-1);
        int total = 0;
        int n;
        while ((n = Posix.write(p[1], buf, 0, buf.length)) > 0) {
            total += n;
        }
        assertThat(n).isEqualTo(-1);
        assertThat(total).isGreaterThanOrEqualTo(4096);
        Posix.close(p[1]);
        while (Posix.read(p[0], buf, 0, buf.length) > 0) {
            // drain
        }
        assertThat(Posix.read(p[0], buf, 0, buf.length)).isZero();
        int[] p2 = Posix.pipe2(false);
        Posix.close(p2[0]);
        Posix.ignoreSigpipe();
        assertThatThrownBy(() -> Posix.write(p2[1], buf, 0, 1))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Posix.EPIPE);
                    assertThat(e).hasMessage("write: Broken pipe");
                });
        assertThat(Posix.writeQuietly(p2[1], buf)).isFalse();
        Posix.close(p2[1]);
        assertThatThrownBy(() -> Posix.readNonBlocking(p[1], buf, 0, 1))
                .isInstanceOfSatisfying(UncheckedNativeException.class, e -> assertThat(e.errno()).isEqualTo(Posix.EBADF));
        Posix.close(p[0]);
    }

    @Test
    void redirectToDevNull() throws Exception {
        int[] p = Posix.pipe2(false);
        int fd = Posix.dupAbove(p[1], 50);
        Posix.redirectToDevNull(fd);
        assertThat(Proc.self(fd)).isEqualTo("/dev/null");
        assertThat(Posix.isCloexec(fd)).as("like 0-2 it is meant to be inherited").isFalse();
        for (int x : new int[] {fd, p[0], p[1]}) {
            Posix.close(x);
        }
    }

    @Test
    void filesAndModes(@TempDir Path dir) throws Exception {
        String fifo = dir.resolve("f").toString();
        Posix.mkfifo(fifo, 0600);
        assertThat(Posix.lstat(fifo).isFifo()).isTrue();
        Posix.chmod(fifo, 0622);
        assertThat(Posix.lstat(fifo).permissions()).isEqualTo(0622);
        if (Posix.geteuid() == 0) {
            Posix.chown(fifo, 65534, 65534);
            assertThat(Posix.lstat(fifo).uid()).isEqualTo(65534);
        }
        assertThatThrownBy(() -> Posix.mkfifo(fifo, 0600))
                .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e).hasMessage("mkfifo " + fifo + ": File exists"));
        Posix.unlink(fifo);
        assertThat(Posix.unlinkIfExists(fifo)).isFalse();

        String file = dir.resolve("pid").toString();
        int fd = Posix.open(file, Posix.O_RDWR | Posix.O_CREAT | Posix.O_NOFOLLOW, 0600);
        Posix.pwrite(fd, "      42\n".getBytes(StandardCharsets.US_ASCII), 0);
        Posix.pwrite(fd, "7".getBytes(StandardCharsets.US_ASCII), 7);
        assertThat(Files.readString(Path.of(file))).isEqualTo("      47\n");
        Posix.fchmod(fd, 0644);
        Posix.Stat st = Posix.fstat(fd);
        assertThat(st.isRegular()).isTrue();
        assertThat(st.permissions()).isEqualTo(0644);
        assertThat(st.size()).isEqualTo(9);
        assertThat(st.nlink()).isEqualTo(1);
        if (Posix.geteuid() == 0) {
            Posix.fchown(fd, 65534, 0);
            assertThat(Posix.fstat(fd).uid()).isEqualTo(65534);
        }
        Posix.close(fd);
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of(file));
        assertThatThrownBy(() -> Posix.open(link.toString(), Posix.O_RDWR | Posix.O_NOFOLLOW, 0))
                .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Posix.ELOOP));
    }

    /** seteuid/setegid: create a file as mail_owner (here nobody), then come back to root. */
    @Test
    void effectiveIdsCreateFilesAsAnotherUser(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Posix.geteuid() == 0, "needs root");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        String file = dir.resolve("owned").toString();
        int fd;
        Posix.setegid(65534);
        try {
            Posix.seteuid(65534);
            try {
                assertThat(Posix.geteuid()).isEqualTo(65534);
                fd = Posix.open(file, Posix.O_RDWR | Posix.O_CREAT | Posix.O_EXCL, 0600);
            } finally {
                Posix.seteuid(0);
            }
        } finally {
            Posix.setegid(0);
        }
        assertThat(Posix.geteuid()).isZero();
        assertThat(Posix.getegid()).isZero();
        Posix.Stat st = Posix.fstat(fd);
        assertThat(st.uid()).isEqualTo(65534);
        assertThat(st.gid()).isEqualTo(65534);
        Posix.close(fd);
    }

    /** resetToDefault only undoes SIG_IGN; it never replaces a handler (no window where HUP would kill). */
    @Test
    void resetToDefaultOnlyUndoesIgnore() {
        assertThat(Posix.disposition(Signals.SIGWINCH)).isZero();
        assertThat(Posix.resetToDefault(Signals.SIGWINCH)).isFalse();
        Posix.ignoreSignal(Signals.SIGWINCH);
        assertThat(Posix.isIgnored(Signals.SIGWINCH)).isTrue();
        assertThat(Proc.hexField("self", "SigIgn") & (1L << (Signals.SIGWINCH - 1))).isNotZero();
        assertThat(Posix.resetToDefault(Signals.SIGWINCH)).isTrue();
        assertThat(Posix.disposition(Signals.SIGWINCH)).isZero();
        // the JVM's own HUP handler (shutdown hooks) stays installed
        long hup = Posix.disposition(Signals.SIGHUP);
        assertThat(Posix.resetToDefault(Signals.SIGHUP)).isFalse();
        assertThat(Posix.disposition(Signals.SIGHUP)).isEqualTo(hup);
        Posix.ignoreSigpipe();
        assertThat(Posix.isIgnored(Signals.SIGPIPE)).isTrue();
    }
}
