package org.jmaster.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.jmaster.supervisor.Snapshot;
import org.junit.jupiter.api.Test;

/** Issue 17: the status table's throttle column is the time left, and never breaks the alignment. */
class StatusTableTest {
    private static Snapshot.ServiceView service(String name, boolean throttled, long retryAt, boolean probing) {
        return new Snapshot.ServiceView(name, "private/" + name, "unix", List.of("private/" + name), 1, 0, 0, 0, 0, 3,
                0, 3, 0, 3, 0, throttled, retryAt, "", 0, "x", "postfix", probing, Map.of());
    }

    @Test
    void theThrottleColumnIsTheTimeLeft() {
        long now = 1_800_000_000_000L;
        assertThat(StatusTable.throttle(service("a", true, now + 4_200, false), now)).isEqualTo("5s");
        assertThat(StatusTable.throttle(service("a", true, now + 200_000, false), now)).isEqualTo("3m20s");
        assertThat(StatusTable.throttle(service("a", true, now + 7_200_000, false), now)).isEqualTo("2h0m");
        assertThat(StatusTable.throttle(service("a", true, now - 5, false), now)).isEqualTo("0s");
        assertThat(StatusTable.throttle(service("a", false, 0, true), now)).isEqualTo("probing");
        assertThat(StatusTable.throttle(service("a", false, 0, false), now)).isEqualTo("-");
    }

    @Test
    void everyRowKeepsTheColumns() {
        long now = 1_800_000_000_000L;
        Snapshot s = new Snapshot(42, now - 1000, 1, "0.1.0", "/etc/jmaster", 1, 0, 3, false,
                List.of(service("slow", true, now + 3_599_000, false), service("fine", false, 0, false),
                        service("trying", false, 0, true)), List.of(), 1, "", 0);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StatusTable.print(new PrintStream(buf, true, StandardCharsets.UTF_8), s, now);
        List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
        String header = lines.stream().filter(l -> l.startsWith("service ")).findFirst().orElseThrow();
        for (String name : List.of("slow", "fine", "trying")) {
            String row = lines.stream().filter(l -> l.startsWith(name + " ")).findFirst().orElseThrow();
            assertThat(row.indexOf("private/" + name)).as(row).isEqualTo(header.indexOf("endpoints"));
        }
        assertThat(lines).anyMatch(l -> l.startsWith("slow ") && l.contains(" 59m59s "));
    }
}
