package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.file.Path;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.Signals;
import org.jmaster.supervisor.policy.Throttle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reaper with real children: what an end means for the throttle, and the books afterwards. */
class ReaperTest {
    @TempDir
    Path dir;

    @Test
    void aChildThatFailsAtStartThrottlesTheServiceAndLeavesTheBooks() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=crash record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            try (Socket c = h.connect(1)) {
                h.runUntil("the throttle", () -> s.throttle.throttled());
            }
            assertThat(s.totalProc()).isZero();
            assertThat(s.availProc()).isZero();
            assertThat(s.unproven()).isZero();
            assertThat(s.throttles).isEqualTo(1);
            assertThat(s.exitsStatus).isEqualTo(1);
            assertThat(h.watched(s)).isFalse();
            assertThat(s.throttle.retryAtMillis()).isEqualTo(h.clock.millis + 10_000);
        }
    }

    @Test
    void aChildKilledAfterItTookARequestIsLoggedButDoesNotThrottle() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=hold record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            Socket c = h.connect(1);
            assertThat(h.readLine(c)).startsWith("hello");
            h.runUntil("TAKEN", () -> s.totalProc() == 1 && s.children().iterator().next().proven);
            Child child = s.children().iterator().next();
            Processes.kill(child.pid, Signals.SIGKILL);
            h.runUntil("the reap", () -> s.totalProc() == 0);
            c.close();
            assertThat(s.throttle.throttled()).isFalse();
            assertThat(s.throttle.streak()).isZero();
            assertThat(s.exitsSignal).isEqualTo(1);
            assertThat(s.lastError).contains("killed by signal 9");
            assertThat(h.watched(s)).as("listening again for the next client").isTrue();
            assertThat(h.session(1)).startsWith("hello");
        }
    }

    @Test
    void aQuickExitWithoutARequestCountsAsAFailedStartButAnExitAfterTheWindowDoesNot() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=exit0 record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            try (Socket c = h.connect(1)) {
                h.runUntil("the throttle", () -> s.throttle.throttled());
            }
            assertThat(s.lastError).contains("exited without taking a request");
            assertThat(s.exitsNormal).isEqualTo(1);
        }
    }

    @Test
    void anExitZeroAfterTheQuickWindowIsAnOrdinaryRetirement() throws Exception {
        // the fake clock decides what "quick" is: a second passes before the exit is reaped
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=exit0 record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            try (Socket c = h.connect(1)) {
                h.runUntil("a spawn", () -> s.spawns == 1);
                h.clock.advance(1_500);
                h.runUntil("the reap", () -> s.totalProc() == 0);
            }
            assertThat(s.throttle.throttled()).isFalse();
            assertThat(s.exitsNormal).isEqualTo(1);
        }
    }

    @Test
    void oneFreshChildKilledAfterTheCommandServedIsToleratedThreeInARowThrottle() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 10 fake mode=hold record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            Socket busy = h.connect(1);
            assertThat(h.readLine(busy)).startsWith("hello");
            h.runUntil("a proven child", () -> s.throttle.trusted() && s.unproven() == 0);
            for (int i = 1; i <= Throttle.TOLERATED; i++) {
                // a second client makes the master spawn a fresh child; kill it before it accepts
                int spawnsBefore = (int) s.spawns;
                Socket waiting = h.connect(1);
                h.runUntil("a fresh child", () -> s.spawns == spawnsBefore + 1);
                Child fresh = s.children().stream().filter(c -> !c.proven).findFirst().orElseThrow();
                Processes.kill(fresh.pid, Signals.SIGKILL);
                int n = i;
                h.runUntil("its reap", () -> s.throttle.streak() == n || s.throttle.throttled());
                waiting.close();
                if (i < Throttle.TOLERATED) {
                    assertThat(s.throttle.throttled()).as("failure " + i + " tolerated").isFalse();
                }
            }
            assertThat(s.throttle.throttled()).isTrue();
            assertThat(s.totalProc() - s.unproven()).as("the serving child is untouched").isEqualTo(1);
            busy.close();
        }
    }
}
