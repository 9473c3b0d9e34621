package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wakeups on the loop's clock (protocol doc §6): the trigger connects, the child reads the request. */
class WakeupsTest {
    @TempDir
    Path dir;

    @Test
    void aWakeupEveryTenSecondsOfTheClockReachesTheChild() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n 10 1 fake mode=trigger record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            // the first trigger goes at start (the master connects at once), then one per 10 s
            h.runUntil("the first trigger", () -> count(h) >= 1);
            assertThat(s.wakeupsSent).isEqualTo(1);
            h.advance(9_000);
            assertThat(s.wakeupsSent).isEqualTo(1);
            h.advance(1_000);
            assertThat(s.wakeupsSent).isEqualTo(2);
            h.runUntil("the second trigger", () -> count(h) >= 2);
            assertThat(s.spawns).as("one child serves both").isEqualTo(1);
        }
    }

    @Test
    void noWakeupWhileThrottled() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n 10 1 fake mode=crash record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            h.runUntil("the throttle", () -> s.throttle.throttled());
            long sent = s.wakeupsSent;
            h.advance(5_000);
            h.advance(5_000);
            assertThat(s.wakeupsSent).as("the timer runs, the trigger is skipped").isEqualTo(sent);
        }
    }

    private static long count(Harness h) {
        try {
            return h.events().stream().filter(e -> e.contains(" trigger ")).count();
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
