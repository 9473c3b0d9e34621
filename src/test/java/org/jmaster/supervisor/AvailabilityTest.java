package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The availability rule applied to real listeners (protocol doc §4.2). */
class AvailabilityTest {
    @TempDir
    Path dir;

    @Test
    void oneSpawnPerReadinessThenQuietUntilTheChildIsBusyAndQuietAtTheLimit() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 2 fake mode=hold record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            assertThat(h.watched(s)).isTrue();
            Socket a = h.connect(1);
            h.runUntil("a spawn", () -> s.spawns == 1);
            assertThat(h.watched(s)).as("the new child counts as idle").isFalse();
            assertThat(h.readLine(a)).startsWith("hello");
            h.runUntil("TAKEN", () -> s.availProc() == 0);
            assertThat(h.watched(s)).as("busy, under the limit").isTrue();
            Socket b = h.connect(1);
            assertThat(h.readLine(b)).startsWith("hello");
            h.runUntil("the second child busy", () -> s.totalProc() == 2 && s.availProc() == 0);
            assertThat(h.watched(s)).as("at the limit").isFalse();
            a.close();
            h.runUntil("the first child reaped or idle", () -> s.availProc() == 1 || s.totalProc() == 1);
            b.close();
        }
    }

    @Test
    void aSystemdServiceRunsOneInstance() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n n n - 1 /bin/sleep 30 -M protocol=systemd")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            try (Socket a = h.connect(1)) {
                h.runUntil("the instance", () -> s.totalProc() == 1);
                assertThat(h.watched(s)).isFalse();
            }
        }
    }
}
