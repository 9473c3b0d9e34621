package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fds.flock is flock(2): util-linux flock(1) (and Postfix's master -t) see it, and it sees theirs. */
class FlockTest {
    private static ExitStatus flockCommand(Path file) throws NativeException {
        return Proc.run(SpawnPlan.builder("/usr/bin/flock").argv("flock", "-n", file.toString(), "/bin/true").build());
    }

    @Test
    void ourLockStopsFlockCommand(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("master.pid");
        int fd = Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CREAT | Fds.O_NOFOLLOW, 0600);
        try {
            assertThat(Fds.flock(fd, Fds.LOCK_EX | Fds.LOCK_NB)).isTrue();
            assertThat(flockCommand(file)).extracting(ExitStatus::kind, ExitStatus::code)
                    .containsExactly(ExitStatus.Kind.EXITED, 1);
            // a second open file description in this very process conflicts too: flock, not fcntl, semantics
            int other = Fds.open(file.toString(), Fds.O_RDWR, 0);
            assertThat(Fds.flock(other, Fds.LOCK_EX | Fds.LOCK_NB)).isFalse();
            TestNative.close(other);

            assertThat(Fds.flock(fd, Fds.LOCK_UN)).isTrue();
            assertThat(flockCommand(file).success()).isTrue();
        } finally {
            TestNative.close(fd);
        }
    }

    @Test
    void flockCommandStopsOurLock(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("master.pid");
        // flock -o: the lock belongs to flock(1) itself, not to the sleep it runs; a process group to kill both
        int pid = Spawn.spawn(SpawnPlan.builder("/usr/bin/flock")
                .argv("flock", "-o", file.toString(), "/bin/sleep", "30").processGroup(0).build());
        int pidfd = Processes.pidfdOpen(pid);
        int fd = -1;
        try {
            long deadline = System.nanoTime() + 10_000_000_000L;
            boolean blocked = false;
            while (!blocked && System.nanoTime() < deadline) {
                if (fd < 0) {
                    try {
                        fd = Fds.open(file.toString(), Fds.O_RDWR, 0);
                    } catch (NativeException notYet) {
                        Thread.sleep(10);
                        continue;
                    }
                }
                if (Fds.flock(fd, Fds.LOCK_EX | Fds.LOCK_NB)) {
                    Fds.flock(fd, Fds.LOCK_UN); // flock(1) has not taken it yet
                    Thread.sleep(10);
                } else {
                    blocked = true;
                }
            }
            assertThat(blocked).as("flock(1)'s lock is visible to flock(2)").isTrue();
        } finally {
            TestNative.killpg(pid, Signals.SIGKILL);
            Proc.reap(pidfd);
        }
        // flock(1)'s child may still hold the descriptor for a moment (killed between fork and its
        // close for -o): it dies with the group, but later than the reaped flock(1) itself
        int locked = fd;
        await().atMost(Duration.ofSeconds(10)).until(() -> Fds.flock(locked, Fds.LOCK_EX | Fds.LOCK_NB));
        TestNative.close(fd);
    }
}
