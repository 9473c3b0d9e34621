package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A canary reload on a real in-process supervisor with the loop's fake clock: rollback, and a window kept. */
class CanaryTest {
    @TempDir
    Path dir;

    private static List<String> codes(Harness h) {
        return h.master.events.recent().stream().map(Events.Event::code).toList();
    }

    private void masterCf(Harness h, String mode) throws Exception {
        Files.writeString(dir.resolve("conf/master.cf"),
                "127.0.0.1:" + h.port(1) + " inet n - n - 5 fake " + mode + " record=" + h.record + "\n");
    }

    @Test
    void aChangedCommandThatFailsAtStartIsUndoneAndTheWaitingClientGetsTheOldOne() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=serve record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            masterCf(h, "mode=crash");
            List<String> outcome = new ArrayList<>();
            h.master.reload(30, (ok, text) -> outcome.add(ok + " " + text));
            assertThat(h.master.canary.active()).isTrue();
            assertThat(s.entry.args()).contains("mode=crash");
            // the client makes the new command start; it crashes; the old table is back before the client is served
            assertThat(h.session(1)).startsWith("hello");
            assertThat(s.entry.args()).contains("mode=serve");
            assertThat(outcome).containsExactly(
                    "false rolled back: 127.0.0.1:" + h.port(1) + ": bad command startup: exit status 1");
            assertThat(h.master.canary.active()).isFalse();
            assertThat(codes(h)).containsSubsequence("reload.begin", "reload.done", "canary.begin", "spawn.demand",
                    "exit.status", "throttle.startup", "reload.rolled_back", "throttle.cleared", "reload.done",
                    "spawn.demand");
            // the files are not touched
            assertThat(Files.readString(dir.resolve("conf/master.cf"))).contains("mode=crash");
        }
    }

    @Test
    void aWindowWithoutAFailureKeepsTheNewTable() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=serve record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            masterCf(h, "mode=serve max_use=9");
            List<String> outcome = new ArrayList<>();
            h.master.reload(5, (ok, text) -> outcome.add(ok + " " + text));
            assertThat(h.session(1)).startsWith("hello");
            h.advance(4_999);
            assertThat(outcome).isEmpty();
            h.advance(1);
            assertThat(outcome).containsExactly("true kept after the canary window of 5s");
            assertThat(s.entry.args()).contains("max_use=9");
            // a failure after the window is the throttle's business, not a rollback
            masterCf(h, "mode=crash");
            h.master.reload();
            try (Socket c = h.connect(1)) {
                h.runUntil("the throttle", () -> s.throttle.throttled());
            }
            assertThat(s.entry.args()).contains("mode=crash");
            assertThat(codes(h)).containsSubsequence("canary.begin", "canary.kept").doesNotContain("reload.rolled_back");
        }
    }

    @Test
    void aReloadThatChangesNothingHasNoWindow() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=serve record=RECORD")) {
            List<String> outcome = new ArrayList<>();
            h.master.reload(30, (ok, text) -> outcome.add(ok + " " + text));
            assertThat(outcome).containsExactly("true reloaded");
            assertThat(h.master.canary.active()).isFalse();
        }
    }
}
