package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end: detaching, exit time, stress, inet/pass wakeups, frozen parameters, logging. */
class LifecycleIT {
    @TempDir
    Path tmp;

    @Test
    void detachesAsANewSessionAndReportsStartup() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("maillog_file = " + tmp.resolve("maillog"));
            m.masterCf(port + " inet n n n - 1 fake mode=serve " + m.rec());
            assertThat(m.runCommand("-c", m.conf.toString())).isZero();
            assertThat(m.commandOutput()).isEmpty();
            long pid = Long.parseLong(Files.readString(m.queue.resolve("pid/master.pid")).trim());
            ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
            try {
                assertThat(sid(pid)).isEqualTo(pid);
                assertThat(Files.readString(tmp.resolve("maillog"))).contains("daemon started -- version");
                assertThat(Client.session(port)).isPositive();
                assertThat(m.runCommand("-c", m.conf.toString(), "-t")).isEqualTo(1);
                // the daemon's descriptors 0-2 are /dev/null once it serves
                for (int fd = 0; fd <= 2; fd++) {
                    assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd))).hasToString("/dev/null");
                }
            } finally {
                daemon.destroy();
                daemon.onExit().get(20, TimeUnit.SECONDS);
            }
            assertThat(Files.readString(tmp.resolve("maillog"))).contains("terminating on signal 15");
        }
    }

    @Test
    void detachedStartWithABrokenTableFailsWithTheReasonOnTheTerminal() throws Exception {
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf("x unix - n n - 1", "smtp inet - n n - - fake");
            assertThat(m.runCommand("-c", m.conf.toString())).isEqualTo(1);
            assertThat(m.commandOutput())
                    .contains("master.cf: line 1: missing \"command\" field")
                    .contains("master.cf: line 2: inet service cannot be private");
            assertThat(m.runCommand("-c", m.conf.toString(), "--check")).isEqualTo(1);
            assertThat(m.commandOutput()).contains("line 1").contains("line 2");
        }
    }

    @Test
    void exitTimeEndsTheMasterAndChildrenLeaveOnTheirOwn() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 fake mode=serve " + m.rec()).start("-e", "2");
            int pid = Client.session(port);
            assertThat(m.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(m.process.exitValue()).isZero();
            assertThat(m.logText()).contains("master exit time has arrived");
            await().atMost(Duration.ofSeconds(10)).until(() -> m.countEvents("^" + pid + " master disconnect") == 1);
        }
    }

    @Test
    void lastSlotTurnsOnStressAndTheLimitWarningIsLoggedOnce() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            // a wildcard listener is reachable from the network, so the service is stress-eligible
            m.mainCf("inet_interfaces = all");
            m.masterCf(port + " inet n n n - 2 fake mode=hold " + m.rec()).start();
            Client a = new Client(port);
            int pa = a.greeting();
            Client b = new Client(port);
            int pb = b.greeting();
            Client c = new Client(port);
            m.awaitLog("service \"" + port + "\" \\(" + port + "\\) has reached its process limit \"2\": new clients"
                    + " may experience noticeable delays");
            m.awaitLog("to avoid this condition, increase the process count in master.cf");
            assertThat(argvOf(m, pa)).contains("-o", "stress=").doesNotContain("stress=yes");
            assertThat(argvOf(m, pb)).contains("stress=yes");
            a.echo("x");
            a.close();
            // the first child lost its status channel to the stress restart, so it leaves; c gets a new child
            int pc = c.greeting();
            assertThat(pc).isNotIn(pa, pb);
            assertThat(argvOf(m, pc)).contains("stress=yes");
            assertThat(m.countEvents("^" + pa + " notify failed")).isEqualTo(1);
            b.close();
            c.close();
            assertThat(m.countLog("has reached its process limit")).isEqualTo(1);
        }
    }

    @Test
    void wakeupsReachInetAndPassServices() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n 1 1 fake mode=trigger " + m.rec(),
                    "wp pass n n n 1 1 fake mode=trigger pass=yes " + m.rec()).start();
            await().atMost(Duration.ofSeconds(15)).until(() -> m.countEvents("trigger b'W\\\\x00'") >= 4);
            assertThat(m.children()).extracting(j -> j.get("argv").get(5).asText()).contains("inet", "pass");
        }
    }

    @Test
    void reloadKeepsFrozenParametersAndWarnsWithPostfixTexts() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 fake mode=serve " + m.rec()).start();
            m.mainCf("inet_protocols = all\ninet_interfaces = loopback-only\nsyslog_name = renamed");
            m.signal("HUP");
            m.awaitLog("ignoring inet_protocols parameter value change");
            m.awaitLog("old value: \"ipv4\", new value: \"all\"");
            m.awaitLog("to change inet_protocols, stop and start Postfix");
            m.awaitLog("service " + port + ": ignoring inet_interfaces change");
            m.signal("HUP");
            m.awaitLog("renamed/master\\[\\d+\\]: reload -- version");
            int pid = Client.session(port);
            JsonNode child = MasterProcess.JSON.readTree(m.record.resolve(pid + ".json").toFile());
            assertThat(child.get("env").get("MAIL_LOGTAG").asText()).isEqualTo("renamed");
        }
    }

    @Test
    void verboseAddsDebugLinesAndChildrenGetOneV() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 fake mode=serve " + m.rec()).start("-v", "-v");
            int pid = Client.session(port);
            m.awaitLog("spawn: service .* pid " + pid);
            assertThat(argvOf(m, pid)).containsOnlyOnce("-v").contains("-d");
        }
    }

    @Test
    void dualStackServiceGetsBothListenersInOrderAndUnixDgramWorks() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("inet_protocols = all\ninet_interfaces = loopback-only");
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec(),
                    "dg unix-dgram n n n - 1 fake mode=trigger " + m.rec()).start();
            int pid = Client.session(port);
            List<String> argv = argvOf(m, pid);
            assertThat(argv).containsSubsequence("-t", "inet", "-d", "-s", "2");
            JsonNode child = MasterProcess.JSON.readTree(m.record.resolve(pid + ".json").toFile());
            assertThat(child.get("fds").has("7")).isTrue();
            assertThat(child.get("fds").has("8")).isFalse();
            try (java.net.Socket v6 = new java.net.Socket("::1", port)) {
                assertThat(new java.io.BufferedReader(new java.io.InputStreamReader(v6.getInputStream()))
                        .readLine()).startsWith("hello ");
            }
            Process send = new ProcessBuilder("/usr/bin/python3", "-c",
                    "import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);"
                            + " s.sendto(b'dgram', sys.argv[1])", m.queue.resolve("public/dg").toString())
                    .inheritIO().start();
            assertThat(send.waitFor()).isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> m.countEvents("trigger b'dgram'") == 1);
            if (new com.sun.security.auth.module.UnixSystem().getUid() == 0 && isUser("postfix")) {
                // as root, local endpoints belong to mail_owner
                assertThat(Files.getOwner(m.queue.resolve("public/dg")).getName()).isEqualTo("postfix");
            }
        }
    }

    private static boolean isUser(String name) throws Exception {
        return Files.readAllLines(Path.of("/etc/passwd")).stream().anyMatch(l -> l.startsWith(name + ":"));
    }

    @Test
    void masterNiceRenicesTheMaster() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("master_nice = 5");
            m.masterCf(port + " inet n n n - 1 fake mode=serve " + m.rec()).start();
            String stat = Files.readString(Path.of("/proc", Long.toString(m.pid()), "stat"));
            assertThat(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]).isEqualTo("5");
        }
    }

    @Test
    void debuggerCommandRunsWithTheMastersNameAndPid() throws Exception {
        int port = MasterProcess.freePort();
        Path out = tmp.resolve("debugged");
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("debugger_command = echo debugged $process_name $process_id > " + out);
            m.masterCf(port + " inet n n n - 1 fake mode=serve " + m.rec()).start("-D");
            assertThat(Files.readString(out)).isEqualTo("debugged master " + m.pid() + "\n");
        }
    }

    @Test
    void launcherPrintsNothingOfItsOwnOnANewerJdk() throws Exception {
        Path jdk25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(jdk25), "no JDK 25 on this machine");
        for (int run = 0; run < 2; run++) { // the first run also creates the class-data archive
            ProcessBuilder p = new ProcessBuilder(MasterProcess.REPO.resolve("master").toString(), "--version")
                    .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            p.environment().put("JAVA_HOME", jdk25.toString());
            Process proc = p.start();
            String output = new String(proc.getInputStream().readAllBytes());
            assertThat(proc.waitFor()).isZero();
            assertThat(output).isEqualTo("jmaster " + org.jmaster.cli.Version.VERSION + "\n");
        }
    }

    private static List<String> argvOf(MasterProcess m, int pid) throws Exception {
        Path f = m.record.resolve(pid + ".json");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(f));
        JsonNode j = MasterProcess.JSON.readTree(f.toFile());
        return java.util.stream.StreamSupport.stream(j.get("argv").spliterator(), false).map(JsonNode::asText).toList();
    }

    private static long sid(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3]);
    }
}
