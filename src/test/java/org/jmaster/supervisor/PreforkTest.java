package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The prefork pool applied on the loop's clock: ramp 1, 2, 4 … per tick, within maxproc. */
class PreforkTest {
    @TempDir
    Path dir;

    @Test
    void thePoolFillsOneTwoFourPerTickUpToTheTarget() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 20 fake mode=serve -M prefork=6"
                + " record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            h.master.loop.runOnce(0);
            assertThat(s.spawns).isEqualTo(1);
            h.advance(Prefork.TICK_MS);
            assertThat(s.spawns).isEqualTo(3);
            h.advance(Prefork.TICK_MS);
            assertThat(s.spawns).isEqualTo(6);
            h.advance(Prefork.TICK_MS);
            assertThat(s.spawns).as("full").isEqualTo(6);
            assertThat(s.availProc()).isEqualTo(6);
            assertThat(h.watched(s)).as("idle children: the listeners are theirs").isFalse();
            assertThat(h.session(1)).startsWith("hello");
        }
    }

    @Test
    void thePoolStaysWithinMaxproc() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 2 fake mode=serve -M prefork=6"
                + " record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            for (int i = 0; i < 5; i++) {
                h.advance(Prefork.TICK_MS);
            }
            assertThat(s.totalProc()).isEqualTo(2);
        }
    }
}
