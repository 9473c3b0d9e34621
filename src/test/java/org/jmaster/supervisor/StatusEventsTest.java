package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Status frames from real children (protocol doc §3.2, §3.3) and what they do to the books. */
class StatusEventsTest {
    @TempDir
    Path dir;

    @Test
    void takenMakesTheChildBusyAndProvenAvailCountsACompletedRequest() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=hold record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            Socket c = h.connect(1);
            h.runUntil("a spawn", () -> s.spawns == 1);
            Child child = s.children().iterator().next();
            assertThat(child.avail).as("a new Postfix child counts as idle").isTrue();
            assertThat(s.unproven()).isEqualTo(1);
            assertThat(h.readLine(c)).startsWith("hello");
            h.runUntil("TAKEN", () -> !child.avail);
            assertThat(child.proven).isTrue();
            assertThat(child.everTaken).isTrue();
            assertThat(s.unproven()).isZero();
            assertThat(s.availProc()).isZero();
            Harness.send(c, "x");
            assertThat(h.readLine(c)).isEqualTo("echo x");
            c.close();
            h.runUntil("AVAIL", () -> child.avail);
            assertThat(child.useCount).isEqualTo(1);
            assertThat(s.availProc()).isEqualTo(1);
            assertThat(s.statusFrames).isEqualTo(2);
        }
    }

    @Test
    void badFramesAreLoggedAndSurvived() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=serve frames=bad record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            try (Socket c = h.connect(1)) {
                // a partial frame, a wrong generation and an unknown status arrive before the greeting
                assertThat(h.readLine(c)).startsWith("hello");
            }
            h.runUntil("the three bad frames and TAKEN", () -> s.statusFrames >= 4);
            Child child = s.children().iterator().next();
            assertThat(child.everTaken).isTrue();
            assertThat(child.useCount).isZero();
            assertThat(s.throttle.throttled()).isFalse();
            assertThat(h.session(1)).startsWith("hello");
        }
    }
}
