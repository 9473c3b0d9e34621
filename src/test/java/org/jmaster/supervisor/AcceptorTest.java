package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Connections the master accepts itself: a child per connection, refusals with their replies. */
class AcceptorTest {
    @TempDir
    Path dir;

    @Test
    void eachConnectionGetsItsOwnChildOnItsStandardDescriptors() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n n n - 5 /bin/cat -M protocol=inetd")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            try (Socket a = h.connect(1); Socket b = h.connect(1)) {
                Harness.send(a, "one");
                Harness.send(b, "two");
                assertThat(h.readLine(a)).isEqualTo("one");
                assertThat(h.readLine(b)).isEqualTo("two");
                assertThat(s.totalProc()).isEqualTo(2);
                assertThat(s.availProc()).as("they never count as idle").isZero();
            }
            h.runUntil("both reaped", () -> s.totalProc() == 0);
            assertThat(s.exitsNormal).isEqualTo(2);
            assertThat(s.throttle.throttled()).isFalse();
        }
    }

    @Test
    void atTheLimitAClientGetsTheRefuseReply() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n n n - 1 /bin/cat -M protocol=inetd"
                + " -M refuse_reply={421 busy}")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            try (Socket a = h.connect(1)) {
                Harness.send(a, "one");
                assertThat(h.readLine(a)).isEqualTo("one");
                try (Socket b = h.connect(1)) {
                    assertThat(h.readLine(b)).isEqualTo("421 busy\r");
                }
            }
            assertThat(s.refusals).containsEntry("limit", 1L);
        }
    }

    @Test
    void maxPerSourceRefusesTheSecondConnectionOfOneSource() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n n n - 5 /bin/cat -M protocol=inetd"
                + " -M max_per_source=1 -M refuse_reply={421 one at a time}")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            try (Socket a = h.connect(1)) {
                Harness.send(a, "one");
                assertThat(h.readLine(a)).isEqualTo("one");
                try (Socket b = h.connect(1)) {
                    assertThat(h.readLine(b)).isEqualTo("421 one at a time\r");
                }
            }
            h.runUntil("the first child reaped", () -> s.totalProc() == 0);
            try (Socket c = h.connect(1)) {
                Harness.send(c, "again");
                assertThat(h.readLine(c)).as("released with its child").isEqualTo("again");
            }
            assertThat(s.refusals).containsEntry("per_source", 1L);
        }
    }
}
