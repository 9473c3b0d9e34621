package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: the docs run as written. Every example marked {@code <!-- doc-test: KIND -->} in
 * README.md and docs/*.md ({@link DocBlocks}) is executed or checked against the real master:
 * master.cf examples pass {@code --check}; the README's session runs line by line in a shell; the
 * status JSON fields, the metrics table and the synopsis are compared with what the master says; the
 * benchmark's run times with the script's own. The Postfix recipes are run by {@link PostfixDocsIT}.
 */
class DocsIT {
    @TempDir
    Path tmp;

    private static final Set<String> KINDS = Set.of("master.cf", "session", "with-default-conf", "usage",
            "status-json", "metrics-table", "bench-run", "postfix-move", "postfix-private");

    @Test
    void everyMarkerIsKnownAndEveryServiceTableExampleIsMarked() {
        List<DocBlocks.Block> all = DocBlocks.all();
        assertThat(all).extracting(DocBlocks.Block::kind).allMatch(KINDS::contains, "a known kind")
                .containsAll(KINDS);
        assertThat(DocBlocks.unmarkedServiceTables()).as("master.cf examples without <!-- doc-test: master.cf -->")
                .isEmpty();
    }

    @Test
    void everyMasterCfExamplePassesCheck() throws Exception {
        List<DocBlocks.Block> blocks = DocBlocks.all("master.cf");
        assertThat(blocks).hasSizeGreaterThanOrEqualTo(7);
        int n = 0;
        for (DocBlocks.Block b : blocks) {
            Path conf = Files.createDirectories(tmp.resolve("conf" + n++));
            Files.writeString(conf.resolve("main.cf"), String.join("\n",
                    "queue_directory = " + tmp.resolve("queue"),
                    "data_directory = " + tmp.resolve("data"),
                    "compatibility_level = 3.7", ""));
            Files.writeString(conf.resolve("master.cf"), b.text());
            FirstHourIT.Run check = FirstHourIT.run("-c", conf.toString(), "--check");
            assertThat(check.rc()).as(b.where() + "\n" + b.text() + check.out()).isZero();
            assertThat(check.out()).as(b.where()).doesNotContain("error:");
        }
    }

    @Test
    void theSynopsisIsTheUsageTheMasterPrints() throws Exception {
        FirstHourIT.Run help = FirstHourIT.run("--help");
        List<String> usage = help.out().lines().limit(4).map(l -> l.replaceFirst("^usage: ", "").strip()).toList();
        for (DocBlocks.Block b : DocBlocks.all("usage")) {
            assertThat(b.lines()).as(b.where()).isEqualTo(usage);
        }
    }

    /** A copy of the default configuration in {@code dir}, with {@code ./master} beside it, as the README has it. */
    private static Path defaultTree(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("conf"));
        for (String f : List.of("main.cf", "master.cf")) {
            Files.copy(MasterProcess.REPO.resolve("conf").resolve(f), dir.resolve("conf").resolve(f),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        Files.createSymbolicLink(dir.resolve("master"), MasterProcess.REPO.resolve("master"));
        return dir;
    }

    private static Process background(Path dir, String command, Path out) throws IOException {
        Process p = new ProcessBuilder("bash", "-c", command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        await().atMost(Duration.ofSeconds(60)).until(() -> !p.isAlive()
                || Files.readString(out).contains("daemon started -- version"));
        assertThat(p.isAlive()).as(command + ":\n" + Files.readString(out)).isTrue();
        return p;
    }

    /** Runs one line of a document in bash, as written, in {@code dir}; its output. */
    private static String shell(Path dir, String where, String line) throws Exception {
        Process p = new ProcessBuilder("bash", "-e", "-o", "pipefail", "-c", line).directory(dir.toFile())
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(where + ": " + line).isTrue();
        assertThat(p.exitValue()).as(where + ": " + line + "\n" + out).isZero();
        return out;
    }

    private static void requireTools(String... tools) throws Exception {
        for (String tool : tools) {
            Process p = new ProcessBuilder("sh", "-c", "command -v " + tool).start();
            assertThat(p.waitFor()).as(tool + " is needed by the documented commands (.ci/run installs it)").isZero();
        }
    }

    @Test
    void theReadmeSessionRunsAsWritten() throws Exception {
        requireTools("swaks", "nc");
        List<DocBlocks.Block> sessions = DocBlocks.all("session");
        assertThat(sessions).isNotEmpty();
        for (DocBlocks.Block b : sessions) {
            Path dir = defaultTree(Files.createDirectories(tmp.resolve("session")));
            Iterator<String> lines = b.lines().iterator();
            Process master = background(dir, lines.next(), tmp.resolve("session.out"));
            try {
                StringBuilder said = new StringBuilder();
                while (lines.hasNext()) {
                    said.append(shell(dir, b.where(), lines.next()));
                }
                assertThat(said).contains("Hello from the README.").contains("jmaster " + org.jmaster.cli.Version.VERSION + ", pid ");
                assertThat(master.waitFor(30, TimeUnit.SECONDS)).as("the session ends the master").isTrue();
            } finally {
                master.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
                master.destroyForcibly();
            }
        }
    }

    @Test
    void examplesOnTheDefaultConfigurationSayWhatTheDocsSay() throws Exception {
        requireTools("nc");
        List<DocBlocks.Block> blocks = DocBlocks.all("with-default-conf");
        assertThat(blocks).isNotEmpty();
        for (DocBlocks.Block b : blocks) {
            Path dir = defaultTree(Files.createDirectories(tmp.resolve("default")));
            Process master = background(dir, "./master -c conf -d", tmp.resolve("default.out"));
            try {
                for (String line : b.lines()) {
                    assertThat(shell(dir, b.where(), line)).as(b.where() + ": " + line).contains(b.argument());
                }
            } finally {
                master.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
                master.destroy();
                master.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    /** Every {@code "name"} of a block. */
    private static Set<String> quotedNames(DocBlocks.Block b) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\"(\\w+)\"").matcher(b.text());
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static void collectKeys(JsonNode node, Set<String> into) {
        if (node.isArray()) {
            node.forEach(n -> collectKeys(n, into));
        } else if (node.isObject()) {
            node.fieldNames().forEachRemaining(name -> {
                into.add(name);
                if (!name.equals("refusals")) {
                    collectKeys(node.get(name), into);
                }
            });
        }
    }

    @Test
    void theStatusJsonFieldsAndTheMetricsAreTheOnesDocumented() throws Exception {
        int port = MasterProcess.freePort();
        int metrics = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("master_metrics_listen = 127.0.0.1:" + metrics);
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec()).start();
            Client.session(port);
            FirstHourIT.Run status = FirstHourIT.run("-c", m.conf.toString(), "status", "--json");
            assertThat(status.rc()).isZero();
            Set<String> actual = new TreeSet<>();
            collectKeys(MasterProcess.JSON.readTree(status.out()), actual);
            FirstHourIT.Run children = FirstHourIT.run("-c", m.conf.toString(), "children", "--json");
            collectKeys(MasterProcess.JSON.readTree(children.out()), actual);
            for (DocBlocks.Block b : DocBlocks.all("status-json")) {
                assertThat(quotedNames(b)).as(b.where()).isEqualTo(actual);
            }

            Set<String> served = new TreeSet<>();
            String body;
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", metrics), 10_000);
                s.getOutputStream().write("GET /metrics HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                body = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            }
            Matcher type = Pattern.compile("(?m)^# TYPE (\\w+) (counter|gauge)$").matcher(body);
            while (type.find()) {
                served.add(type.group(2).equals("counter") ? type.group(1) + "_total" : type.group(1));
            }
            for (DocBlocks.Block b : DocBlocks.all("metrics-table")) {
                Set<String> documented = new TreeSet<>();
                for (String row : b.lines()) {
                    Matcher name = Pattern.compile("^\\| `(jmaster_\\w+)`").matcher(row);
                    if (name.find()) {
                        documented.add(name.group(1));
                    }
                }
                assertThat(documented).as(b.where()).isEqualTo(served);
            }
        }
    }

    @Test
    void theBenchmarkRunTimesAreTheScriptsOwn() throws Exception {
        List<String> script = Files.readAllLines(MasterProcess.REPO.resolve("src/bench/run")).stream()
                .filter(l -> l.startsWith("#   src/bench/run")).map(l -> l.substring(4).replaceAll("\\s+", " "))
                .toList();
        List<DocBlocks.Block> blocks = DocBlocks.all("bench-run");
        assertThat(blocks).isNotEmpty();
        for (DocBlocks.Block b : blocks) {
            for (String line : b.lines()) {
                String[] parts = line.split("#", 2);
                String said = (parts[0].strip() + " " + parts[1].strip()).replaceAll("\\s+", " ");
                assertThat(script).as(b.where() + ": what src/bench/run says of itself").contains(said);
            }
        }
    }
}
