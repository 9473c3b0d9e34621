package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.TestNative;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end: binary upgrade. A new master from what is installed takes every listener over while
 * clients keep coming; a new master that cannot start leaves the old one serving, which says why.
 */
class UpgradeIT {
    @TempDir
    Path tmp;

    /** Sessions of the fake daemon (greeting, one echo) against an inet and a unix service, counted. */
    static final class Load implements AutoCloseable {
        final AtomicLong attempted = new AtomicLong();
        final AtomicLong ok = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong reset = new AtomicLong();
        final AtomicLong other = new AtomicLong();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();
        private final int port;
        private final Path unix;

        Load(int port, Path unix, int clients) {
            this.port = port;
            this.unix = unix;
            for (int i = 0; i < clients; i++) {
                int n = i;
                Thread t = new Thread(() -> {
                    for (int k = n; running.get(); k++) {
                        session(k % 2 == 0);
                    }
                }, "upgrade-load-" + i);
                t.start();
                threads.add(t);
            }
        }

        private void session(boolean inet) {
            attempted.incrementAndGet();
            try {
                if (inet) {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                        s.setSoTimeout(20_000);
                        talk(new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)),
                                b -> s.getOutputStream().write(b));
                    }
                } else {
                    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                        ch.connect(UnixDomainSocketAddress.of(unix));
                        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                                StandardCharsets.US_ASCII));
                        talk(in, b -> ch.write(ByteBuffer.wrap(b)));
                    }
                }
                ok.incrementAndGet();
            } catch (ConnectException e) {
                fail(refused, (inet ? "inet" : "unix") + ": " + e);
            } catch (SocketException e) {
                fail(e.getMessage() != null && e.getMessage().contains("reset") ? reset : other,
                        (inet ? "inet" : "unix") + ": " + e);
            } catch (IOException | RuntimeException e) {
                fail(other, (inet ? "inet" : "unix") + ": " + e);
            }
        }

        interface Writer {
            void write(byte[] b) throws IOException;
        }

        private static void talk(BufferedReader in, Writer out) throws IOException {
            String hello = in.readLine();
            if (hello == null || !hello.startsWith("hello ")) {
                throw new IOException("greeting: " + hello);
            }
            out.write("ping\n".getBytes(StandardCharsets.US_ASCII));
            String echo = in.readLine();
            if (!"echo ping".equals(echo)) {
                throw new IOException("echo: " + echo + " (after " + hello + ")");
            }
        }

        private void fail(AtomicLong counter, String what) {
            counter.incrementAndGet();
            if (failures.size() < 10) {
                failures.add(what);
            }
        }

        long failed() {
            return refused.get() + reset.get() + other.get();
        }

        /** The counts so far: attempted, completed, refused, reset, other. */
        long[] counts() {
            return new long[] {attempted.get(), ok.get(), refused.get(), reset.get(), other.get()};
        }

        /** What ended between two marks (a session in flight at a mark ends in the next window). */
        static String between(long[] from, long[] to) {
            return (to[1] - from[1]) + " completed, " + (to[2] - from[2]) + " refused, " + (to[3] - from[3])
                    + " reset, " + (to[4] - from[4]) + " other";
        }

        /** Stops the clients after their current session; true when every one of them finished it. */
        boolean finish() throws InterruptedException {
            running.set(false);
            boolean all = true;
            for (Thread t : threads) {
                t.join(60_000);
                all &= !t.isAlive();
            }
            return all;
        }

        @Override
        public void close() throws InterruptedException {
            finish();
        }
    }

    @Test
    void upgradeUnderLoadHandsEverythingOverThreeTimesWithoutLosingAConnection() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 8 fake mode=serve " + m.rec(),
                    "sock unix n n n - 8 fake mode=serve " + m.rec()).start();
            Path pidFile = m.queue.resolve("pid/master.pid");
            Path unix = m.queue.resolve("public/sock");
            long first = m.pid();
            long baseline;
            List<Long> masters = new ArrayList<>(List.of(first));
            List<String> timings = new ArrayList<>();
            List<long[]> marks = new ArrayList<>();
            boolean allFinished;
            Load load = new Load(port, unix, 8);
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> load.ok.get() >= 40);
                baseline = descriptorsWithoutPidfds(first);
                for (int round = 1; round <= 3; round++) {
                    long old = masters.get(masters.size() - 1);
                    long before = load.ok.get();
                    marks.add(load.counts());
                    long t0 = System.nanoTime();
                    assertThat(m.runCommand("-c", m.conf.toString(), "upgrade"))
                            .as("upgrade %d: %s", round, m.commandOutput()).isZero();
                    long handedOver = (System.nanoTime() - t0) / 1_000_000;
                    long now = recordedPid(pidFile);
                    assertThat(now).as("the master pid changes at upgrade %d", round).isNotEqualTo(old)
                            .isNotIn(masters);
                    assertThat(m.commandOutput()).contains("pid " + old + " -> pid " + now)
                            .contains("binary generation " + (round + 1));
                    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10)).until(() -> exited(old));
                    long exited = (System.nanoTime() - t0) / 1_000_000;
                    timings.add("upgrade " + round + ": handed over in " + handedOver + " ms, old master exited "
                            + exited + " ms after the command started");
                    masters.add(now);
                    // clients keep being served by the new master
                    await().atMost(Duration.ofSeconds(30)).until(() -> load.ok.get() >= before + 40);
                }
            } finally {
                allFinished = load.finish();
            }
            long[] end = load.counts();
            long last = masters.get(masters.size() - 1);
            // each upgrade's window: from its command to the next one's (the last: until the clients stop)
            for (int round = 1; round <= 3; round++) {
                System.out.println("UpgradeIT: upgrade " + round + ": "
                        + Load.between(marks.get(round - 1), round < 3 ? marks.get(round) : end));
            }
            System.out.println("UpgradeIT: all: " + end[0] + " attempted, " + Load.between(new long[5], end));
            timings.forEach(t -> System.out.println("UpgradeIT: " + t));
            // the old masters' own measure: from the upgrade's start to the new master's "ready"
            java.util.regex.Matcher took = java.util.regex.Pattern
                    .compile("new master pid \\d+ \\(binary generation \\d+\\) took over after \\d+ms").matcher(m.logText());
            while (took.find()) {
                System.out.println("UpgradeIT: " + took.group());
            }
            assertThat(allFinished).as("every client finished its last session").isTrue();
            assertThat(load.failed()).as("failed sessions: %s", load.failures).isZero();
            assertThat(end[0]).as("every session attempted completed").isEqualTo(end[1]);
            assertThat(load.ok.get()).isGreaterThanOrEqualTo(160);
            // nothing of the old masters is left: no process, no child, and no descriptor piles up in the new one
            for (long old : masters.subList(0, 3)) {
                assertThat(exited(old)).as("old master %d", old).isTrue();
                for (long child : childrenOf(m, old)) {
                    assertThat(exited(child)).as("child %d of old master %d", child, old).isTrue();
                }
                assertThat(childrenOf(m, old)).as("children of %d", old).isNotEmpty();
            }
            assertThat(descriptorsWithoutPidfds(last)).isEqualTo(baseline);
            // every child that took a client finished it: an accept is always followed by its done
            Map<String, Integer> open = new HashMap<>();
            for (String e : m.events()) {
                String[] f = e.split(" ", 2);
                if (f[1].equals("accept")) {
                    open.merge(f[0], 1, Integer::sum);
                } else if (f[1].equals("done")) {
                    open.merge(f[0], -1, Integer::sum);
                }
            }
            open.values().removeIf(n -> n == 0);
            assertThat(open).as("children that accepted a client and did not finish it").isEmpty();
            assertThat(Files.readString(m.log)).contains("upgrade: new master pid " + last)
                    .contains("upgrade: the last child of this master is gone; exiting");
            stop(last);
        }
    }

    @Test
    void aNewMasterThatFailsLeavesTheOldOneServingAndSaysWhy() throws Exception {
        int port = MasterProcess.freePort();
        Path tree = copyOfTheTree();
        try (MasterProcess m = new MasterProcess(tmp.resolve("m"))) {
            m.mainCf("master_upgrade_timeout = 3s");
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec());
            m.startCommand(Map.of(), List.of(tree.resolve("master").toString(), "-c", m.conf.toString(), "-d"));
            Client.session(port);
            // a broken master.cf: the new master's own fatal error is the reason
            Path masterCf = m.conf.resolve("master.cf");
            String good = Files.readString(masterCf);
            Files.writeString(masterCf, port + " inet n n n - 2\n");
            assertThat(m.runCommand("-c", m.conf.toString(), "upgrade")).isEqualTo(1);
            assertThat(m.commandOutput()).contains("upgrade failed: new master pid ")
                    .contains("master.cf: line 1").contains("keeps serving");
            m.awaitLog("upgrade failed: new master pid \\d+: .*master.cf: line 1");
            assertThat(m.process.isAlive()).isTrue();
            Client.session(port);
            Files.writeString(masterCf, good);
            // a broken jar (replaced, as a package upgrade does, by a new file: the running JVM keeps its own)
            Path jar = tree.resolve("target/jmaster.jar");
            Path broken = tree.resolve("target/broken.jar");
            Files.writeString(broken, "this is not a jar\n");
            Files.move(broken, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            assertThat(m.runCommand("-c", m.conf.toString(), "upgrade")).isEqualTo(1);
            assertThat(m.commandOutput()).contains("upgrade failed: new master pid ").contains("exit status 1");
            m.awaitLog("upgrade failed: new master pid \\d+ exit status 1 before it was ready");
            Client.session(port);
            // a launcher that never gets the new master ready: the old one stops waiting after master_upgrade_timeout
            Files.writeString(tree.resolve("master"), "#!/bin/sh\nexec sleep 60\n");
            assertThat(m.runCommand("-c", m.conf.toString(), "upgrade")).isEqualTo(1);
            assertThat(m.commandOutput()).contains("was not ready within 3s (master_upgrade_timeout)");
            Client.session(port);
            // nothing changed: same master, its pid file, its status, no new master left behind
            assertThat(recordedPid(m.queue.resolve("pid/master.pid"))).isEqualTo(m.pid());
            assertThat(m.runCommand("-c", m.conf.toString(), "status", "--json")).isZero();
            JsonNode status = MasterProcess.JSON.readTree(m.commandOutput());
            assertThat(status.get("pid").asLong()).isEqualTo(m.pid());
            assertThat(status.get("binaryGeneration").asLong()).isEqualTo(1);
            await().atMost(Duration.ofSeconds(10)).until(() -> m.liveChildren().stream()
                    .noneMatch(p -> p.info().command().orElse("").contains("sleep")));
            assertThat(m.countLog("daemon started")).isEqualTo(1);
            assertThat(CanaryIT.codes(m).stream().filter(c -> c.equals("upgrade.failed")).count()).isEqualTo(3);
        }
    }

    @Test
    void sigusr2UpgradesAndTheServiceManagerHearsTheNewMainPid() throws Exception {
        int port = MasterProcess.freePort();
        Path sock = tmp.resolve("notify.sock");
        int fd = TestNative.unixDgramBind(sock.toString());
        try (MasterProcess m = new MasterProcess(tmp.resolve("m"))) {
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec())
                    .start(Map.of("NOTIFY_SOCKET", sock.toString()));
            List<String> got = new ArrayList<>();
            await().atMost(Duration.ofSeconds(10)).until(() -> drain(fd, got).stream().anyMatch(x -> x.startsWith("READY=1")));
            Client.session(port);
            // a follower of the event stream sees the steps on both sides
            Path events = tmp.resolve("events.txt");
            Process follower = new ProcessBuilder(MasterProcess.REPO.resolve("master").toString(), "-c",
                    m.conf.toString(), "events", "--follow").redirectErrorStream(true)
                    .redirectOutput(events.toFile()).start();
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(events).contains("master.started"));
            m.signal("USR2");
            assertThat(m.process.waitFor(30, TimeUnit.SECONDS)).as("the old master exits").isTrue();
            assertThat(m.process.exitValue()).isZero();
            long now = recordedPid(m.queue.resolve("pid/master.pid"));
            assertThat(now).isNotEqualTo(m.pid());
            await().atMost(Duration.ofSeconds(10)).until(() -> drain(fd, got).stream()
                    .filter(x -> x.startsWith("READY=1")).count() == 2);
            // the old main process names the new one, which then says it is ready
            List<String> order = got.stream().map(x -> x.split("\n")[0]).toList();
            assertThat(order).containsExactly("READY=1", "MAINPID=" + now, "READY=1");
            Client.session(port);
            assertThat(m.logText()).contains("upgrade: took over from master pid " + m.pid());
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(events).contains("upgrade.took_over"));
            stop(now);
            assertThat(follower.waitFor(30, TimeUnit.SECONDS)).isTrue();
            List<String> codes = Files.readAllLines(events).stream().map(l -> l.split(" ")[1]).toList();
            assertThat(codes).containsSubsequence("master.started", "upgrade.begin", "upgrade.ready",
                    "upgrade.committed", "upgrade.retired", "master.started", "upgrade.took_over", "master.stopping");
            assertThat(Files.readString(events)).contains("upgrade.took_over pid=" + now + " from=" + m.pid()
                    + " binary_generation=2");
        } finally {
            Fds.closeQuietly(fd);
        }
    }

    @Test
    void aDetachedDaemonUpgradesToAnotherDetachedDaemon() throws Exception {
        int port = MasterProcess.freePort();
        Path maillog = tmp.resolve("maillog");
        try (MasterProcess m = new MasterProcess(tmp.resolve("m"))) {
            m.mainCf("maillog_file = " + maillog);
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec());
            assertThat(m.runCommand("-c", m.conf.toString())).as("detaches").isZero();
            Path pidFile = m.queue.resolve("pid/master.pid");
            long daemon = recordedPid(pidFile);
            Client.session(port);
            assertThat(m.runCommand("-c", m.conf.toString(), "upgrade")).as(m.commandOutput()).isZero();
            long now = recordedPid(pidFile);
            assertThat(now).isNotEqualTo(daemon);
            await().atMost(Duration.ofSeconds(30)).until(() -> !alive(daemon));
            Client.session(port);
            // still a daemon: no terminal, its own session's member, standard descriptors on /dev/null
            assertThat(Files.readSymbolicLink(Path.of("/proc/" + now + "/fd/0")).toString()).isEqualTo("/dev/null");
            assertThat(Files.readString(maillog)).contains("upgrade: took over from master pid " + daemon);
            assertThat(m.runCommand("-c", m.conf.toString(), "stop")).isZero();
        }
    }

    @Test
    void asPid1TheMasterReExecutesItselfInPlace() throws Exception {
        MasterProcess.assumePidNamespaces();
        int port = MasterProcess.freePort();
        Path maillog = tmp.resolve("maillog");
        try (MasterProcess m = new MasterProcess(tmp.resolve("m"))) {
            m.mainCf("maillog_file = " + maillog);
            m.masterCf(port + " inet n n n - 2 fake mode=hold " + m.rec());
            Process ns = new ProcessBuilder("/usr/bin/unshare", "--pid", "--fork", "--kill-child",
                    MasterProcess.REPO.resolve("master").toString(), "-c", m.conf.toString(), "-i")
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("ns.out").toFile()).start();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(maillog)
                        && Files.readString(maillog).contains("daemon started"));
                long master = ns.toHandle().children().findFirst().orElseThrow().pid();
                long fds = descriptorsWithoutPidfds(master);
                // a client the old program's child is serving while the master re-executes
                Client held = new Client(port);
                int oldChild = held.greeting();
                assertThat(m.runCommand("-c", m.conf.toString(), "upgrade")).as(m.commandOutput()).isZero();
                assertThat(m.commandOutput()).contains("pid 1 -> pid 1").contains("binary generation 2");
                assertThat(Files.readString(maillog)).contains("re-executing")
                        .contains("upgrade: took over from master pid 1 (binary generation 2)");
                // the same process, still PID 1, serving; the held client is served to its end
                assertThat(ns.toHandle().children().findFirst().orElseThrow().pid()).isEqualTo(master);
                assertThat(Client.sessionGreetingOnly(port)).isNotEqualTo(oldChild);
                assertThat(held.echo("still here")).isEqualTo("echo still here");
                held.close();
                // the old program's child leaves when its client is done and is reaped as an orphan
                await().atMost(Duration.ofSeconds(10)).until(() -> zombiesOf(master) == 0 && childCount(master) == 1);
                assertThat(descriptorsWithoutPidfds(master)).isEqualTo(fds);
                new ProcessBuilder("kill", "-TERM", Long.toString(master)).start().waitFor();
                assertThat(ns.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(ns.exitValue()).isZero();
            } finally {
                ns.destroyForcibly();
            }
        }
    }

    // ---- helpers

    /** A copy of the launcher, services/ and the built jar and exec helper, as an installed tree is laid out. */
    private Path copyOfTheTree() throws IOException {
        Path home = Files.createDirectories(tmp.resolve("tree"));
        Files.copy(MasterProcess.REPO.resolve("master"), home.resolve("master"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createDirectories(home.resolve("services"));
        try (Stream<Path> s = Files.list(MasterProcess.REPO.resolve("services"))) {
            for (Path p : s.toList()) {
                Files.copy(p, home.resolve("services").resolve(p.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        Path target = Files.createDirectories(home.resolve("target"));
        Files.copy(MasterProcess.REPO.resolve("target/jmaster.jar"), target.resolve("jmaster.jar"));
        Files.copy(MasterProcess.REPO.resolve("target/jmaster-exec"), target.resolve("jmaster-exec"),
                StandardCopyOption.COPY_ATTRIBUTES);
        return home;
    }

    static long recordedPid(Path pidFile) throws IOException {
        return Long.parseLong(Files.readString(pidFile).trim());
    }

    /**
     * Whether {@code pid} has exited: gone, or a zombie its parent has not reaped yet (an old master
     * re-parented to init is reaped whenever init gets to it; what counts here is that it ended).
     */
    static boolean exited(long pid) {
        return !alive(pid) || state(pid) == 'Z';
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The children the fake daemons recorded ({@code <pid>.json}) with {@code parent} as their parent. */
    static List<Long> childrenOf(MasterProcess m, long parent) throws IOException {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(m.record)) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("\\d+\\.json")).toList()) {
                if (MasterProcess.JSON.readTree(p.toFile()).get("ppid").asLong() == parent) {
                    out.add(Long.parseLong(p.getFileName().toString().replace(".json", "")));
                }
            }
        }
        return out;
    }

    /** The master's open descriptors, not counting one pidfd per child (which come and go with them). */
    static long descriptorsWithoutPidfds(long pid) throws IOException {
        long n = 0;
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path p : s.toList()) {
                try {
                    if (!Files.readSymbolicLink(p).toString().contains("pidfd")) {
                        n++;
                    }
                } catch (IOException gone) {
                    // closed meanwhile
                }
            }
        }
        return n;
    }

    static long zombiesOf(long pid) {
        return ProcessHandle.of(pid).map(p -> p.children().filter(c -> state(c.pid()) == 'Z').count()).orElse(0L);
    }

    static long childCount(long pid) {
        return ProcessHandle.of(pid).map(p -> p.children().count()).orElse(0L);
    }

    private static char state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2);
        } catch (IOException e) {
            return '?';
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

    /** SIGTERM to a master this test no longer holds a Process for, and wait until it is gone. */
    static void stop(long pid) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-TERM", Long.toString(pid)).start().waitFor();
        await().atMost(Duration.ofSeconds(30)).until(() -> !alive(pid));
    }
}
