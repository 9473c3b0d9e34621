package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end: the real master, real children, real sockets and signals. */
class SupervisorIT {
    @TempDir
    Path tmp;

    @Test
    void childSeesExactlyItsPlanArgvAndEnvironment() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            int probePort = MasterProcess.freePort();
            m.withOneshot().masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec(),
                    probePort + " inet n n n - 2 oneshot probe").start();
            int pid = Client.session(port);
            JsonNode c = m.children().get(0);
            assertThat(c.get("argv")).extracting(JsonNode::asText).containsExactly(
                    // a script's argv[0] is its path: the kernel hands "fake" to python3 as the script name
                    m.daemons.resolve("fake").toString(), "-n", Integer.toString(port), "-t", "inet", "-d",
                    "mode=serve", m.rec());
            Map<String, String> fds = new TreeMap<>();
            c.get("fds").fields().forEachRemaining(e -> fds.put(e.getKey(), e.getValue().asText()));
            assertThat(fds.keySet()).containsExactlyInAnyOrder("0", "1", "2", "3", "4", "5", "6");
            assertThat(fds.get("3")).startsWith("pipe:");
            assertThat(fds.get("4")).isEqualTo(fds.get("3"));
            assertThat(fds.get("5")).startsWith("socket:");
            assertThat(fds.get("6")).startsWith("socket:");
            assertThat(c.get("listen_nonblock").get(0).asBoolean()).isTrue();
            // signal state as a C child sees it (python3 itself ignores SIGXFSZ at start-up)
            String probe;
            try (Client pc = new Client(probePort)) {
                probe = pc.in.readLine();
            }
            assertThat(probe).contains(" SigBlk=0000000000000000 ", " SigIgn=0000000000001000 ");
            assertThat(probe.substring(probe.indexOf("fds=") + 4).split(","))
                    .containsExactlyInAnyOrder("0", "1", "2", "3", "4", "5", "6");
            assertThat(c.get("cwd").asText()).isEqualTo(m.queue.toString());
            assertThat(c.get("umask").asInt()).isEqualTo(077);
            assertThat(c.get("pgid").asLong()).isEqualTo(pgid(m.pid()));
            Map<String, String> env = new TreeMap<>();
            c.get("env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
            assertThat(env).containsEntry("MAIL_CONFIG", m.conf.toString())
                    .containsEntry("MAIL_LOGTAG", "postfix")
                    .containsEntry("LANG", "C")
                    .containsKey("GENERATION")
                    .doesNotContainKeys("PATH", "HOME", "JAVA_HOME");
            assertThat(env.keySet()).isSubsetOf("MAIL_CONFIG", "MAIL_LOGTAG", "LANG", "GENERATION", "TZ",
                    "XAUTHORITY", "DISPLAY", "XDG_RUNTIME_DIR", "MAIL_DEBUG", "POSTLOG_SERVICE", "POSTLOG_HOSTNAME",
                    "LC_CTYPE");
            assertThat(Integer.parseInt(env.get("GENERATION"), 8)).isEqualTo(c.get("generation").asInt())
                    .isPositive();
            assertThat(pid).isEqualTo(pidOf(m, c));
        }
    }

    @Test
    void spawnsOnDemandUpToTheLimitAndQueuesTheRest() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 2 fake mode=hold " + m.rec()).start();
            assertThat(m.liveChildren()).isEmpty();
            Client a = new Client(port);
            Client b = new Client(port);
            int pa = a.greeting();
            int pb = b.greeting();
            assertThat(pa).isNotEqualTo(pb);
            Client c = new Client(port);
            // the third waits in the backlog while both children are busy
            await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(3))
                    .until(() -> m.liveChildren().size() == 2);
            assertThat(c.in.ready()).isFalse();
            a.echo("x");
            a.close();
            int pc = c.greeting();
            assertThat(pc).isIn(pa, pb);
            b.close();
            c.close();
            assertThat(m.children()).hasSize(2);
        }
    }

    @Test
    void maxUseAndMaxIdleRecycleChildrenWithoutThrottling() throws Exception {
        int port = MasterProcess.freePort();
        int port2 = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 fake mode=serve -o max_use=1 " + m.rec(),
                    port2 + " inet n n n - 1 fake mode=serve max_idle=0.5 " + m.rec()).start();
            Set<Integer> pids = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                pids.add(Client.session(port));
            }
            assertThat(pids).hasSize(3);
            Client.session(port2);
            await().atMost(Duration.ofSeconds(10)).until(() -> m.countEvents("idle exit") == 1);
            int again = Client.session(port2);
            assertThat(again).isPositive();
            assertThat(m.logText()).doesNotContain("throttling");
        }
    }

    @Test
    void statusFrameOdditiesAreLoggedAndSurvived() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 fake mode=serve frames=bad " + m.rec()).start();
            int pid = Client.session(port);
            int gen = m.children().get(0).get("generation").asInt();
            m.awaitLog("child \\(pid " + pid + "\\) sent partial status update \\(8 bytes\\)");
            m.awaitLog("ignoring status update from child pid " + pid + " generation " + (gen + 7));
            m.awaitLog("master_status_event: ignoring unknown status: 42 allegedly from pid: " + pid);
            assertThat(Client.session(port)).isEqualTo(pid);
        }
    }

    @Test
    void crashingServiceIsThrottledWithGrowingBackoff() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 fake mode=crash " + m.rec()).start();
            try (Client c = new Client(port)) {
                m.awaitLog("process \\S+/fake pid \\d+ exit status 1");
                m.awaitLog("fake: bad command startup -- throttling for 2s");
                m.awaitLog("fake: bad command startup -- throttling for 4s");
                assertThat(m.countEvents("crash")).isEqualTo(2);
            }
        }
    }

    @Test
    void childExitingZeroWithoutWorkDoesNotRespawnHot() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 fake mode=exit0 " + m.rec()).start();
            try (Client c = new Client(port)) {
                m.awaitLog("exited without taking a request");
                m.awaitLog("bad command startup -- throttling for 2s");
                await().during(Duration.ofSeconds(1)).until(() -> m.countEvents("exit0") == 1);
            }
        }
    }

    @Test
    void wakeupsReachUnixAndFifoServicesAndConditionalWaitsForFirstSpawn() throws Exception {
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf("wk unix n n n 1 1 fake mode=trigger " + m.rec(),
                    "fw fifo n n n 1 1 fake mode=trigger " + m.rec(),
                    "wc unix n n n 1? 1 fake mode=trigger " + m.rec()).start();
            await().atMost(Duration.ofSeconds(15)).until(() -> m.countEvents("trigger b'W\\\\x00'") >= 2
                    && m.countEvents("trigger b'W'$") >= 2);
            List<JsonNode> kids = m.children();
            assertThat(kids).extracting(k -> k.get("argv").get(3).asText()).doesNotContain("wc");
            // a manual connection spawns wc; from then on it gets triggers too
            try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                    java.net.UnixDomainSocketAddress.of(m.queue.resolve("public/wc")))) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {'X', 0}));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> m.countEvents("trigger b'X\\\\x00'") == 1);
            long before = m.countEvents("trigger b'W\\\\x00'");
            await().atMost(Duration.ofSeconds(10)).until(() -> m.countEvents("trigger b'W\\\\x00'") >= before + 3);
        }
    }

    @Test
    void reloadAddsChangesAndRemovesServicesWithoutDroppingClients() throws Exception {
        int a = MasterProcess.freePort();
        int b = MasterProcess.freePort();
        int c = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(a + " inet n n n - 2 fake mode=hold " + m.rec(),
                    c + " inet n n n - 1 fake mode=serve " + m.rec()).start();
            Client held = new Client(a);
            int heldPid = held.greeting();
            int cPid = Client.session(c);
            m.masterCf(a + " inet n n n - 3 fake mode=serve " + m.rec(),
                    b + " inet n n n - 1 fake mode=serve " + m.rec());
            List<Thread> load = new ArrayList<>();
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread t = new Thread(() -> {
                for (int i = 0; i < 30; i++) {
                    try {
                        Client.session(a);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }
            });
            load.add(t);
            t.start();
            m.signal("HUP");
            m.awaitLog("reload -- version");
            for (Thread th : load) {
                th.join();
            }
            assertThat(failures).isEmpty();
            // the connected client's session completes on its old child
            assertThat(held.echo("still here")).isEqualTo("echo still here");
            held.close();
            assertThat(Client.session(b)).isPositive();
            // the removed service's child is told to go (SIGTERM, racing with its status channel's EOF)
            await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(cPid).isEmpty()
                    || !ProcessHandle.of(cPid).get().isAlive());
            assertThat(m.countEvents("^" + cPid + " (sigterm|master disconnect)")).isEqualTo(1);
            assertThatThrownBy(() -> Client.session(c)).isInstanceOf(ConnectException.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(heldPid).isEmpty()
                    || !ProcessHandle.of(heldPid).get().isAlive());
        }
    }

    @Test
    void reloadWithBrokenMasterCfKeepsRunningTheOldTable() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 fake mode=serve " + m.rec()).start();
            Client.session(port);
            m.masterCf("# broken", port + " inet - n n - 1 fake mode=serve");
            m.signal("HUP");
            m.awaitLog("master.cf: line 2: inet service cannot be private");
            m.awaitLog("still running the previous configuration");
            assertThat(m.process.isAlive()).isTrue();
            assertThat(Client.session(port)).isPositive();
        }
    }

    @Test
    void sigtermReachesBusyChildrenAndTheMasterExits() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 2 fake mode=hold " + m.rec()).start();
            Client held = new Client(port);
            int pid = held.greeting();
            m.signal("TERM");
            assertThat(m.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(m.process.exitValue()).isEqualTo(143);
            assertThat(m.logText()).contains("terminating on signal 15");
            assertThat(m.countEvents("^" + pid + " sigterm")).isEqualTo(1);
            assertThat(held.in.read()).isEqualTo(-1);
            held.close();
        }
    }

    @Test
    void childIgnoringSigtermIsKilledAfterTheGracePeriod() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 2 fake mode=hold term=ignore " + m.rec()).start();
            Client held = new Client(port);
            int pid = held.greeting();
            m.signal("TERM");
            assertThat(m.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(m.logText()).contains("pid " + pid + " did not exit within 3s of SIGTERM: sending SIGKILL");
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            held.close();
        }
    }

    @Test
    void secondMasterTestModeAndFlockInteroperate() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 fake mode=serve " + m.rec());
            assertThat(m.runCommand("-c", m.conf.toString(), "-t")).isZero();
            m.start();
            Path pidFile = m.queue.resolve("pid/master.pid");
            String content = Files.readString(pidFile);
            assertThat(content).hasSize(33).isEqualTo(String.format("%32d\n", m.pid()));
            assertThat(m.runCommand("-c", m.conf.toString(), "-t")).isEqualTo(1);
            assertThat(m.commandOutput()).isEmpty();
            assertThat(m.runCommand("-c", m.conf.toString(), "-d")).isEqualTo(1);
            assertThat(m.commandOutput()).contains("already running with pid " + m.pid());
            Process flock = new ProcessBuilder("flock", "-n", pidFile.toString(), "true").start();
            assertThat(flock.waitFor()).isEqualTo(1);
            m.signal("TERM");
            m.process.waitFor(20, TimeUnit.SECONDS);
            assertThat(m.runCommand("-c", m.conf.toString(), "-t")).isZero();
            // the reverse: flock(1) holds the lock, so a master must not start
            Process holder = new ProcessBuilder("flock", pidFile.toString(), "sleep", "30").start();
            try {
                await().atMost(Duration.ofSeconds(5)).until(() -> {
                    try {
                        return m.runCommand("-c", m.conf.toString(), "-t") == 1;
                    } catch (Exception e) {
                        return false;
                    }
                });
                assertThat(m.runCommand("-c", m.conf.toString(), "-d")).isEqualTo(1);
                assertThat(m.commandOutput()).contains("unable to set exclusive lock");
            } finally {
                holder.destroy();
            }
        }
    }

    @Test
    void noZombiesAndNoDescriptorGrowthAfterTwoThousandSpawns() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.withOneshot().masterCf(port + " inet n n n - 4 oneshot").start();
            Client.sessionGreetingOnly(port);
            long fdsBefore = m.fdCount();
            for (int i = 0; i < 2000; i++) {
                Client.sessionGreetingOnly(port);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> m.liveChildren().isEmpty());
            assertThat(m.fdCount()).isLessThanOrEqualTo(fdsBefore);
            String zombies = Files.readAllLines(Path.of("/proc", Long.toString(m.pid()), "task",
                    Long.toString(m.pid()), "children")).stream().collect(Collectors.joining(" ")).trim();
            assertThat(zombies).isEmpty();
            assertThat(m.logText()).doesNotContain("throttling");
        }
    }

    private static long pgid(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[2]);
    }

    private static int pidOf(MasterProcess m, JsonNode c) {
        return m.events().stream().filter(l -> l.endsWith("accept")).map(l -> Integer.parseInt(l.split(" ")[0]))
                .findFirst().orElse(-1);
    }
}
