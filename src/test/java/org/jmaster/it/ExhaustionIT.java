package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, findings 5 and 6: nothing that goes wrong inside the loop ends the master — a reload that
 * runs out of memory, a spawn without descriptors — and a full descriptor table pauses listeners
 * instead of spinning and flooding the log; the control and metrics servers cap their connections.
 */
class ExhaustionIT {
    private static final String EMFILE = "Too many open files";

    @TempDir
    Path tmp;

    /** Lowers the running master's descriptor limit (soft and hard) to {@code n}. */
    private static void limitDescriptors(MasterProcess m, long n) throws Exception {
        Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(m.pid()), "--nofile=" + n + ":" + n)
                .inheritIO().start();
        assertThat(p.waitFor()).isZero();
    }

    /** Waits for {@code regex} in the log, failing at once when the log floods with {@code EMFILE} lines. */
    private static void awaitLogWithoutFlood(MasterProcess m, String regex) {
        Pattern p = Pattern.compile(regex);
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100)).until(() -> {
            String text = m.logText();
            long flood = text.lines().filter(l -> l.contains(EMFILE)).count();
            if (flood > 1000) {
                throw new AssertionError(flood + " lines of \"" + EMFILE + "\" in the log: the master spins");
            }
            if (!m.process.isAlive()) {
                throw new AssertionError("master exited (" + m.process.exitValue() + "):\n" + text);
            }
            return p.matcher(text).find();
        });
    }

    /**
     * A reload that reads a 30 MB main.cf line (the launcher gives the master a 64 MiB heap) fails
     * as a whole — out of memory, or the configuration size limit — and the master keeps running
     * the table it had: still alive, still serving, and the next good reload works.
     */
    @Test
    void aHugeMainCfAtReloadKeepsTheRunningTable() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec()).start();
            Client.session(port);
            Path mainCf = m.conf.resolve("main.cf");
            String good = Files.readString(mainCf);
            try (BufferedWriter w = Files.newBufferedWriter(mainCf, StandardOpenOption.APPEND)) {
                w.write("myhostname = ");
                char[] chunk = new char[1 << 20];
                java.util.Arrays.fill(chunk, 'a');
                for (int i = 0; i < 30; i++) {
                    w.write(chunk);
                }
                w.write("\n");
            }
            m.signal("HUP");
            m.awaitLog("reload failed.*still running the previous configuration");
            System.out.println("huge main.cf: " + m.logText().lines().filter(l -> l.contains("reload failed"))
                    .findFirst().orElse(""));
            assertThat(m.process.isAlive()).isTrue();
            Client.session(port);
            // the operator's own command reads main.cf too: give it the good file back
            Files.writeString(mainCf, good);
            assertThat(m.runCommand("-c", m.conf.toString(), "status")).isZero();
            assertThat(m.commandOutput()).contains("0 reload(s)");
            m.signal("HUP");
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                m.runCommand("-c", m.conf.toString(), "status");
                return m.commandOutput().contains("1 reload(s)");
            });
            Client.session(port);
        }
    }

    /**
     * With its descriptor limit lowered, an accept-mode master runs out of descriptors while
     * spawning (the stderr pipe, the pidfd): each such spawn is a failed spawn that throttles the
     * service; the master stays up, and serves again once the clients have gone.
     */
    @Test
    void runningOutOfDescriptorsWhileSpawningIsAFailedSpawn() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("service_throttle_max_time = 4s");
            m.masterCf(port + " inet n n n - 0 /bin/cat -M protocol=inetd").start();
            limitDescriptors(m, m.fdCount() + 12);
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 30; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                    clients.add(s);
                }
                awaitLogWithoutFlood(m, "warning: master_spawn: /bin/cat: .*" + EMFILE + " -- throttling for \\d+s");
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
            }
            await().atMost(Duration.ofSeconds(40)).ignoreExceptions().until(() -> echoes(port));
            assertThat(m.runCommand("-c", m.conf.toString(), "status")).isZero();
            assertThat(m.process.isAlive()).isTrue();
            System.out.printf("spawn under EMFILE: %d line(s) mention EMFILE: %s%n", m.countLog(EMFILE),
                    m.logText().lines().filter(l -> l.contains(EMFILE)).findFirst().orElse(""));
            assertThat(m.countLog(EMFILE)).isLessThan(30);
        }
    }

    private static boolean echoes(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write("ping\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            return "ping".equals(in.readLine());
        }
    }

    /**
     * Idle clients fill the descriptor table through the control socket: accept fails with EMFILE
     * and the listener is paused for 100 ms at a time, so in the ten seconds the first warning
     * covers there are at most about a hundred attempts, counted in one summary line (before:
     * 309,427 warning lines in 3 s). Once the clients go, {@code status} answers.
     */
    @Test
    void aFullDescriptorTablePausesTheListenerInsteadOfFloodingTheLog() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 2 fake mode=hold " + m.rec()).start();
            limitDescriptors(m, m.fdCount() + 6);
            List<SocketChannel> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 16; i++) {
                    clients.add(SocketChannel.open(UnixDomainSocketAddress.of(m.queue.resolve("pid/master.ctl"))));
                }
                awaitLogWithoutFlood(m, "warning: control: accept: " + EMFILE + "; pausing for 100ms");
                awaitLogWithoutFlood(m, "warning: control: accept failed \\d+ more time\\(s\\) in the last 10s");
            } finally {
                for (SocketChannel c : clients) {
                    c.close();
                }
            }
            Matcher summary = Pattern.compile("accept failed (\\d+) more time").matcher(m.logText());
            assertThat(summary.find()).isTrue();
            System.out.printf("control accept under EMFILE: %d warning line(s), %s attempts counted in the summary%n",
                    m.countLog(EMFILE), summary.group(1));
            assertThat(Long.parseLong(summary.group(1))).isLessThan(300);
            assertThat(m.countLog(EMFILE)).isLessThanOrEqualTo(3);
            await().atMost(Duration.ofSeconds(30)).until(() -> m.runCommand("-c", m.conf.toString(), "status") == 0);
            assertThat(m.process.isAlive()).isTrue();
        }
    }

    /**
     * nobody opens 300 connections to the loopback metrics endpoint and holds them: the master takes
     * at most 64 (the rest wait in the kernel's backlog or are refused by it), so its descriptors and
     * buffers stay bounded; {@code status} answers meanwhile and metrics are served again afterwards.
     */
    @Test
    void metricsConnectionsAreCappedForAnyLocalUser() throws Exception {
        int port = MasterProcess.freePort();
        int metrics = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("master_metrics_listen = 127.0.0.1:" + metrics);
            m.masterCf(port + " inet n n n - 2 fake mode=hold " + m.rec()).start();
            Process flood = Hostile.start(Hostile.NOBODY, "hold", "tcp", Integer.toString(metrics), "300");
            try {
                String line = new BufferedReader(new InputStreamReader(flood.getInputStream(), StandardCharsets.US_ASCII))
                        .readLine();
                assertThat(line).startsWith("connected ");
                int connected = Integer.parseInt(line.substring("connected ".length()).trim());
                await().atMost(Duration.ofSeconds(20)).until(() -> heldConnections(m, metrics) >= 64);
                long held = heldConnections(m, metrics);
                System.out.printf("metrics flood: nobody connected %d, the master holds %d%n", connected, held);
                assertThat(held).as("connections the master holds (nobody made %d)", connected).isEqualTo(64);
                assertThat(connected).isGreaterThan(64);
                assertThat(m.runCommand("-c", m.conf.toString(), "status")).isZero();
            } finally {
                flood.getOutputStream().close();
                flood.waitFor();
            }
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> scrape(metrics).contains("# EOF"));
            assertThat(m.process.isAlive()).isTrue();
        }
    }

    /**
     * nobody resets its connections to the metrics endpoint (half a request, then RST): the read
     * error is the end of that connection, not of the master, which goes on serving metrics. Before,
     * the first ECONNRESET escaped the handler and the master died.
     */
    @Test
    void aClientThatResetsItsConnectionIsSurvived() throws Exception {
        int port = MasterProcess.freePort();
        int metrics = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("master_metrics_listen = 127.0.0.1:" + metrics);
            m.masterCf(port + " inet n n n - 2 fake mode=hold " + m.rec()).start();
            Hostile.Result r = Hostile.run(Hostile.NOBODY, "reset", Integer.toString(metrics), "10");
            assertThat(r.output()).contains("reset 10");
            assertThat(scrape(metrics)).contains("# EOF");
            assertThat(m.process.isAlive()).as(m.logText()).isTrue();
        }
    }

    /**
     * The established TCP connections on local port {@code port} whose socket the master holds: its
     * descriptors ({@code socket:[inode]}) matched against {@code /proc/net/tcp}.
     */
    private static long heldConnections(MasterProcess m, int port) throws IOException {
        java.util.Set<String> inodes = new java.util.HashSet<>();
        for (String l : Files.readAllLines(Path.of("/proc/net/tcp"))) {
            String[] f = l.trim().split("\\s+");
            if (f.length > 9 && f[1].endsWith(String.format(":%04X", port)) && f[3].equals("01")) {
                inodes.add(f[9]);
            }
        }
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(m.pid()), "fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException gone) {
                    return "";
                }
            }).filter(t -> t.startsWith("socket:[") && inodes.contains(t.substring(8, t.length() - 1))).count();
        }
    }

    private static String scrape(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET /metrics HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
