package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.jmaster.nativ.Fds;
import org.junit.jupiter.api.Test;

/** The loop over real pipes: readiness, replacement of handlers, unwatching, timers and their order. */
class EventLoopTest {
    @Test
    void readinessReachesTheCurrentHandlerOnly() {
        EventLoop loop = new EventLoop();
        int[] p = Fds.pipe(true);
        try {
            List<String> seen = new ArrayList<>();
            loop.watchRead(p[0], (fd, rev) -> seen.add("old"));
            loop.watchRead(p[0], (fd, rev) -> {
                seen.add("new");
                Fds.readNonBlocking(fd, new byte[8], 0, 8);
            });
            Fds.writeQuietly(p[1], new byte[] {1});
            loop.runOnce(1000);
            assertThat(seen).containsExactly("new");
            loop.unwatch(p[0]);
            Fds.writeQuietly(p[1], new byte[] {1});
            loop.runOnce(0);
            assertThat(seen).containsExactly("new");
            assertThat(loop.isWatched(p[0])).isFalse();
        } finally {
            Fds.closeQuietly(p[0]);
            Fds.closeQuietly(p[1]);
        }
    }

    @Test
    void timersRunInDeadlineOrderAndCancelledOnesNever() {
        EventLoop loop = new EventLoop();
        List<Integer> order = new ArrayList<>();
        loop.schedule(30, () -> order.add(3));
        loop.schedule(0, () -> order.add(1));
        EventLoop.Timer cancelled = loop.schedule(10, () -> order.add(99));
        loop.schedule(10, () -> order.add(2));
        cancelled.cancel();
        loop.schedule(40, loop::stop);
        loop.run();
        assertThat(order).containsExactly(1, 2, 3);
    }

    @Test
    void aHandlerMayUnwatchAnotherDescriptorReadyInTheSameRound() {
        EventLoop loop = new EventLoop();
        int[] a = Fds.pipe(true);
        int[] b = Fds.pipe(true);
        try {
            List<String> seen = new ArrayList<>();
            loop.watchRead(a[0], (fd, rev) -> {
                seen.add("a");
                loop.unwatch(b[0]);
                Fds.readNonBlocking(fd, new byte[8], 0, 8);
            });
            loop.watchRead(b[0], (fd, rev) -> {
                seen.add("b");
                loop.unwatch(a[0]);
                Fds.readNonBlocking(fd, new byte[8], 0, 8);
            });
            Fds.writeQuietly(a[1], new byte[] {1});
            Fds.writeQuietly(b[1], new byte[] {1});
            loop.runOnce(1000);
            assertThat(seen).hasSize(1);
        } finally {
            for (int fd : new int[] {a[0], a[1], b[0], b[1]}) {
                Fds.closeQuietly(fd);
            }
        }
    }

    /**
     * Issue 12, finding 5: what a handler throws — here an OutOfMemoryError — is contained: the loop
     * goes on, the other descriptor of the same round is served, and the failed one is paused so a
     * handler that keeps failing on a level-triggered descriptor cannot spin.
     */
    @Test
    void aHandlerThatThrowsIsContainedAndItsDescriptorPaused() {
        EventLoop loop = new EventLoop();
        int[] a = Fds.pipe(true);
        int[] b = Fds.pipe(true);
        try {
            List<String> seen = new ArrayList<>();
            loop.watchRead(a[0], (fd, rev) -> {
                seen.add("a");
                throw new OutOfMemoryError("Java heap space");
            });
            loop.watchRead(b[0], (fd, rev) -> {
                seen.add("b");
                Fds.readNonBlocking(fd, new byte[8], 0, 8);
            });
            Fds.writeQuietly(a[1], new byte[] {1});
            Fds.writeQuietly(b[1], new byte[] {1});
            loop.runOnce(1000);
            assertThat(seen).containsExactlyInAnyOrder("a", "b");
            assertThat(loop.isPaused(a[0])).isTrue();
            assertThat(loop.isWatched(a[0])).isTrue();
            loop.runOnce(0);
            assertThat(seen).containsExactlyInAnyOrder("a", "b");
        } finally {
            for (int fd : new int[] {a[0], a[1], b[0], b[1]}) {
                Fds.closeQuietly(fd);
            }
        }
    }

    /** A timer that throws (a RuntimeException, a StackOverflowError) does not stop the loop or later timers. */
    @Test
    void aTimerThatThrowsIsContainedAndLaterTimersStillRun() {
        EventLoop loop = new EventLoop();
        List<Integer> order = new ArrayList<>();
        loop.schedule(0, () -> {
            throw new IllegalStateException("boom");
        });
        loop.schedule(5, () -> order.add(1));
        loop.schedule(10, () -> {
            throw new StackOverflowError();
        });
        loop.schedule(20, () -> order.add(2));
        loop.schedule(30, loop::stop);
        loop.run();
        assertThat(order).containsExactly(1, 2);
    }

    /** An error that means the JVM is broken is not contained. */
    @Test
    void anInternalErrorIsNotContained() {
        EventLoop loop = new EventLoop();
        loop.schedule(0, () -> {
            throw new InternalError("broken");
        });
        org.assertj.core.api.Assertions.assertThatThrownBy(loop::run).isInstanceOf(InternalError.class);
    }

    /** A paused descriptor is left out of poll until the pause ends; its watch (or a new one) then resumes. */
    @Test
    void aPausedDescriptorResumesWhenThePauseEnds() {
        EventLoop loop = new EventLoop();
        int[] p = Fds.pipe(true);
        try {
            List<String> seen = new ArrayList<>();
            loop.watchRead(p[0], (fd, rev) -> seen.add("old"));
            loop.pause(p[0], 50);
            loop.watchRead(p[0], (fd, rev) -> {
                seen.add("new");
                Fds.readNonBlocking(fd, new byte[8], 0, 8);
                loop.stop();
            });
            Fds.writeQuietly(p[1], new byte[] {1});
            loop.runOnce(0);
            assertThat(seen).isEmpty();
            assertThat(loop.isPaused(p[0])).isTrue();
            loop.run();
            assertThat(seen).containsExactly("new");
            assertThat(loop.isPaused(p[0])).isFalse();
            loop.pause(p[0], 60_000);
            loop.unwatch(p[0]);
            assertThat(loop.isPaused(p[0])).isFalse();
        } finally {
            Fds.closeQuietly(p[0]);
            Fds.closeQuietly(p[1]);
        }
    }

    /**
     * The poll set is changed one entry at a time (an unwatch moves the last entry into the freed
     * one): after watches and unwatches in any order, exactly the watched, readable descriptors are
     * served, each by its own handler, including one that moved while its round was under way.
     */
    @Test
    void unwatchingInAnyOrderKeepsEveryOtherWatchServed() {
        EventLoop loop = new EventLoop();
        int n = 40;
        int[][] pipes = new int[n][];
        List<Integer> seen = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                pipes[i] = Fds.pipe(true);
                int k = i;
                loop.watchRead(pipes[i][0], (fd, rev) -> {
                    seen.add(k);
                    Fds.readNonBlocking(fd, new byte[8], 0, 8);
                });
            }
            java.util.Random random = new java.util.Random(14);
            java.util.Set<Integer> watched = new java.util.TreeSet<>();
            for (int i = 0; i < n; i++) {
                watched.add(i);
            }
            for (int round = 0; round < 30; round++) {
                int victim = random.nextInt(n);
                if (watched.remove(victim)) {
                    loop.unwatch(pipes[victim][0]);
                } else {
                    int k = victim;
                    loop.watchRead(pipes[victim][0], (fd, rev) -> {
                        seen.add(k);
                        Fds.readNonBlocking(fd, new byte[8], 0, 8);
                    });
                    watched.add(victim);
                }
                seen.clear();
                for (int i = 0; i < n; i++) {
                    Fds.writeQuietly(pipes[i][1], new byte[] {1});
                }
                loop.runOnce(1000);
                assertThat(new java.util.TreeSet<>(seen)).isEqualTo(watched);
                assertThat(seen).hasSameSizeAs(watched);
                for (int i = 0; i < n; i++) {
                    Fds.readNonBlocking(pipes[i][0], new byte[8], 0, 8);
                    assertThat(loop.isWatched(pipes[i][0])).isEqualTo(watched.contains(i));
                }
            }
            // a handler that unwatches itself: the last entry moves into its place and is still served
            seen.clear();
            int first = watched.iterator().next();
            loop.watchRead(pipes[first][0], (fd, rev) -> {
                seen.add(-1);
                loop.unwatch(fd);
            });
            for (int i = 0; i < n; i++) {
                Fds.writeQuietly(pipes[i][1], new byte[] {1});
            }
            loop.runOnce(1000);
            watched.remove(first);
            assertThat(seen).contains(-1).hasSize(watched.size() + 1);
            assertThat(seen.stream().filter(x -> x >= 0).sorted().toList()).containsExactlyElementsOf(watched);
        } finally {
            for (int[] p : pipes) {
                if (p != null) {
                    Fds.closeQuietly(p[0]);
                    Fds.closeQuietly(p[1]);
                }
            }
        }
    }

    /** One line per interval: the first occurrence is logged, the rest are counted for one summary. */
    @Test
    void aLogLimitLetsOneLineThroughPerIntervalAndSumsUpTheRest() {
        EventLoop loop = new EventLoop();
        List<Long> summaries = new ArrayList<>();
        LogLimit limit = new LogLimit(loop, 50, summaries::add);
        assertThat(limit.allow()).isTrue();
        int allowed = 0;
        for (int i = 0; i < 10_000; i++) {
            allowed += limit.allow() ? 1 : 0;
        }
        assertThat(allowed).isZero();
        loop.schedule(80, loop::stop);
        loop.run();
        assertThat(summaries).containsExactly(10_000L);
    }
}
