package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end: the event stream. Every reason code that is not provoked by {@link UpgradeIT} or
 * {@link CanaryIT} is provoked here, against one master with a service per behaviour, and read by
 * a follower ({@code events --follow --json}) that stays connected from start-up to shutdown.
 */
class EventsIT {
    @TempDir
    Path tmp;

    /** A follower of the stream, writing to a file. */
    private static Process follow(MasterProcess m, Path out, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(MasterProcess.REPO.resolve("master").toString(), "-c",
                m.conf.toString(), "events", "--follow"));
        cmd.addAll(List.of(extra));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    }

    private static List<JsonNode> read(Path out) throws IOException {
        List<JsonNode> events = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            if (line.startsWith("{")) {
                events.add(MasterProcess.JSON.readTree(line));
            }
        }
        return events;
    }

    /** Waits until the follower has seen {@code code} (for {@code service}, when not null); returns that event. */
    private static JsonNode seen(Path out, String code, String service) {
        JsonNode[] found = new JsonNode[1];
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (JsonNode e : read(out)) {
                if (e.get("code").asText().equals(code)
                        && (service == null || service.equals(e.path("service").asText(null)))) {
                    found[0] = e;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    private static String readAll(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    /** A whole session of the fake daemon on a unix socket. */
    private static void unixSession(Path path) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(path));
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                    java.nio.channels.Channels.newInputStream(ch), StandardCharsets.US_ASCII));
            assertThat(in.readLine()).startsWith("hello ");
            ch.write(java.nio.ByteBuffer.wrap("ping\n".getBytes(StandardCharsets.US_ASCII)));
            assertThat(in.readLine()).isEqualTo("echo ping");
        }
    }

    private static long pidOf(MasterProcess m, String service) throws Exception {
        assertThat(m.runCommand("-c", m.conf.toString(), "children", "--json")).isZero();
        for (JsonNode c : MasterProcess.JSON.readTree(m.commandOutput())) {
            if (c.get("service").asText().equals(service) && !c.get("retiring").asBoolean()) {
                return c.get("pid").asLong();
            }
        }
        return -1;
    }

    @Test
    void everyDecisionIsAnEventWithItsReasonCode() throws Exception {
        int demand = MasterProcess.freePort();
        int inetd = MasterProcess.freePort();
        int activation = MasterProcess.freePort();
        int perSource = MasterProcess.freePort();
        int sourceRate = MasterProcess.freePort();
        int rate = MasterProcess.freePort();
        int crash = MasterProcess.freePort();
        int heal = MasterProcess.freePort();
        Path broken = tmp.resolve("broken");
        Path out = tmp.resolve("events.json");
        try (MasterProcess m = new MasterProcess(tmp.resolve("m"))) {
            String[] table = {
                demand + " inet n n n - 2 fake mode=serve " + m.rec(),
                "pre unix n n n - 2 fake mode=serve -M prefork=1 " + m.rec(),
                inetd + " inet n n n - 1 /bin/cat -M protocol=inetd -M {refuse_reply = 421 busy}",
                activation + " inet n n n - 1 sdchild max=1 -M protocol=systemd",
                "nope unix n n n - 1 /nonexistent/command",
                perSource + " inet n n n - 5 /bin/cat -M protocol=inetd -M max_per_source=1",
                sourceRate + " inet n n n - 5 /bin/sh -c {echo served} -M protocol=inetd -M source_rate=1/60",
                rate + " inet n n n - 5 /bin/sh -c {echo served} -M protocol=inetd -M rate=1/3600",
                crash + " inet n n n - 1 fake mode=crash -M {throttle_reply = 421 later} " + m.rec(),
                heal + " inet n n n - 2 /bin/sh -c {test -e " + broken + " && exit 3; echo healthy}"
                        + " -M protocol=inetd",
            };
            m.masterCf(table).start();
            Process follower = follow(m, out, "--json");
            try {
                JsonNode started = seen(out, "master.started", null);
                assertThat(started.get("pid").asLong()).isEqualTo(m.pid());
                seen(out, "spawn.prefork", "pre");

                // spawn.demand, and exit.signal for a proven child killed by the operator
                int child = Client.session(demand);
                assertThat(seen(out, "spawn.demand", Integer.toString(demand)).get("pid").asInt()).isEqualTo(child);
                new ProcessBuilder("kill", "-9", Integer.toString(child)).start().waitFor();
                JsonNode killed = seen(out, "exit.signal", Integer.toString(demand));
                assertThat(killed.get("signal").asInt()).isEqualTo(9);
                assertThat(killed.get("end").asText()).isEqualTo("fine");

                // start.tolerated: a fresh prefork child of a command that has served is killed before its first client
                unixSession(m.queue.resolve("public/pre"));
                long proven = pidOf(m, "pre");
                new ProcessBuilder("kill", "-9", Long.toString(proven)).start().waitFor();
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    long p = pidOf(m, "pre");
                    return p > 0 && p != proven;
                });
                new ProcessBuilder("kill", "-9", Long.toString(pidOf(m, "pre"))).start().waitFor();
                JsonNode tolerated = seen(out, "start.tolerated", "pre");
                assertThat(tolerated.get("streak").asInt()).isEqualTo(1);
                assertThat(tolerated.get("reason").asText()).isEqualTo("killed by signal 9");

                // spawn.connection, refuse.limit, exit.normal (accept mode)
                try (Socket first = connect(inetd)) {
                    seen(out, "spawn.connection", Integer.toString(inetd));
                    try (Socket second = connect(inetd)) {
                        assertThat(readAll(second)).startsWith("421 busy");
                    }
                    assertThat(seen(out, "refuse.limit", Integer.toString(inetd)).get("source").asText())
                            .isEqualTo("127.0.0.1/32");
                }
                seen(out, "exit.normal", Integer.toString(inetd));

                // spawn.activation
                try (Socket s = connect(activation)) {
                    assertThat(readAll(s)).startsWith("sd ");
                }
                seen(out, "spawn.activation", Integer.toString(activation));

                // spawn.failed and throttle.spawn: a command that cannot be executed
                try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    ch.connect(UnixDomainSocketAddress.of(m.queue.resolve("public/nope")));
                    assertThat(seen(out, "spawn.failed", "nope").get("reason").asText())
                            .contains("/nonexistent/command");
                    assertThat(seen(out, "throttle.spawn", "nope").get("delay_s").asInt()).isEqualTo(2);
                }

                // refusals by admission control, with the source prefix
                try (Socket a = connect(perSource); Socket b = connect(perSource)) {
                    assertThat(readAll(b)).isEmpty();
                    assertThat(seen(out, "refuse.per_source", Integer.toString(perSource)).get("source").asText())
                            .isEqualTo("127.0.0.1/32");
                }
                try (Socket a = connect(sourceRate)) {
                    assertThat(readAll(a)).startsWith("served");
                }
                try (Socket b = connect(sourceRate)) {
                    readAll(b);
                }
                seen(out, "refuse.source_rate", Integer.toString(sourceRate));
                try (Socket a = connect(rate)) {
                    assertThat(readAll(a)).startsWith("served");
                }
                try (Socket b = connect(rate)) {
                    readAll(b);
                }
                seen(out, "refuse.rate", Integer.toString(rate));

                // exit.status, throttle.startup, refuse.throttled, throttle.over, throttle.probe
                try (Socket s = connect(crash)) {
                    JsonNode exit = seen(out, "exit.status", Integer.toString(crash));
                    assertThat(exit.get("status").asInt()).isEqualTo(1);
                    assertThat(exit.get("end").asText()).isEqualTo("failed_start");
                    JsonNode throttle = seen(out, "throttle.startup", Integer.toString(crash));
                    assertThat(throttle.get("delay_s").asInt()).isEqualTo(2);
                    assertThat(throttle.get("reason").asText()).isEqualTo("exit status 1");
                    assertThat(readAll(s)).startsWith("421 later");
                }
                seen(out, "refuse.throttled", Integer.toString(crash));
                seen(out, "throttle.over", Integer.toString(crash));
                try (Socket s = connect(crash)) {
                    JsonNode again = seen(out, "throttle.probe", Integer.toString(crash));
                    assertThat(again.get("delay_s").asInt()).isEqualTo(4);
                }

                // probe.succeeded: a command that fails, then works again
                Files.writeString(broken, "");
                try (Socket s = connect(heal)) {
                    readAll(s);
                }
                seen(out, "throttle.startup", Integer.toString(heal));
                Files.delete(broken);
                seen(out, "throttle.over", Integer.toString(heal));
                try (Socket s = connect(heal)) {
                    assertThat(readAll(s)).startsWith("healthy");
                }
                seen(out, "probe.succeeded", Integer.toString(heal));

                // reload.failed: a broken master.cf keeps the running table
                Path masterCf = m.conf.resolve("master.cf");
                String good = Files.readString(masterCf);
                Files.writeString(masterCf, demand + " inet n n n - 2\n");
                m.signal("HUP");
                assertThat(seen(out, "reload.failed", null).get("reason").asText()).contains("master.cf: line 1");
                Files.writeString(masterCf, good);

                // the filter and the text form
                assertThat(m.runCommand("-c", m.conf.toString(), "events", "--service", "nope")).isZero();
                assertThat(m.commandOutput().lines().toList()).isNotEmpty()
                        .allMatch(l -> l.matches(".* service=nope( .*)?"), "only the service's events");
                assertThat(m.commandOutput()).containsPattern(
                        "(?m)^\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z spawn\\.failed service=nope reason=\"exec /nonexistent/command: No such file or directory\"$");

                // master.stopping, then the stream ends with the master
                m.signal("TERM");
                assertThat(follower.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(follower.exitValue()).isZero();
                List<JsonNode> all = read(out);
                JsonNode stopping = all.stream().filter(e -> e.get("code").asText().equals("master.stopping"))
                        .findFirst().orElseThrow();
                assertThat(stopping.get("signal").asInt()).isEqualTo(15);
                // after it, only the children's exits
                assertThat(all.subList(all.indexOf(stopping) + 1, all.size()))
                        .allMatch(e -> e.get("code").asText().startsWith("exit."));
                // sequence numbers count every event once
                for (int i = 0; i < all.size(); i++) {
                    assertThat(all.get(i).get("seq").asLong()).isEqualTo(i + 1);
                }
            } finally {
                follower.destroy();
            }
        }
    }

    @Test
    void aReaderThatDoesNotReadIsDroppedAndTheMasterGoesOn() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp.resolve("m"))) {
            m.masterCf(port + " inet n n n - 1 /bin/true -M protocol=inetd -M rate=1/3600").start();
            // a follower that never reads: its socket buffers fill, then the master drops it
            try (SocketChannel stuck = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                stuck.connect(UnixDomainSocketAddress.of(m.queue.resolve("pid/master.ctl")));
                stuck.write(java.nio.ByteBuffer.wrap("events follow\n".getBytes(StandardCharsets.US_ASCII)));
                // refusals are events: make them until the master gives up on the reader
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(1)).until(() -> {
                    for (int i = 0; i < 200; i++) {
                        try (Socket s = connect(port)) {
                            s.getInputStream().read();
                        }
                    }
                    return m.countLog("dropped a reader that fell") > 0;
                });
                assertThat(m.runCommand("-c", m.conf.toString(), "status")).isZero();
                // its connection is closed: what it did not read ends with EOF
                stuck.configureBlocking(true);
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 16);
                while (stuck.read(buf.clear()) > 0) {
                    // drain what the kernel held
                }
            }
        }
    }
}
