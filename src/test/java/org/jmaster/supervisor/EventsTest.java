package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The event ring, its text form, and the documentation of every reason code. */
class EventsTest {
    @Test
    void theRingKeepsTheLastEventsAndTellsSubscribers() {
        Events events = new Events(new EventLoop());
        List<String> heard = new ArrayList<>();
        events.subscribe(e -> heard.add(e.code()));
        events.subscribe(e -> {
            throw new IllegalStateException("a broken subscriber is dropped");
        });
        for (int i = 0; i < Events.CAPACITY + 10; i++) {
            events.emit(Events.Code.SPAWN_DEMAND, "smtp", 100 + i, "generation", i);
        }
        assertThat(events.recent()).hasSize(Events.CAPACITY);
        assertThat(events.recent().get(0).seq()).isEqualTo(11);
        assertThat(heard).hasSize(Events.CAPACITY + 10);
        assertThat(events.subscribers()).isEqualTo(1);
    }

    @Test
    void textQuotesValuesWithBlanksAndLeavesOutNulls() {
        Events events = new Events(new EventLoop());
        events.emit(Events.Code.THROTTLE_STARTUP, "my service", 0, "delay_s", 2L, "reason", "exit status 1",
                "nothing", null, "quote", "a\"b");
        assertThat(events.recent().get(0).text())
                .isEqualTo("throttle.startup service=\"my service\" delay_s=2 reason=\"exit status 1\" quote=\"a\\\"b\"");
        events.emit(Events.Code.MASTER_STARTED, (String) null, 42);
        assertThat(events.recent().get(1).text()).isEqualTo("master.started pid=42");
    }

    /**
     * Issue 16: each reason code appears in an end-to-end test that provokes it. The tests name the
     * code they wait for ({@code seen(out, "refuse.rate", ...)}, {@code containsSubsequence(...)}),
     * so a code no IT names is one no test provokes. Which test provokes which code is listed in
     * the report of issue 16: EventsIT (spawns, exits, throttles, probes, refusals, reload.failed,
     * master.*), CanaryIT (reload.*, canary.*, throttle.cleared), UpgradeIT (upgrade.*).
     */
    @Test
    void everyReasonCodeIsNamedByAnEndToEndTest() throws Exception {
        Path it = Path.of(System.getProperty("user.dir"), "src", "test", "java", "org", "jmaster", "it");
        StringBuilder sources = new StringBuilder();
        for (String name : List.of("EventsIT.java", "CanaryIT.java", "UpgradeIT.java")) {
            sources.append(Files.readString(it.resolve(name)));
        }
        for (Events.Code c : Events.Code.values()) {
            assertThat(sources.toString()).as("an end-to-end test provokes and names %s", c.wire)
                    .contains("\"" + c.wire + "\"");
        }
    }

    @Test
    void everyReasonCodeIsDocumented() throws Exception {
        String doc = Files.readString(Path.of(System.getProperty("user.dir"), "docs", "operations.md"));
        for (Events.Code c : Events.Code.values()) {
            assertThat(doc).as("docs/operations.md documents %s", c.wire).contains("| `" + c.wire + "` |");
        }
    }
}
