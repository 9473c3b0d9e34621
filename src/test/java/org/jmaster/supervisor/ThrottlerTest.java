package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jmaster.supervisor.policy.Throttle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The throttle applied: its timer on the loop's clock, the probe, the backoff, a reload. */
class ThrottlerTest {
    @TempDir
    Path dir;

    @Test
    void theDelayEndsOnTheClockAndTheProbeFailureDoublesIt() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=crash record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            try (Socket c = h.connect(1)) {
                h.runUntil("the first throttle", () -> s.throttle.throttled());
                h.advance(9_999);
                assertThat(s.throttle.throttled()).as("10 s not yet over").isTrue();
                h.advance(1);
                assertThat(s.throttle.probing()).isTrue();
                // the client still waits: the probe child starts and crashes again
                h.runUntil("the second throttle", () -> s.throttle.throttled());
                assertThat(s.throttle.retryAtMillis()).isEqualTo(h.clock.millis + 20_000);
                assertThat(s.throttles).isEqualTo(2);
            }
        }
    }

    @Test
    void aReloadWithANewCommandForgetsTheThrottle() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=crash record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            try (Socket c = h.connect(1)) {
                h.runUntil("the throttle", () -> s.throttle.throttled());
            }
            // the operator fixes the command: a reload with another mode is a new command
            Files.writeString(dir.resolve("conf/master.cf"),
                    "127.0.0.1:" + h.port(1) + " inet n - n - 5 fake mode=serve record=" + h.record + "\n");
            h.master.reload();
            assertThat(s.throttle).as("a changed command starts clean").isEqualTo(Throttle.OPEN);
            assertThat(h.session(1)).startsWith("hello");
        }
    }

    @Test
    void whileProbingOnlyOneUnprovenChildAtATime() throws Exception {
        // accept mode, where a child proves the command by living a second of the loop's clock
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n n n - 5 /bin/cat -M protocol=inetd")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            // put the service where the rule puts it after a throttle's delay
            s.throttle = Throttle.OPEN.spawnFailed(new Throttle.Backoff(10_000, 80_000), h.clock.millis).next()
                    .delayOver();
            h.master.availability.listen(s);
            Socket a = h.connect(1);
            Socket b = h.connect(1);
            Harness.send(a, "one");
            Harness.send(b, "two");
            assertThat(h.readLine(a)).isEqualTo("one");
            for (int i = 0; i < 20; i++) {
                h.master.loop.runOnce(10);
            }
            assertThat(s.spawns).as("no second start while the first is unproven").isEqualTo(1);
            assertThat(h.watched(s)).isFalse();
            h.advance(1_000);
            assertThat(s.throttle.phase()).as("the probe lived a second").isEqualTo(Throttle.Phase.OPEN);
            assertThat(h.readLine(b)).as("then the next client gets a child").isEqualTo("two");
            a.close();
            b.close();
        }
    }
}
