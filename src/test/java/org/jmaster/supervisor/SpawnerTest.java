package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a spawned child gets (protocol doc §3.1, §3.4, §3.6): argv, GENERATION, descriptors. */
class SpawnerTest {
    @TempDir
    Path dir;

    @Test
    void aPostfixChildGetsItsArgvGenerationAndDescriptorPlan() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=serve record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            assertThat(h.session(1)).startsWith("hello");
            JsonNode info = recorded(h);
            List<String> argv = new ArrayList<>();
            info.get("argv").forEach(a -> argv.add(a.asText()));
            assertThat(argv).containsSubsequence("-n", "127.0.0.1:" + h.port(1), "-t", "inet", "-u");
            Child c = s.children().iterator().next();
            assertThat(info.get("generation").asLong()).isEqualTo(c.generation);
            assertThat(info.get("env").get("GENERATION").asText()).isEqualTo(Long.toOctalString(c.generation));
            List<String> fds = new ArrayList<>();
            info.get("fds").fieldNames().forEachRemaining(fds::add);
            assertThat(fds).contains("3", "4", "5", "6").doesNotContain("7");
        }
    }

    @Test
    void maxUseJitterGivesEachChildItsOwnMaxUse() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=hold -o max_use=10"
                + " -M max_use_jitter=3 record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            try (Socket c = h.connect(1)) {
                assertThat(h.readLine(c)).startsWith("hello");
            }
            JsonNode info = recorded(h);
            String last = "";
            for (JsonNode a : info.get("argv")) {
                if (a.asText().startsWith("max_use=")) {
                    last = a.asText();
                }
            }
            int n = Integer.parseInt(last.substring("max_use=".length()));
            assertThat(n).isBetween(7, 13);
            assertThat(s.spawns).isEqualTo(1);
        }
    }

    /**
     * A service's plan is made once and kept (issue 14), but every child still gets its own
     * GENERATION, and a child spawned after a channel restart (or a reload) gets the new channel:
     * its frames arrive and it is not retiring.
     */
    @Test
    void eachChildGetsItsOwnGenerationAndTheCurrentChannel() throws Exception {
        try (Harness h = new Harness(dir, "", "127.0.0.1:PORT1 inet n - n - 5 fake mode=hold max_use=1 record=RECORD")) {
            Service s = h.service("127.0.0.1:" + h.port(1));
            List<Long> generations = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                if (round == 2) {
                    h.master.restartChannel(s);
                }
                long before = s.spawns;
                try (Socket c = h.connect(1)) {
                    h.runUntil("a spawn", () -> s.spawns == before + 1);
                    assertThat(h.readLine(c)).startsWith("hello");
                    Child child = s.children().stream().max(java.util.Comparator.comparingLong(x -> x.generation))
                            .orElseThrow();
                    h.runUntil("TAKEN on the current channel", () -> !child.avail && child.everTaken);
                    assertThat(child.channel).isSameAs(s.channel);
                    generations.add(child.generation);
                    JsonNode info = recordedOf(h, child.pid);
                    assertThat(info.get("env").get("GENERATION").asText()).isEqualTo(Long.toOctalString(child.generation));
                }
            }
            assertThat(generations).doesNotHaveDuplicates();
        }
    }

    private static JsonNode recordedOf(Harness h, int pid) throws Exception {
        return new ObjectMapper().readTree(h.record.resolve(pid + ".json").toFile());
    }

    private static JsonNode recorded(Harness h) throws Exception {
        try (var files = Files.list(h.record)) {
            Path f = files.filter(p -> p.getFileName().toString().endsWith(".json")).findFirst().orElseThrow();
            return new ObjectMapper().readTree(f.toFile());
        }
    }
}
