package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * 2,000 spawn-and-reap cycles with a master-like plan leave the JVM's descriptor table exactly as
 * it was and no zombie behind; the spawn rate is printed (no timed assertion).
 */
class LeakTest {
    @Test
    void twoThousandSpawnsLeakNothing() throws Exception {
        Signals.ignoreSigpipe();
        int[] flow = Fds.pipe(true);
        int[] status = Sockets.socketpair();
        SpawnPlan plan = SpawnPlan.builder("/bin/true").argv("true", "-n", "x")
                .env(java.util.List.of("MAIL_CONFIG=/etc/postfix", "GENERATION=1"))
                .open(0, "/dev/null", Fds.O_RDONLY).open(1, "/dev/null", Fds.O_WRONLY).dup2(2, 2)
                .dup2(flow[0], 3).dup2(flow[1], 4).dup2(status[1], 5)
                .build();
        for (int i = 0; i < 50; i++) {
            cycle(plan);
        }
        int[] before = TestNative.listOpenFds();
        long t0 = System.nanoTime();
        int n = 2000;
        for (int i = 0; i < n; i++) {
            cycle(plan);
        }
        long ns = System.nanoTime() - t0;
        int[] after = TestNative.listOpenFds();
        System.out.printf("2000 spawn+pidfd+waitid cycles with a 6-descriptor plan: %.0f/s (%.3f ms each); fds %d before, %d after%n",
                n / (ns / 1e9), ns / 1e6 / n, before.length, after.length);
        assertThat(after).containsExactly(before);
        assertThat(Proc.zombieChildren()).isEmpty();
        for (int fd : new int[] {flow[0], flow[1], status[0], status[1]}) {
            TestNative.close(fd);
        }
    }

    private static void cycle(SpawnPlan plan) throws NativeException {
        int pid = Spawn.spawn(plan);
        int pidfd = Processes.pidfdOpen(pid);
        assertThat(PollSet.waitReadable(pidfd, 10_000)).isTrue();
        ExitStatus st = Processes.waitidPidfd(pidfd, true);
        if (!st.success() || st.pid() != pid) {
            throw new AssertionError(st);
        }
        TestNative.close(pidfd);
    }

    /** Plain spawn rate of /bin/true, the way DESIGN.md measured it (sequential spawn and reap). */
    @Test
    void spawnRateOfTrue() throws Exception {
        SpawnPlan plan = SpawnPlan.builder("/bin/true").build();
        for (int i = 0; i < 200; i++) {
            cycle(plan);
        }
        int n = 2000;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            cycle(plan);
        }
        long ns = System.nanoTime() - t0;
        System.out.printf("spawn+reap of /bin/true: %.0f/s (%.3f ms each)%n", n / (ns / 1e9), ns / 1e6 / n);
    }
}
