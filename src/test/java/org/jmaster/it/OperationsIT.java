package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.TestNative;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end: the operator's interface — commands, JSON, metrics, sd_notify, socket activation, init mode. */
class OperationsIT {
    @TempDir
    Path tmp;

    @Test
    void statusAndChildrenMatchTheProcessTable() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 3 fake mode=hold " + m.rec(),
                    "crashy unix n n n - 1 fake mode=crash " + m.rec()).start();
            Client a = new Client(port);
            a.greeting();
            Client b = new Client(port);
            b.greeting();
            assertThat(m.runCommand("-c", m.conf.toString(), "status", "--json")).isZero();
            JsonNode status = MasterProcess.JSON.readTree(m.commandOutput());
            assertThat(status.get("pid").asLong()).isEqualTo(m.pid());
            JsonNode svc = status.get("services").get(0);
            assertThat(svc.get("name").asText()).isEqualTo(Integer.toString(port));
            assertThat(svc.get("children").asInt()).isEqualTo(2);
            assertThat(svc.get("busy").asInt()).isEqualTo(2);
            assertThat(svc.get("endpoints").get(0).asText()).isEqualTo("127.0.0.1:" + port);
            assertThat(m.runCommand("-c", m.conf.toString(), "children", "--json")).isZero();
            Set<Long> listed = new java.util.HashSet<>();
            MasterProcess.JSON.readTree(m.commandOutput()).forEach(c -> listed.add(c.get("pid").asLong()));
            assertThat(listed).isEqualTo(m.liveChildren().stream().map(ProcessHandle::pid).collect(Collectors.toSet()));
            // a crash shows up as the last error and the throttle
            try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                    java.net.UnixDomainSocketAddress.of(m.queue.resolve("public/crashy")))) {
                m.awaitLog("bad command startup -- throttling");
            }
            assertThat(m.runCommand("-c", m.conf.toString(), "status")).isZero();
            String table = m.commandOutput();
            assertThat(table).contains("jmaster ", "pid " + m.pid(), "crashy", "exit status 1");
            assertThat(table).containsPattern(port + "\\s+inet\\s+3\\s+0/2");
            // the master renders the tables itself (the command needs no JSON parser) and prints them as they come
            String rendered = controlRequest(m.queue.resolve("pid/master.ctl"), "status table");
            assertThat(rendered).startsWith("jmaster ").contains("pid " + m.pid(), "crashy")
                    .containsPattern(port + "\\s+inet\\s+3\\s+0/2");
            assertThat(table.lines().count()).isEqualTo(rendered.lines().count());
            String children = controlRequest(m.queue.resolve("pid/master.ctl"), "children table");
            assertThat(m.runCommand("-c", m.conf.toString(), "children")).isZero();
            for (long pid : listed) {
                assertThat(children).containsPattern("(?m)^\\s*" + pid + "\\s");
                assertThat(m.commandOutput()).containsPattern("(?m)^\\s*" + pid + "\\s");
            }
            a.close();
            b.close();
        }
    }

    /** One request on the control socket (as root), the whole answer. */
    private static String controlRequest(Path socket, String request) throws IOException {
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                java.net.UnixDomainSocketAddress.of(socket))) {
            ch.write(java.nio.ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.US_ASCII)));
            return new String(java.nio.channels.Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void reloadStopAndAbortCommands() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 2 fake mode=hold " + m.rec()).start();
            assertThat(m.runCommand("-c", m.conf.toString(), "reload")).isZero();
            assertThat(m.commandOutput()).contains("reloaded jmaster (pid " + m.pid() + ")");
            // a broken table is reported and the master is not touched
            Files.writeString(m.conf.resolve("master.cf"), port + " inet - n n - 2 fake\n");
            assertThat(m.runCommand("-c", m.conf.toString(), "reload")).isEqualTo(1);
            assertThat(m.commandOutput()).contains("master.cf: line 1: inet service cannot be private")
                    .contains("not reloaded");
            assertThat(m.countLog("reload -- version")).isEqualTo(1);
            m.masterCf(port + " inet n n n - 2 fake mode=hold " + m.rec());
            Client held = new Client(port);
            int child = held.greeting();
            assertThat(m.runCommand("-c", m.conf.toString(), "abort")).isZero();
            assertThat(m.commandOutput()).contains("aborted jmaster");
            assertThat(m.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(m.countEvents("^" + child + " sigterm")).isZero();
            held.close();
            assertThat(m.runCommand("-c", m.conf.toString(), "status")).isEqualTo(1);
            assertThat(m.commandOutput()).contains("jmaster is not running");
            m.start();
            assertThat(m.runCommand("-c", m.conf.toString(), "stop")).isZero();
            assertThat(m.commandOutput()).contains("stopped jmaster");
            assertThat(m.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void metricsAreServedOverLoopbackAsOpenMetrics() throws Exception {
        int port = MasterProcess.freePort();
        int metrics = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("master_metrics_listen = 127.0.0.1:" + metrics);
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec()).start();
            Client.session(port);
            String body = scrape(metrics);
            List<String> lines = body.lines().toList();
            assertThat(lines.get(lines.size() - 1)).isEqualTo("# EOF");
            Pattern sample = Pattern.compile("[a-z_]+(\\{([a-z_]+=\"[^\"]*\",?)+\\})? -?[0-9.]+");
            Pattern meta = Pattern.compile("# (TYPE [a-z_]+ (gauge|counter)|HELP [a-z_]+ .+|EOF)");
            for (String l : lines) {
                assertThat(sample.matcher(l).matches() || meta.matcher(l).matches()).as(l).isTrue();
            }
            assertThat(body).contains("jmaster_spawns_total{service=\"" + port + "\",type=\"inet\"} 1")
                    .contains("jmaster_children{service=\"" + port + "\",type=\"inet\",state=\"idle\"} 1")
                    .containsPattern("jmaster_master_resident_memory_bytes [1-9][0-9]+");
            for (String l : lines) {
                if (l.startsWith("# TYPE") && l.endsWith("counter")) {
                    String name = l.split(" ")[2];
                    assertThat(lines).anyMatch(x -> x.startsWith(name + "_total"));
                }
            }
        }
    }

    private static String scrape(int port) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.0 200 OK\r\n").contains("application/openmetrics-text");
            return response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }

    @Test
    void serviceManagerNotificationsArriveInOrder() throws Exception {
        int port = MasterProcess.freePort();
        Path sock = tmp.resolve("notify");
        int fd = TestNative.unixDgramBind(sock.toString());
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec())
                    .start(Map.of("NOTIFY_SOCKET", sock.toString(), "WATCHDOG_USEC", "400000"));
            List<String> got = new ArrayList<>();
            await().atMost(Duration.ofSeconds(10)).until(() -> drain(fd, got).stream().anyMatch(x -> x.startsWith("READY=1")));
            await().atMost(Duration.ofSeconds(10)).until(() -> drain(fd, got).contains("WATCHDOG=1"));
            m.signal("HUP");
            await().atMost(Duration.ofSeconds(10)).until(() -> drain(fd, got).stream()
                    .filter(x -> x.startsWith("READY=1")).count() == 2);
            m.signal("TERM");
            await().atMost(Duration.ofSeconds(10)).until(() -> drain(fd, got).contains("STOPPING=1"));
            List<String> order = got.stream().filter(x -> !x.equals("WATCHDOG=1")).map(x -> x.split("\n")[0]).toList();
            assertThat(order).containsExactly("READY=1", "RELOADING=1", "READY=1", "STOPPING=1");
            assertThat(got.stream().filter(x -> x.startsWith("RELOADING=1")).findFirst().orElseThrow())
                    .containsPattern("MONOTONIC_USEC=\\d+");
            assertThat(got.stream().filter(x -> x.startsWith("READY=1")).findFirst().orElseThrow())
                    .contains("STATUS=1 services");
        } finally {
            Fds.closeQuietly(fd);
        }
    }

    private static List<String> drain(int fd, List<String> into) {
        byte[] buf = new byte[4096];
        int n;
        while ((n = Fds.readNonBlocking(fd, buf, 0, buf.length)) > 0) {
            into.add(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
        return into;
    }

    @Test
    void adoptsAListenerPassedBySocketActivation() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec());
            // a stand-in service manager: bind the port (without SO_REUSEPORT), pass it as fd 3, exec the master
            String launcher = "import os, socket, sys\n"
                    + "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(8)\n"
                    + "os.dup2(s.fileno(), 3, inheritable=True) if s.fileno() != 3 else os.set_inheritable(3, True)\n"
                    + "os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS='1', LISTEN_FDNAMES='smtp')\n"
                    + "os.execv(sys.argv[2], sys.argv[2:])\n";
            m.startCommand(Map.of(), List.of("/usr/bin/python3", "-c", launcher, Integer.toString(port),
                    MasterProcess.REPO.resolve("master").toString(), "-c", m.conf.toString(), "-d"));
            assertThat(Client.session(port)).isPositive();
            // our own bind would have failed (the stand-in did not set SO_REUSEPORT): the socket was adopted
            assertThat(m.logText()).doesNotContain("matches no service");
        }
    }

    @Test
    void orphanedGrandchildrenAreReaped() throws Exception {
        int port = MasterProcess.freePort();
        Path pidFile = tmp.resolve("orphan.pid");
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 fake mode=serve orphan=" + pidFile + " " + m.rec()).start();
            Client.session(port);
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
            long orphan = Long.parseLong(Files.readString(pidFile).trim());
            // re-parented to the master (the subreaper), and reaped by it when it exits: no zombie left
            await().atMost(Duration.ofSeconds(5)).until(() -> parentOf(orphan) == m.pid() || !exists(orphan));
            await().atMost(Duration.ofSeconds(10)).until(() -> !exists(orphan));
        }
    }

    @Test
    void initModeAsPid1InAPidNamespace() throws Exception {
        MasterProcess.assumePidNamespaces();
        int port = MasterProcess.freePort();
        Path pidFile = tmp.resolve("orphan.pid");
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("maillog_file = " + tmp.resolve("maillog"));
            m.masterCf(port + " inet n n n - 1 fake mode=serve orphan=" + pidFile + " " + m.rec());
            assertThat(m.runCommand("-c", m.conf.toString(), "-i")).isEqualTo(1);
            assertThat(m.commandOutput()).contains("-i is allowed only for PID 1 process");
            Process ns = new ProcessBuilder("/usr/bin/unshare", "--pid", "--fork", "--kill-child",
                    MasterProcess.REPO.resolve("master").toString(), "-c", m.conf.toString(), "-i")
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("ns.out").toFile()).start();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(tmp.resolve("maillog"))
                        && Files.readString(tmp.resolve("maillog")).contains("daemon started"));
                long master = ns.toHandle().children().findFirst().orElseThrow().pid();
                assertThat(Files.readString(m.queue.resolve("pid/master.pid")).trim()).isEqualTo("1");
                Client.session(port);
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pidFile)
                        && !Files.readString(pidFile).isBlank());
                // the orphan's pid is from inside the namespace; wait until the master has no zombie child
                await().atMost(Duration.ofSeconds(10)).until(() -> zombiesOf(master) == 0 && childCount(master) == 1);
                new ProcessBuilder("kill", "-TERM", Long.toString(master)).start().waitFor();
                assertThat(ns.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(ns.exitValue()).as("init mode exits 0 on SIGTERM").isZero();
                assertThat(Files.readString(tmp.resolve("maillog"))).contains("terminating on signal 15");
            } finally {
                ns.destroyForcibly();
            }
        }
    }

    @Test
    void childStderrIsLoggedWithServiceAndPidAndLogFilesReopenOnUsr1() throws Exception {
        int port = MasterProcess.freePort();
        int port2 = MasterProcess.freePort();
        Path maillog = tmp.resolve("maillog");
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("maillog_file = " + maillog);
            m.masterCf(port + " inet n n n - 1 fake mode=serve stderr_lines=3 -M stderr=log " + m.rec(),
                    port2 + " inet n n n - 1 fake mode=serve stderr_lines=500 -M stderr=log " + m.rec()).start();
            int pid = Client.session(port);
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(maillog)
                    .contains("master[" + m.pid() + "]: " + port + "[" + pid + "]: complaint 2 from " + pid));
            // a flood is cut to the budget and the drop is counted
            int flooder = Client.session(port2);
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(maillog)
                    .contains("line(s) of child stderr (over 100 lines/s)"));
            String text = Files.readString(maillog);
            long logged = text.lines().filter(l -> l.contains("[" + flooder + "]: complaint ")).count();
            java.util.regex.Matcher dropped = Pattern.compile("dropped (\\d+) line\\(s\\)").matcher(text);
            assertThat(dropped.find()).isTrue();
            assertThat(logged).isBetween(200L, 300L);
            assertThat(logged + Long.parseLong(dropped.group(1))).isEqualTo(500);
            // logrotate: move the file away, SIGUSR1, and the master writes a new one
            Path rotated = tmp.resolve("maillog.1");
            Files.move(maillog, rotated);
            m.signal("USR1");
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(maillog));
            m.signal("HUP");
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(maillog)
                    && Files.readString(maillog).contains("reload -- version"));
            assertThat(Files.readString(rotated)).doesNotContain("reload -- version");
        }
    }

    private static boolean exists(long pid) {
        return Files.exists(Path.of("/proc/" + pid));
    }

    private static long parentOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
        } catch (Exception e) {
            return -1;
        }
    }

    private static List<Long> childrenOf(long pid) throws Exception {
        List<Long> out = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                for (String c : Files.readString(t.resolve("children")).trim().split("\\s+")) {
                    if (!c.isEmpty()) {
                        out.add(Long.parseLong(c));
                    }
                }
            }
        }
        return out;
    }

    private static long zombiesOf(long pid) throws Exception {
        long n = 0;
        for (long c : childrenOf(pid)) {
            String stat = Files.readString(Path.of("/proc/" + c + "/stat"));
            n += stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z") ? 1 : 0;
        }
        return n;
    }

    private static long childCount(long pid) throws Exception {
        return childrenOf(pid).size();
    }
}
