package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.jmaster.nativ.Posix;
import org.junit.jupiter.api.Test;

/** The loop over real pipes: readiness, replacement of handlers, unwatching, timers and their order. */
class EventLoopTest {
    @Test
    void readinessReachesTheCurrentHandlerOnly() {
        EventLoop loop = new EventLoop();
        int[] p = Posix.pipe2(true);
        try {
            List<String> seen = new ArrayList<>();
            loop.watchRead(p[0], (fd, rev) -> seen.add("old"));
            loop.watchRead(p[0], (fd, rev) -> {
                seen.add("new");
                Posix.readNonBlocking(fd, new byte[8], 0, 8);
            });
            Posix.writeQuietly(p[1], new byte[] {1});
            loop.runOnce(1000);
            assertThat(seen).containsExactly("new");
            loop.unwatch(p[0]);
            Posix.writeQuietly(p[1], new byte[] {1});
            loop.runOnce(0);
            assertThat(seen).containsExactly("new");
            assertThat(loop.isWatched(p[0])).isFalse();
        } finally {
            Posix.closeQuietly(p[0]);
            Posix.closeQuietly(p[1]);
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
        int[] a = Posix.pipe2(true);
        int[] b = Posix.pipe2(true);
        try {
            List<String> seen = new ArrayList<>();
            loop.watchRead(a[0], (fd, rev) -> {
                seen.add("a");
                loop.unwatch(b[0]);
                Posix.readNonBlocking(fd, new byte[8], 0, 8);
            });
            loop.watchRead(b[0], (fd, rev) -> {
                seen.add("b");
                loop.unwatch(a[0]);
                Posix.readNonBlocking(fd, new byte[8], 0, 8);
            });
            Posix.writeQuietly(a[1], new byte[] {1});
            Posix.writeQuietly(b[1], new byte[] {1});
            loop.runOnce(1000);
            assertThat(seen).hasSize(1);
        } finally {
            for (int fd : new int[] {a[0], a[1], b[0], b[1]}) {
                Posix.closeQuietly(fd);
            }
        }
    }
}
