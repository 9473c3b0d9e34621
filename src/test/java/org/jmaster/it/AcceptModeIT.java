package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end: accept mode (one child per connection, inetd/UCSPI style) and admission control. */
class AcceptModeIT {
    @TempDir
    Path tmp;

    /** Connects from {@code from} (a loopback address; Linux lets any 127/8 address be a source). */
    private static Socket connect(String from, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(15_000);
        return s;
    }

    private static String firstLine(Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }

    private static String oneLine(String from, int port) throws IOException {
        try (Socket s = connect(from, port)) {
            return firstLine(s);
        }
    }

    @Test
    void ordinaryProgramsRunUnmodifiedWithTheUcspiEnvironment() throws Exception {
        int cat = MasterProcess.freePort();
        int env = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(cat + " inet n n n - 2 /bin/cat -M protocol=inetd",
                    env + " inet n n n - 2 /bin/sh -c {echo \"$PROTO $TCPREMOTEIP $TCPREMOTEPORT $TCPLOCALIP"
                            + " $TCPLOCALPORT $REMOTE_ADDR $REMOTE_PORT [$0] $# ${GENERATION:-none}\"} -M protocol=inetd",
                    "peers unix n n n - 2 /bin/sh -c {echo \"$PROTO $UNIXREMOTEEUID $UNIXREMOTEPID\"}"
                            + " -M protocol=inetd").start();
            try (Socket s = connect("127.0.0.1", cat)) {
                s.getOutputStream().write("meow\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(firstLine(s)).isEqualTo("meow");
            }
            try (Socket s = connect("127.0.0.2", env)) {
                String[] f = firstLine(s).split(" ");
                assertThat(f[0]).isEqualTo("TCP");
                assertThat(f[1]).isEqualTo("127.0.0.2");
                assertThat(Integer.parseInt(f[2])).isEqualTo(s.getLocalPort());
                assertThat(f[3]).isEqualTo("127.0.0.1");
                assertThat(f[4]).isEqualTo(Integer.toString(env));
                assertThat(f[5]).isEqualTo("127.0.0.2");
                assertThat(f[6]).isEqualTo(f[2]);
                // argv is master.cf's, without Postfix's options; no Postfix environment either
                assertThat(f[7]).isEqualTo("[/bin/sh]");
                assertThat(f[8]).isEqualTo("0");
                assertThat(f[9]).isEqualTo("none");
            }
            try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                    java.net.UnixDomainSocketAddress.of(m.queue.resolve("public/peers")))) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(200);
                while (ch.read(buf) >= 0 && buf.position() == 0) {
                    // read until the child speaks
                }
                String line = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).trim();
                assertThat(line).isEqualTo("UNIX " + new com.sun.security.auth.module.UnixSystem().getUid() + " "
                        + ProcessHandle.current().pid());
            }
        }
    }

    @Test
    void maxprocIsTheConcurrentConnectionLimitAndExcessWaits() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 2 /bin/cat -M protocol=inetd").start();
            Socket a = connect("127.0.0.1", port);
            Socket b = connect("127.0.0.1", port);
            await().atMost(Duration.ofSeconds(10)).until(() -> m.liveChildren().size() == 2);
            Socket c = connect("127.0.0.1", port);
            c.getOutputStream().write("third\n".getBytes(StandardCharsets.US_ASCII));
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> m.liveChildren().size() == 2);
            assertThat(c.getInputStream().available()).isZero();
            a.close();
            assertThat(firstLine(c)).isEqualTo("third");
            b.close();
            c.close();
        }
    }

    @Test
    void perSourceLimitsBySourceAndSharedGroupWithExemptions() throws Exception {
        int smtp = MasterProcess.freePort();
        int submission = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            String admission = " -M protocol=inetd -M max_per_source=1 -M source_group=mail"
                    + " -M source_exempt=127.0.0.9 -M {refuse_reply = 421 4.7.0 too many connections from your address}";
            m.masterCf(smtp + " inet n n n - 10 /bin/cat" + admission,
                    submission + " inet n n n - 10 /bin/cat" + admission).start();
            Socket first = connect("127.0.0.2", smtp);
            await().atMost(Duration.ofSeconds(10)).until(() -> m.liveChildren().size() == 1);
            // the same source, on the other service of the group: refused with the reply
            assertThat(oneLine("127.0.0.2", submission)).isEqualTo("421 4.7.0 too many connections from your address");
            assertThat(oneLine("127.0.0.2", smtp)).startsWith("421 ");
            // another source is fine, and an exempt one is never counted
            List<Socket> held = new ArrayList<>();
            held.add(connect("127.0.0.3", smtp));
            held.add(connect("127.0.0.9", smtp));
            held.add(connect("127.0.0.9", submission));
            for (Socket s : held) {
                s.getOutputStream().write("ok\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(firstLine(s)).isEqualTo("ok");
            }
            first.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> m.liveChildren().size() == 3);
            try (Socket again = connect("127.0.0.2", submission)) {
                again.getOutputStream().write("back\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(firstLine(again)).isEqualTo("back");
            }
            for (Socket s : held) {
                s.close();
            }
            // refusals are logged once per source and service per minute, with the reason
            assertThat(m.countLog("refused connection from 127\\.0\\.0\\.2:\\d+ to service " + submission)).isEqualTo(1);
            assertThat(m.countLog("refused connection from 127\\.0\\.0\\.2:\\d+ to service " + smtp
                    + "\\(" + smtp + "\\): per_source")).isEqualTo(1);
        }
    }

    @Test
    void ipv6SourcesAreCountedByTheirSlash64() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.net.NetworkInterface.networkInterfaces()
                .flatMap(java.net.NetworkInterface::inetAddresses)
                        .anyMatch(a -> a instanceof java.net.Inet6Address && a.isLoopbackAddress()),
                "skipped: no ::1 on this machine");
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("inet_protocols = all");
            m.masterCf("[::1]:" + port + " inet n n n - 10 /bin/cat -M protocol=inetd -M max_per_source=1"
                    + " -M refuse_reply={421 one per /64}").start();
            try (Socket first = new Socket("::1", port)) {
                first.getOutputStream().write("v6\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(firstLine(first)).isEqualTo("v6");
                try (Socket second = new Socket("::1", port)) {
                    second.setSoTimeout(10_000);
                    assertThat(firstLine(second)).isEqualTo("421 one per /64");
                }
            }
            m.awaitLog("refused connection from \\[0:0:0:0:0:0:0:1\\]:\\d+ to service");
        }
    }

    @Test
    void rateLimitsPerServiceAndPerSource() throws Exception {
        int svc = MasterProcess.freePort();
        int src = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(svc + " inet n n n - 10 /bin/sh -c {echo served} -M protocol=inetd -M rate=3/60"
                            + " -M refuse_reply={421 slow down}",
                    src + " inet n n n - 10 /bin/sh -c {echo served} -M protocol=inetd -M source_rate=2/60"
                            + " -M refuse_reply={421 slow down}").start();
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                answers.add(oneLine("127.0.0." + (2 + i), svc));
            }
            assertThat(answers).containsExactly("served", "served", "served", "421 slow down", "421 slow down");
            List<String> perSource = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                perSource.add(oneLine("127.0.0.2", src));
            }
            perSource.add(oneLine("127.0.0.3", src));
            assertThat(perSource).containsExactly("served", "served", "421 slow down", "served");
            assertThat(m.runCommand("-c", m.conf.toString(), "status", "--json")).isZero();
            JsonNode services = MasterProcess.JSON.readTree(m.commandOutput()).get("services");
            assertThat(services.get(0).get("refusals").get("rate").asInt()).isEqualTo(2);
            assertThat(services.get(1).get("refusals").get("source_rate").asInt()).isEqualTo(1);
            assertThat(m.process.isAlive()).isTrue();
        }
    }

    @Test
    void theTokenBucketRefills() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 10 /bin/sh -c {echo served} -M protocol=inetd -M rate=2/1s"
                    + " -M refuse_reply={421 slow down}").start();
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                answers.add(oneLine("127.0.0.1", port));
            }
            assertThat(answers).contains("421 slow down");
            // a bounded wait: within a few seconds tokens are back and a connection is served again
            await().atMost(Duration.ofSeconds(5)).until(() -> "served".equals(oneLine("127.0.0.1", port)));
        }
    }

    @Test
    void throttledServiceAnswersAndRecoversThroughOneProbe() throws Exception {
        int port = MasterProcess.freePort();
        Path broken = tmp.resolve("broken");
        Files.writeString(broken, "");
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 4 /bin/sh -c {test -e " + broken + " && exit 3; echo healthy}"
                    + " -M protocol=inetd -M {throttle_reply = 421 4.3.2 service temporarily unavailable}").start();
            // the first child fails at once: the service is throttled, and the master itself answers
            try (Socket s = connect("127.0.0.2", port)) {
                assertThat(firstLine(s)).isNull();
            }
            m.awaitLog("bad command startup -- throttling for 2s");
            assertThat(oneLine("127.0.0.2", port)).isEqualTo("421 4.3.2 service temporarily unavailable");
            // the probe after the delay fails too: a longer throttle
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                oneLine("127.0.0.2", port);
                return m.countLog("throttling for 4s") == 1;
            });
            Files.delete(broken);
            await().atMost(Duration.ofSeconds(30)).until(() -> "healthy".equals(oneLine("127.0.0.2", port)));
            m.awaitLog("probe succeeded, back to 4 process\\(es\\)");
            assertThat(oneLine("127.0.0.2", port)).isEqualTo("healthy");
            assertThat(m.logText()).contains("refused connection from 127.0.0.2");
        }
    }

    @Test
    void postfixProtocolServiceAlsoAnswersWhileThrottled() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 2 fake mode=crash -M {throttle_reply = 421 try later} " + m.rec()).start();
            try (Socket s = connect("127.0.0.1", port)) {
                m.awaitLog("fake: bad command startup -- throttling");
                // the master answers the waiting client instead of leaving it hanging
                assertThat(firstLine(s)).isEqualTo("421 try later");
            }
        }
    }

    @Test
    void maxUseJitterSpreadsRetirement() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 fake mode=serve -o max_use=1 -M max_use_jitter=3 " + m.rec()).start();
            List<Integer> values = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int pid = Client.session(port);
                Path f = m.record.resolve(pid + ".json");
                await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(f));
                List<String> argv = new ArrayList<>();
                MasterProcess.JSON.readTree(f.toFile()).get("argv").forEach(a -> argv.add(a.asText()));
                String last = argv.get(argv.size() - 1);
                assertThat(argv.get(argv.size() - 2)).isEqualTo("-o");
                assertThat(last).startsWith("max_use=");
                values.add(Integer.parseInt(last.substring("max_use=".length())));
            }
            assertThat(values).allMatch(v -> v >= 1 && v <= 4);
        }
    }

    @Test
    void noDescriptorLeakAfterFiveThousandAcceptedConnections() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 8 /bin/true -M protocol=inetd -M rate=2500/3600 -M refuse_reply={421 no}")
                    .start();
            oneLine("127.0.0.1", port);
            long before = m.fdCount();
            int served = 0;
            int refused = 0;
            for (int i = 0; i < 5000; i++) {
                String line = oneLine("127.0.0.1", port);
                if (line == null) {
                    served++;
                } else {
                    refused++;
                }
            }
            // 2,500 tokens, minus the first connection, plus what trickles in at 2,500/hour meanwhile
            assertThat(served).isBetween(2499, 2530);
            assertThat(served + refused).isEqualTo(5000);
            await().atMost(Duration.ofSeconds(20)).until(() -> m.liveChildren().isEmpty());
            assertThat(m.fdCount()).isLessThanOrEqualTo(before);
            assertThat(m.logText()).doesNotContain("throttling");
            assertThat(m.countLog("refused connection")).isEqualTo(1);
        }
    }


}
