package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The poll set: readiness bits, growth, skipped entries, and no allocation per poll. */
class PollTest {
    @Test
    void readinessOfAPipe() throws Exception {
        int[] p = Fds.pipe(true);
        PollSet ps = new PollSet(1);
        int i = ps.add(p[0], PollSet.POLLIN);
        assertThat(ps.poll(0)).isZero();
        assertThat(ps.revents(i)).isZero();
        Fds.write(p[1], new byte[] {1}, 0, 1);
        assertThat(ps.poll(-1)).isEqualTo(1);
        assertThat(ps.revents(i)).isEqualTo(PollSet.POLLIN);
        byte[] b = new byte[4];
        assertThat(Fds.read(p[0], b, 0, 4)).isEqualTo(1);
        TestNative.close(p[1]);
        assertThat(ps.poll(0)).isEqualTo(1);
        assertThat(ps.revents(i) & PollSet.POLLHUP).isNotZero();
        TestNative.close(p[0]);
        assertThat(ps.poll(0)).isEqualTo(1);
        assertThat(ps.revents(i)).isEqualTo(PollSet.POLLNVAL);
    }

    @Test
    void growsKeepingEntriesAndSkipsNegativeDescriptors() {
        PollSet ps = new PollSet(1);
        int[][] pipes = new int[40][];
        for (int k = 0; k < pipes.length; k++) {
            pipes[k] = Fds.pipe(true);
            ps.add(pipes[k][1], PollSet.POLLOUT);
        }
        ps.add(-1, PollSet.POLLIN);
        assertThat(ps.size()).isEqualTo(41);
        assertThat(ps.fd(0)).isEqualTo(pipes[0][1]);
        assertThat(ps.poll(0)).isEqualTo(40);
        assertThat(ps.revents(40)).isZero();
        ps.reset(2);
        assertThat(ps.size()).isEqualTo(2);
        assertThat(ps.fd(1)).isEqualTo(pipes[1][1]);
        ps.set(1, pipes[1][0], PollSet.POLLIN);
        assertThat(ps.poll(0)).isEqualTo(1);
        assertThat(ps.events(1)).isEqualTo(PollSet.POLLIN);
        // removing an entry moves the last one, with what poll reported for it, into its place
        ps.add(pipes[2][1], PollSet.POLLOUT);
        assertThat(ps.poll(0)).isEqualTo(2);
        assertThat(ps.removeSwap(0)).isEqualTo(2);
        assertThat(ps.size()).isEqualTo(2);
        assertThat(ps.fd(0)).isEqualTo(pipes[2][1]);
        assertThat(ps.revents(0)).isEqualTo(PollSet.POLLOUT);
        ps.clearRevents(0);
        assertThat(ps.revents(0)).isZero();
        assertThat(ps.removeSwap(1)).isEqualTo(-1);
        assertThat(ps.size()).isEqualTo(1);
        for (int[] p : pipes) {
            TestNative.close(p[0]);
            TestNative.close(p[1]);
        }
    }

    @Test
    void arrayVariantAndWaitReadable() throws Exception {
        int[] p = Fds.pipe(true);
        short[] revents = new short[2];
        int n = PollSet.pollFds(new int[] {p[0], p[1]}, new short[] {PollSet.POLLIN, PollSet.POLLOUT}, revents, 2, 0);
        assertThat(n).isEqualTo(1);
        assertThat(revents).containsExactly((short) 0, PollSet.POLLOUT);
        long t0 = System.nanoTime();
        assertThat(PollSet.waitReadable(p[0], 100)).isFalse();
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(90_000_000L);
        Fds.write(p[1], new byte[] {1}, 0, 1);
        assertThat(PollSet.waitReadable(p[0], 100)).isTrue();
        TestNative.close(p[0]);
        TestNative.close(p[1]);
    }

    /**
     * A signal handled by the JVM (as the supervisor's HUP/TERM are) that lands on the polling
     * thread interrupts poll(2) with EINTR: the poll set reports 0 ready, no exception, and the
     * loop just goes round again. The poll has no timeout and nothing writes the pipe, so only a
     * signal can end it; the other thread cannot see when the poll has begun, so it signals again
     * until the poll has returned (a signal that lands before the poll is handled and changes nothing).
     */
    @Test
    @Timeout(60)
    void signalInterruptsPollWithZero() throws Exception {
        AtomicInteger handled = new AtomicInteger();
        sun.misc.Signal winch = new sun.misc.Signal("WINCH");
        sun.misc.SignalHandler old = sun.misc.Signal.handle(winch, s -> handled.incrementAndGet());
        int[] p = Fds.pipe(true);
        PollSet ps = new PollSet();
        ps.add(p[0], PollSet.POLLIN);
        int tid = TestNative.gettid();
        CountDownLatch returned = new CountDownLatch(1);
        CompletableFuture<Void> poke = CompletableFuture.runAsync(() -> {
            try {
                do {
                    TestNative.tgkill(tid, Signals.SIGWINCH);
                } while (!returned.await(20, TimeUnit.MILLISECONDS));
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        int n = ps.poll(-1);
        returned.countDown();
        poke.get();
        assertThat(n).isZero();
        assertThat(ps.revents(0)).isZero();
        await().until(() -> handled.get() >= 1);
        sun.misc.Signal.handle(winch, old);
        assertThat(Signals.disposition(Signals.SIGWINCH)).as("back to SIG_DFL for the other tests").isZero();
        TestNative.close(p[0]);
        TestNative.close(p[1]);
    }

    /**
     * The event loop polls on every wake-up: a poll over a prepared set, and reading revents,
     * must not allocate. Measured with the JVM's per-thread allocation counter after warm-up.
     */
    @Test
    void pollAllocatesNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int[] p = Fds.pipe(true);
        int[] q = Fds.pipe(true);
        PollSet ps = new PollSet();
        ps.add(p[0], PollSet.POLLIN);
        ps.add(q[1], PollSet.POLLOUT);
        long sink = 0;
        for (int i = 0; i < 50_000; i++) {
            sink += ps.poll(0) + ps.revents(0) + ps.revents(1);
        }
        long tid = Thread.currentThread().getId();
        int calls = 100_000;
        long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < calls; i++) {
            sink += ps.poll(0) + ps.revents(0) + ps.revents(1);
        }
        long allocated = mx.getThreadAllocatedBytes(tid) - before;
        System.out.printf("poll: %d bytes allocated over %d calls (%.3f per call), sink %d%n",
                allocated, calls, (double) allocated / calls, sink);
        assertThat(allocated).as("bytes allocated by %d polls", calls).isLessThan(calls / 10);

        // a status frame's round trip: write 12 bytes, read them, then find the pipe empty
        byte[] frame = new byte[12];
        for (int i = 0; i < 50_000; i++) {
            sink += Fds.writeQuietly(p[1], frame) ? 1 : 0;
            sink += Fds.readNonBlocking(p[0], frame, 0, 12) + Fds.readNonBlocking(p[0], frame, 0, 12);
        }
        before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < calls; i++) {
            sink += Fds.writeQuietly(p[1], frame) ? 1 : 0;
            sink += Fds.readNonBlocking(p[0], frame, 0, 12) + Fds.readNonBlocking(p[0], frame, 0, 12);
        }
        allocated = mx.getThreadAllocatedBytes(tid) - before;
        System.out.printf("write+read+read(EAGAIN): %d bytes allocated over %d rounds, sink %d%n", allocated, calls, sink);
        assertThat(allocated).isLessThan(calls / 10);
        for (int fd : new int[] {p[0], p[1], q[0], q[1]}) {
            TestNative.close(fd);
        }
    }
}
