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

    /**
     * Frames that are waiting together are taken by one read and handled in one turn of the loop,
     * cut into 12-byte frames as Postfix's master cuts the stream; a shorter tail is a partial update.
     */
    @Test
    void framesWaitingTogetherAreHandledInOneTurn() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=hold record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            try (Socket c = h.connect(1)) {
                h.runUntil("a spawn", () -> s.spawns == 1);
                Child child = s.children().iterator().next();
                assertThat(h.readLine(c)).startsWith("hello");
                h.runUntil("TAKEN", () -> !child.avail);
                long before = s.statusFrames;
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(3 * 12 + 5).order(java.nio.ByteOrder.nativeOrder());
                int gen = (int) child.generation;
                b.putInt(child.pid).putInt(gen).putInt(StatusChannel.STAT_AVAIL);
                b.putInt(child.pid).putInt(gen).putInt(StatusChannel.STAT_TAKEN);
                b.putInt(child.pid).putInt(gen).putInt(StatusChannel.STAT_AVAIL);
                b.put(new byte[] {1, 2, 3, 4, 5});
                assertThat(org.jmaster.nativ.Fds.write(s.channel.childFd, b.array(), 0, b.capacity()))
                        .isEqualTo(b.capacity());
                h.master.loop.runOnce(1000);
                assertThat(s.statusFrames - before).isEqualTo(4);
                assertThat(child.avail).isTrue();
                assertThat(child.useCount).isEqualTo(2);
            }
        }
    }
}
