package org.jmaster.it;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real master started the way a user starts it ({@code ./master -c DIR -d}) on a private
 * configuration, queue and daemon directory, with the recording test daemon {@code fake}.
 */
final class MasterProcess implements AutoCloseable {
    static final Path REPO = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final Path conf;
    final Path queue;
    final Path daemons;
    final Path record;
    final Path log;
    Process process;

    MasterProcess(Path dir) throws IOException {
        this.dir = dir;
        this.conf = Files.createDirectories(dir.resolve("conf"));
        this.queue = dir.resolve("queue");
        this.daemons = Files.createDirectories(dir.resolve("daemons"));
        this.record = Files.createDirectories(dir.resolve("record"));
        this.log = dir.resolve("master.log");
        for (String name : List.of("fake", "sdchild")) {
            Path daemon = daemons.resolve(name);
            Files.copy(REPO.resolve("src/test/resources/daemons/" + name), daemon, StandardCopyOption.REPLACE_EXISTING);
            daemon.toFile().setExecutable(true);
        }
        mainCf("");
    }

    /** Builds the C test daemon {@code oneshot} into the daemon directory. */
    MasterProcess withOneshot() throws IOException, InterruptedException {
        Process cc = new ProcessBuilder("gcc", "-O2", "-o", daemons.resolve("oneshot").toString(),
                REPO.resolve("src/test/c/oneshot.c").toString()).inheritIO().start();
        if (cc.waitFor() != 0) {
            throw new IOException("gcc failed for oneshot.c");
        }
        return this;
    }

    /** Writes main.cf with the private directories plus {@code extra} lines. */
    MasterProcess mainCf(String extra) throws IOException {
        Files.writeString(conf.resolve("main.cf"), String.join("\n",
                "queue_directory = " + queue,
                "data_directory = " + dir.resolve("data"),
                "daemon_directory = " + daemons,
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "service_throttle_time = 2s",
                "master_shutdown_grace_time = 3s",
                extra, ""));
        return this;
    }

    MasterProcess masterCf(String... lines) throws IOException {
        Files.writeString(conf.resolve("master.cf"), String.join("\n", lines) + "\n");
        return this;
    }

    /** {@code record=DIR} argument for the fake daemon. */
    String rec() {
        return "record=" + record;
    }

    MasterProcess start(String... extraArgs) throws IOException {
        return start(java.util.Map.of(), extraArgs);
    }

    /** Starts {@code ./master -c conf -d} with extra environment variables. */
    MasterProcess start(java.util.Map<String, String> env, String... extraArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(REPO.resolve("master").toString(), "-c", conf.toString(), "-d"));
        cmd.addAll(List.of(extraArgs));
        return startCommand(env, cmd);
    }

    /** Starts an arbitrary command line that ends up exec'ing the master. */
    MasterProcess startCommand(java.util.Map<String, String> env, List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        process = pb
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        awaitLog("daemon started -- version");
        return this;
    }

    long pid() {
        return process.pid();
    }

    String logText() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void awaitLog(String regex) {
        Pattern p = Pattern.compile(regex);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    if (process != null && !process.isAlive() && !p.matcher(logText()).find()) {
                        throw new AssertionError("master exited (" + process.exitValue() + "):\n" + logText());
                    }
                    return p.matcher(logText()).find();
                });
    }

    long countLog(String regex) {
        return Pattern.compile(regex).matcher(logText()).results().count();
    }

    void signal(String sig) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + sig, Long.toString(pid())).inheritIO().start().waitFor();
    }

    /** The recorded start-up facts of every child so far. */
    List<JsonNode> children() {
        try (Stream<Path> s = Files.list(record)) {
            List<JsonNode> out = new ArrayList<>();
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
                out.add(JSON.readTree(p.toFile()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<String> events() {
        Path ev = record.resolve("events");
        try {
            return Files.exists(ev) ? Files.readAllLines(ev) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    long countEvents(String regex) {
        Pattern p = Pattern.compile(regex);
        return events().stream().filter(l -> p.matcher(l).find()).count();
    }

    /** Live processes whose parent is the master. */
    List<ProcessHandle> liveChildren() {
        return process.toHandle().children().toList();
    }

    /** The master's open descriptors. */
    long fdCount() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid()), "fd"))) {
            return s.count();
        }
    }

    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port nobody listens on, below Linux's ephemeral range (32768-60999) so that no client socket
     * of another test can be holding it, and never the same one twice in this JVM.
     */
    static int freePort() throws IOException {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = 20000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(12000);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new java.net.InetSocketAddress(port));
                return port;
            } catch (IOException inUse) {
                // taken: try another
            }
        }
        throw new IOException("no free port between 20000 and 32000");
    }

    int runCommand(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(REPO.resolve("master").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("cmd.out").toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timeout: " + cmd);
        }
        return p.exitValue();
    }

    String commandOutput() throws IOException {
        return Files.readString(dir.resolve("cmd.out"));
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            List<ProcessHandle> kids = liveChildren();
            process.destroy();
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
            kids.forEach(ProcessHandle::destroyForcibly);
        }
        stopDetachedDaemon();
    }

    /** Skips a test that runs the master in a PID namespace of its own: that needs root and util-linux's unshare. */
    static void assumePidNamespaces() {
        org.junit.jupiter.api.Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0,
                "skipped: a PID namespace needs root");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")),
                "skipped: util-linux unshare missing");
    }

    /**
     * A test that started a detached master (no -d) and failed before stopping it would leave the
     * daemon running: the one named by this configuration's pid file goes too.
     */
    private void stopDetachedDaemon() {
        Path pidFile = queue.resolve("pid/master.pid");
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).trim());
        } catch (IOException | NumberFormatException e) {
            return;
        }
        ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(h -> h.info().commandLine().map(c -> c.contains(conf.toString())).orElse(false))
                .ifPresent(h -> {
                    List<ProcessHandle> kids = h.children().toList();
                    h.destroy();
                    try {
                        h.onExit().get(15, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        h.destroyForcibly();
                    }
                    kids.forEach(ProcessHandle::destroyForcibly);
                });
    }
}
