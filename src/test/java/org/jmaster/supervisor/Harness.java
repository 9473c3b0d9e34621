package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.jmaster.conf.MainConfig;
import org.jmaster.conf.ServiceTable;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.Signals;
import org.jmaster.net.SocketActivation;

/**
 * A real supervisor in the test's own process, on a private configuration, with real children
 * (the recording test daemon {@code fake}, {@code /bin/cat}, ...) and a fake clock: the test drives
 * the loop round by round and moves time itself, so timers (throttle delays, wakeups, prefork ticks)
 * and every decision that reads the time are deterministic. The process's signal handlers and
 * subreaper flag are left alone; {@link #close} kills what is left and reaps it.
 */
final class Harness implements AutoCloseable {
    static final Path REPO = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    static final Path DAEMONS = REPO.resolve("src/test/resources/daemons");

    /** Time as the test says. */
    static final class FakeClock implements EventLoop.Clock {
        long nanos = 1_000_000_000_000L;
        long millis = 1_700_000_000_000L;

        @Override
        public long nanoTime() {
            return nanos;
        }

        @Override
        public long currentTimeMillis() {
            return millis;
        }

        void advance(long ms) {
            nanos += ms * 1_000_000L;
            millis += ms;
        }
    }

    final FakeClock clock = new FakeClock();
    final Path dir;
    final Path record;
    final Supervisor master;

    /** {@code masterCf} may use {@code PORT1}, {@code PORT2} and {@code RECORD}; see {@link #port}. */
    Harness(Path dir, String mainExtra, String masterCf) throws Exception {
        this.dir = dir;
        this.record = Files.createDirectories(dir.resolve("record"));
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Path queue = dir.resolve("queue");
        for (String d : List.of("pid", "private", "public")) {
            Files.createDirectories(queue.resolve(d));
        }
        Files.writeString(conf.resolve("main.cf"), String.join("\n",
                "queue_directory = " + queue,
                "data_directory = " + dir.resolve("data"),
                "daemon_directory = " + DAEMONS,
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "service_throttle_time = 10s",
                "service_throttle_max_time = 80s",
                "master_shutdown_grace_time = 3s",
                mainExtra, ""));
        Files.writeString(conf.resolve("master.cf"), masterCf
                .replace("PORT1", Integer.toString(port(1)))
                .replace("PORT2", Integer.toString(port(2)))
                .replace("RECORD", record.toString()) + "\n");
        MainConfig main = MainConfig.load(conf, Map.of());
        ServiceTable table = ServiceTable.load(conf, main);
        master = new Supervisor(new Supervisor.Config(true, false, false, "test", () -> {
            try {
                MainConfig m = MainConfig.load(conf, Map.of());
                return new Supervisor.Loaded(m, ServiceTable.load(conf, m), List.of());
            } catch (org.jmaster.conf.ConfigException e) {
                return Supervisor.Loaded.failed(e);
            }
        }, new Supervisor.Hooks() {}, REPO.resolve("target/jmaster-exec")), clock);
        master.start(main, table, SocketActivation.fromEnvironment(Map.of()), false);
    }

    private final int[] ports = new int[3];

    /** A free loopback port, the same for the same {@code n} within this harness. */
    int port(int n) {
        if (ports[n] == 0) {
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                ports[n] = s.getLocalPort();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return ports[n];
    }

    Service service(String name) {
        Service s = master.service(name);
        assertThat(s).as("service " + name).isNotNull();
        return s;
    }

    /** Runs loop rounds (real readiness, fake time standing still) until {@code done} holds. */
    void runUntil(String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            master.loop.runOnce(20);
        }
    }

    /** Moves the fake time on and runs what became due. */
    void advance(long ms) {
        clock.advance(ms);
        master.loop.runOnce(0);
    }

    /** Whether the listeners of {@code s} are watched. */
    boolean watched(Service s) {
        return s.listeners.stream().allMatch(l -> master.loop.isWatched(l.fd()));
    }

    /** A client that connects to PORT{@code n}; the loop must run for it to be served. */
    Socket connect(int n) throws IOException {
        Socket c = new Socket();
        c.connect(new InetSocketAddress("127.0.0.1", port(n)), 2000);
        c.setSoTimeout(50);
        return c;
    }

    /** Reads what {@code c} has (running the loop meanwhile) until a newline or EOF; null at EOF with nothing. */
    String readLine(Socket c) throws IOException {
        StringBuilder sb = new StringBuilder();
        InputStream in = c.getInputStream();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            master.loop.runOnce(10);
            try {
                int b = in.read();
                if (b < 0) {
                    return sb.length() == 0 ? null : sb.toString();
                }
                if (b == '\n') {
                    return sb.toString();
                }
                sb.append((char) b);
            } catch (java.net.SocketTimeoutException e) {
                // nothing yet
            } catch (java.net.SocketException e) {
                return sb.length() == 0 ? null : sb.toString();
            }
        }
        throw new AssertionError("no line from " + c);
    }

    static void send(Socket c, String line) throws IOException {
        OutputStream out = c.getOutputStream();
        out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** One whole session with the fake daemon's serve mode: greeting, one echoed line. */
    String session(int n) throws IOException {
        try (Socket c = connect(n)) {
            String hello = readLine(c);
            send(c, "ping");
            String echo = readLine(c);
            return hello + "|" + echo;
        }
    }

    /** The recorded events of the fake daemons ({@code <pid> <event>} lines). */
    List<String> events() throws IOException {
        Path f = record.resolve("events");
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    @Override
    public void close() {
        // as the operator's abort: no service spawns again (prefork would refill), every child gets SIGKILL
        master.abort();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!master.children.isEmpty() && System.nanoTime() < deadline) {
            master.loop.runOnce(20);
            for (Child c : List.copyOf(master.children.values())) {
                Processes.kill(c.pid, Signals.SIGKILL);
            }
        }
        assertThat(master.children).as("children left by the harness").isEmpty();
        for (var v : master.snapshot().services()) {
            Service s = master.service(v.name());
            if (s != null) {
                org.jmaster.net.Listeners.close(s.listeners);
                s.channel.close();
            }
        }
        Fds.closeQuietly(master.flowPipe[0]);
        Fds.closeQuietly(master.flowPipe[1]);
    }
}
