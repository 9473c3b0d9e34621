package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reaping by pidfd: exit codes, signals, WNOHANG before exit, pidfd readiness in a poll set. */
class ReapTest {
    private static SpawnPlan sh(String script) {
        return SpawnPlan.builder("/bin/sh").argv("sh", "-c", script).build();
    }

    @Test
    void exitCodes() throws Exception {
        int pid = Spawn.spawn(sh("exit 7"));
        assertThat(Proc.reap(Processes.pidfdOpen(pid))).isEqualTo(new ExitStatus(pid, ExitStatus.Kind.EXITED, 7));
        ExitStatus ok = Proc.run(SpawnPlan.builder("/bin/true").build());
        assertThat(ok.success()).isTrue();
        assertThat(ok.signaled()).isFalse();
    }

    @Test
    void killedBySignal() throws Exception {
        int pid = Spawn.spawn(sh("kill -KILL $$"));
        ExitStatus st = Proc.reap(Processes.pidfdOpen(pid));
        assertThat(st).isEqualTo(new ExitStatus(pid, ExitStatus.Kind.KILLED, Signals.SIGKILL));
        assertThat(st.signaled()).isTrue();
        assertThat(st.toString()).isEqualTo("pid " + pid + " killed by signal 9");
    }

    /** core_pattern is "core" here: with RLIMIT_CORE unlimited the kernel dumps into the cwd. */
    @Test
    void dumpedCore(@TempDir Path dir) throws Exception {
        int pid = Spawn.spawn(SpawnPlan.builder("/bin/sh").argv("sh", "-c", "ulimit -c unlimited; kill -SEGV $$")
                .cwd(dir.toString()).build());
        ExitStatus st = Proc.reap(Processes.pidfdOpen(pid));
        System.out.println("SIGSEGV with unlimited core: " + st);
        assertThat(st.signaled()).isTrue();
        assertThat(st.code()).isEqualTo(Signals.SIGSEGV);
        assertThat(st.kind()).isIn(ExitStatus.Kind.DUMPED, ExitStatus.Kind.KILLED);
        int pid2 = Spawn.spawn(SpawnPlan.builder("/bin/sh").argv("sh", "-c", "ulimit -c 0; kill -SEGV $$")
                .cwd(dir.toString()).build());
        assertThat(Proc.reap(Processes.pidfdOpen(pid2))).isEqualTo(new ExitStatus(pid2, ExitStatus.Kind.KILLED, Signals.SIGSEGV));
    }

    /**
     * WNOHANG says NONE while the child runs and the pidfd does not poll readable; after a signal
     * through the pidfd it polls readable and waitid reports the signal. Once reaped, the pid is
     * gone for kill and pidfd_send_signal, and waitid on the pidfd fails loudly (ECHILD).
     */
    @Test
    void noHangBeforeExitAndPollablePidfd() throws Exception {
        int pid = Spawn.spawn(SpawnPlan.builder("/bin/sleep").argv("sleep", "30").build());
        int pidfd = Processes.pidfdOpen(pid);
        assertThat(TestNative.isCloexec(pidfd)).isTrue();
        assertThat(Processes.waitidPidfd(pidfd, true)).isEqualTo(new ExitStatus(0, ExitStatus.Kind.NONE, 0));
        PollSet ps = new PollSet();
        ps.add(pidfd, PollSet.POLLIN);
        assertThat(ps.poll(50)).isZero();
        assertThat(Processes.kill(pid, 0)).isTrue();

        assertThat(TestNative.pidfdSendSignal(pidfd, Signals.SIGTERM)).isTrue();
        assertThat(ps.poll(10_000)).isEqualTo(1);
        assertThat(ps.revents(0) & PollSet.POLLIN).isNotZero();
        assertThat(Processes.waitidPidfd(pidfd, false)).isEqualTo(new ExitStatus(pid, ExitStatus.Kind.KILLED, Signals.SIGTERM));

        assertThat(TestNative.pidfdSendSignal(pidfd, Signals.SIGTERM)).isFalse();
        assertThat(Processes.kill(pid, 0)).isFalse();
        assertThatThrownBy(() -> Processes.waitidPidfd(pidfd, true))
                .isInstanceOfSatisfying(UncheckedNativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECHILD));
        TestNative.close(pidfd);
        assertThatThrownBy(() -> Processes.pidfdOpen(pid))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.ESRCH);
                    assertThat(e.getMessage()).isEqualTo("pidfd_open " + pid + ": No such process");
                });
    }

    /** The event loop's way: many children, one poll set of pidfds, each reaped when its pidfd fires. */
    @Test
    void reapManyThroughOnePollSet() throws Exception {
        Map<Integer, Integer> expected = new HashMap<>();
        Map<Integer, Integer> pidOf = new HashMap<>();
        PollSet ps = new PollSet(2);
        for (int i = 0; i < 20; i++) {
            int pid = Spawn.spawn(sh("sleep 0.0" + (i % 10) + "; exit " + i));
            int pidfd = Processes.pidfdOpen(pid);
            expected.put(pid, i);
            pidOf.put(pidfd, pid);
            ps.add(pidfd, PollSet.POLLIN);
        }
        Map<Integer, Integer> got = new HashMap<>();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (got.size() < 20 && System.nanoTime() < deadline) {
            if (ps.poll(1000) == 0) {
                continue;
            }
            for (int i = 0; i < ps.size(); i++) {
                if (ps.revents(i) != 0) {
                    int pidfd = ps.fd(i);
                    ExitStatus st = Processes.waitidPidfd(pidfd, true);
                    assertThat(st.kind()).isEqualTo(ExitStatus.Kind.EXITED);
                    assertThat(st.pid()).isEqualTo(pidOf.get(pidfd));
                    got.put(st.pid(), st.code());
                    TestNative.close(pidfd);
                    ps.set(i, -1, (short) 0); // poll(2) skips negative descriptors
                }
            }
        }
        assertThat(got).isEqualTo(expected);
        assertThat(Proc.zombieChildren()).isEmpty();
    }
}
