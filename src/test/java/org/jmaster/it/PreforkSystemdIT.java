package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end: the prefork pool, systemd socket-activation children, and per-service inheritance. */
class PreforkSystemdIT {
    @TempDir
    Path tmp;

    private static JsonNode service(MasterProcess m, int index) throws Exception {
        if (m.runCommand("-c", m.conf.toString(), "status", "--json") != 0) {
            throw new AssertionError(m.commandOutput());
        }
        return MasterProcess.JSON.readTree(m.commandOutput()).get("services").get(index);
    }

    private static String line(int port) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(15_000);
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    @Test
    void preforkKeepsIdleChildrenRefillsAfterABurstAndRespectsLimits() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 8 fake mode=hold -M prefork=3 -M max_spare=4 " + m.rec()).start();
            // ready before the first client: three idle children, seen in the process table and the books
            await().atMost(Duration.ofSeconds(20)).until(() -> m.liveChildren().size() == 3);
            assertThat(service(m, 0).get("idle").asInt()).isEqualTo(3);
            // a burst of four held clients: the pool refills to three idle, within maxproc 8
            List<Client> held = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                held.add(new Client(port));
                held.get(i).greeting();
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> service(m, 0).get("idle").asInt() == 3
                    && service(m, 0).get("busy").asInt() == 4);
            assertThat(m.liveChildren()).hasSize(7);
            // at the limit the pool cannot refill beyond maxproc
            for (int i = 0; i < 3; i++) {
                held.add(new Client(port));
                held.get(4 + i).greeting();
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> service(m, 0).get("busy").asInt() == 7);
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                    .until(() -> m.liveChildren().size() <= 8);
            // all clients leave: seven idle is above max_spare 4, so the pool is recycled back to three
            for (Client c : held) {
                c.echo("bye");
                c.close();
            }
            m.awaitLog("idle children above max_spare 4: recycling the pool");
            await().atMost(Duration.ofSeconds(30)).until(() -> m.liveChildren().size() == 3
                    && service(m, 0).get("idle").asInt() == 3);
        }
    }

    @Test
    void systemdChildGetsItsListenersAndVariablesAndIsRespawnedOnDemand() throws Exception {
        int port = MasterProcess.freePort();
        int port2 = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("inet_interfaces = 127.0.0.1");
            m.masterCf(port + " inet n n n - 1 sdchild max=2 -M protocol=systemd -M fdname=web").start();
            assertThat(m.liveChildren()).isEmpty();
            String[] first = line(port).split(" ");
            assertThat(first[0]).isEqualTo("sd");
            assertThat(first[2]).as("LISTEN_PID is the child's own pid").isEqualTo(first[1]);
            assertThat(first[3]).isEqualTo("1");
            assertThat(first[4]).isEqualTo("web");
            // exactly 0-2 plus its listener at 3 (python's own directory listing may add one more)
            assertThat(first[5]).matches("fds=0,1,2,3(,4)?");
            assertThat(line(port).split(" ")[1]).isEqualTo(first[1]);
            // it exits after two connections; the next connection starts a new one
            String[] third = line(port).split(" ");
            assertThat(third[1]).isNotEqualTo(first[1]);
            assertThat(third[2]).isEqualTo(third[1]);
            assertThat(m.logText()).doesNotContain("LISTEN_PID").doesNotContain("throttling");
        }
    }

    @Test
    void inheritanceAttributesReachTheChild() throws Exception {
        Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0,
                "skipped: changing user, groups and limits needs root");
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 4 /bin/sh -c {echo \"$(id -u) $(id -g) [$(id -G)] $(umask)"
                    + " $(ulimit -n) $(nice) $(pwd) $FOO\"} -M protocol=inetd -M user=nobody -M group=nogroup"
                    + " -M groups=0 -M umask=027 -M rlimit_nofile=77 -M nice=7 -M cwd=/tmp -M env={FOO=bar}").start();
            String[] f = line(port).split(" ");
            long nobody = Files.readAllLines(Path.of("/etc/passwd")).stream().filter(l -> l.startsWith("nobody:"))
                    .map(l -> Long.parseLong(l.split(":")[2])).findFirst().orElseThrow();
            assertThat(Long.parseLong(f[0])).isEqualTo(nobody);
            assertThat(f[2]).as("primary group, then the supplementary groups").isEqualTo("[" + f[1]);
            assertThat(f[3]).isEqualTo("0]");
            assertThat(f[4]).isEqualTo("0027");
            assertThat(f[5]).isEqualTo("77");
            assertThat(f[6]).isEqualTo("7");
            assertThat(f[7]).isEqualTo("/tmp");
            assertThat(f[8]).isEqualTo("bar");
        }
    }

    @Test
    void unknownUserIsAConfigurationErrorWithFileAndLine() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf("# a comment", port + " inet n n n - 4 /bin/true -M protocol=inetd -M user=no-such-user");
            assertThat(m.runCommand("-c", m.conf.toString(), "-d")).isEqualTo(1);
            assertThat(m.commandOutput()).contains("master.cf: line 2: attribute \"user\": unknown user \"no-such-user\"");
            m.masterCf(port + " inet n n n - 4 /bin/true -M protocol=inetd -M rlimit_nofile=-5");
            assertThat(m.runCommand("-c", m.conf.toString(), "--check")).isEqualTo(1);
            assertThat(m.commandOutput()).contains("master.cf: line 1:").contains("rlimit_nofile");
        }
    }
}
