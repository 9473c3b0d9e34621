package org.jmaster.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import java.util.List;
import java.util.function.Supplier;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.MainConfig;
import org.jmaster.nativ.Errno;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.Signals;
import org.jmaster.control.StatusTable;
import org.jmaster.supervisor.Snapshot;

/**
 * The operator's commands against a running master, all through its control socket:
 * {@code status} and {@code children} (a table, or JSON with {@code --json}), {@code reload}
 * (validates first, as start-up does; asks for the reload only when the files are valid and waits
 * for it), {@code stop} (waits until the lock is free) and {@code abort} (every child killed at
 * once). Only when the control socket does not answer do {@code reload}, {@code stop} and
 * {@code abort} fall back to a signal to the pid in the pid file, and only to a process that holds
 * that pid file open: a master in init mode ({@code -i}) records pid 1 of its container's namespace,
 * which from outside is the host's init ({@link #whyNotSignal}). Exit status 0 on success, 1
 * otherwise; {@code status} says "jmaster is not running" and exits 1 when no master runs.
 */
final class OperatorCommands {
    /** Waits poll quickly first (a reload takes the master milliseconds), then every 100 ms. */
    private static final int FIRST_WAIT_MS = 5;
    private static final int WAIT_STEP_MS = 100;
    private static final int CONNECT_TIMEOUT_MS = 5000;
    private static final int READ_TIMEOUT_MS = 10_000;

    private final MainConfig main;
    private final Path pidFile;
    private final Supplier<Validation.Result> validate;
    private final PrintStream out = System.out;

    OperatorCommands(MainConfig main, Path pidFile, Supplier<Validation.Result> validate) {
        this.main = main;
        this.pidFile = pidFile;
        this.validate = validate;
    }

    int run(String command, boolean json) {
        switch (command) {
            case "status":
            case "children":
                return show(command, json);
            case "reload":
                return reload();
            case "stop":
                return stop();
            case "abort":
                return abort();
            default:
                throw new IllegalArgumentException(command);
        }
    }

    private int show(String command, boolean json) {
        // the control socket first: an answer proves a master runs, and needs no native code (the
        // lock file's flock binds jnr-ffi, ~70 ms); the lock says which failure it was
        String reply;
        try {
            // the table as the master renders it: no JSON parser here (Jackson is ~120 ms of a command)
            reply = ask(json ? command : command + " table");
            if (!json && reply.startsWith("error: unknown command")) {
                // a master from before the tables were its own (during an upgrade, say)
                reply = ask(command);
            } else if (!json) {
                out.print(reply);
                return 0;
            }
        } catch (IOException e) {
            return controlSocketDown(e);
        }
        if (json) {
            out.print(reply);
            return 0;
        }
        // the JSON of a master without "status table"
        try {
            if (command.equals("status")) {
                StatusTable.print(out, Json.MAPPER.readValue(reply, Snapshot.class), System.currentTimeMillis());
            } else {
                StatusTable.printChildren(out, List.of(Json.MAPPER.readValue(reply, Snapshot.ChildView[].class)));
            }
        } catch (java.io.IOException e) {
            Terminal.error("unexpected answer from the master: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    private int reload() {
        Validation.Result checked = validate.get();
        checked.warnings().forEach(w -> Terminal.warning(w.toString()));
        if (!checked.ok()) {
            checked.errors().forEach(e -> Terminal.error(e.toString()));
            Terminal.say("not reloaded: the running master keeps its configuration");
            return 1;
        }
        // the master's own answer names its pid and its reload count; the lock file only without one
        Snapshot now = snapshot();
        long pid = now != null ? now.pid() : runningPid();
        if (pid < 0) {
            return 1;
        }
        long before = now != null ? now.reloads() : -1;
        if (!request("reload", pid, Signals.SIGHUP)) {
            return 1;
        }
        if (before < 0) {
            Terminal.say("sent SIGHUP to jmaster (pid " + pid + "); without its control socket the reload cannot"
                    + " be confirmed here: see the log");
            return 0;
        }
        for (long waited = 0; waited < 10_000; waited += pause(waited)) {
            if (reloads() > before) {
                out.println("reloaded jmaster (pid " + pid + ")");
                return 0;
            }
        }
        Terminal.error("asked jmaster (pid " + pid + ") to reload; the reload did not finish within 10s (see the log)");
        return 1;
    }

    private int stop() {
        long pid = runningPid();
        if (pid < 0) {
            return 1;
        }
        if (!request("stop", pid, Signals.SIGTERM)) {
            return 1;
        }
        long limitMs = 15_000;
        try {
            limitMs += main.getTimeSeconds("master_shutdown_grace_time") * 1000;
        } catch (ConfigException e) {
            // the running master validated it; keep the default bound
        }
        return waitUntilGone(pid, limitMs, "stopped");
    }

    private int abort() {
        long pid = runningPid();
        if (pid < 0) {
            return 1;
        }
        if (!request("abort", pid, Signals.SIGKILL)) {
            return 1;
        }
        return waitUntilGone(pid, 10_000, "aborted");
    }

    /**
     * Asks the master to {@code command} over the control socket; when the socket does not answer,
     * sends {@code signal} instead, if {@link #whyNotSignal} allows. False (said) when neither worked.
     */
    private boolean request(String command, long pid, int signal) {
        try {
            String reply = ask(command);
            // a master told to stop or abort may be gone before its answer is written
            if (reply.strip().equals("ok") || reply.isEmpty() && !command.equals("reload")) {
                return true;
            }
            Terminal.warning("control socket " + controlSocket() + ": unexpected answer to " + command + ": \""
                    + reply.strip() + "\"");
        } catch (IOException e) {
            Terminal.warning("control socket " + controlSocket() + ": " + reason(e));
        }
        String refusal = whyNotSignal(pid, command);
        if (refusal != null) {
            Terminal.error(refusal);
            return false;
        }
        Terminal.say("sending " + signalName(signal) + " to pid " + pid + " instead");
        if (!Processes.kill((int) pid, signal)) {
            Terminal.error("kill " + pid + ": cannot send " + signalName(signal));
            return false;
        }
        return true;
    }

    /**
     * Null when {@code pid}, read from the pid file, may be signalled; else why not and what to do.
     * The pid file holds the master's pid as its own PID namespace sees it: a master in init mode
     * ({@code -i}) in a container writes 1, which from the host is the host's init. So a signal goes
     * only to a process that holds the pid file open (its lock); pid 1 also only from within its
     * PID namespace ({@code /proc/self/ns/pid} the same as {@code /proc/1/ns/pid}) and only when that
     * can be verified.
     */
    String whyNotSignal(long pid, String command) {
        Boolean holds = ProcFacts.holdsOpen(pid, pidFile);
        boolean allowed = pid == 1 ? ProcFacts.sameNamespace(pid) && Boolean.TRUE.equals(holds)
                : pid > 1 && !Boolean.FALSE.equals(holds);
        if (allowed) {
            return null;
        }
        long master = ProcFacts.holderOf(pidFile);
        String how = "run the command in the master's PID namespace, e.g. nsenter --target "
                + (master > 0 ? Long.toString(master) : "<the master's pid as seen here>") + " --pid --mount "
                + Terminal.program() + " -c " + main.configDirectory() + " " + command
                + " (or docker exec)";
        if (pid == 1) {
            return "not signalling pid 1: " + pidFile + " names pid 1, the master's pid as init (-i) of its own"
                    + " PID namespace (a container), and pid 1 here is " + (ProcFacts.sameNamespace(1)
                    ? "not that master" : "in another PID namespace") + "; " + how;
        }
        return "not signalling pid " + pid + ": it does not hold " + pidFile + " open, so it is not the master"
                + (master > 0 ? " (the master is pid " + master + " here, in another PID namespace)" : "")
                + "; " + how;
    }

    private int waitUntilGone(long pid, long limitMs, String verb) {
        for (long waited = 0; waited < limitMs; waited += pause(waited)) {
            if (!PidLock.isHeld(pidFile)) {
                out.println(verb + " jmaster (pid " + pid + ")");
                return 0;
            }
        }
        Terminal.error("jmaster (pid " + pid + ") is still running after " + limitMs / 1000 + "s");
        return 1;
    }

    /**
     * The control socket did not answer: the lock says whether a master runs at all; exit status 1
     * either way, with what the terminal is to know.
     */
    int controlSocketDown(IOException e) {
        if (!PidLock.isHeld(pidFile)) {
            Terminal.say("jmaster is not running");
            return 1;
        }
        Terminal.error("jmaster is running (pid " + PidLock.recordedPid(pidFile) + ") but its control socket "
                + controlSocket() + " does not answer: " + reason(e));
        return 1;
    }

    private long runningPid() {
        if (!PidLock.isHeld(pidFile)) {
            Terminal.say("jmaster is not running");
            return -1;
        }
        return PidLock.recordedPid(pidFile);
    }

    private long reloads() {
        Snapshot s = snapshot();
        return s == null ? -1 : s.reloads();
    }

    /** The master's status over the control socket, or null when it does not answer. */
    private Snapshot snapshot() {
        try {
            return Json.MAPPER.readValue(ask("status"), Snapshot.class);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /**
     * The launcher's class-data training run ({@code -Djmaster.training=true}, see {@code master}) ends
     * here: what {@code status}, {@code children} and {@code reload} run after the JVM's start, once,
     * on a made-up answer, so that Jackson's ~540 classes for it come from the archive the commands
     * share with the master (~300 ms of loading and verifying per command otherwise).
     */
    static void rehearse() {
        Snapshot.ServiceView service = new Snapshot.ServiceView("smtp", "smtp/inet", "inet", List.of("127.0.0.1:25"),
                100, 0, 1, 1, 0, 1, 1, 0, 0, 0, 2, false, 0, "exited", 1, "smtpd", "postfix", false,
                java.util.Map.of("maxproc", 0L));
        Snapshot.ChildView child = new Snapshot.ChildView(2, "smtp/inet", "idle", 1, 1, 1, false);
        Snapshot snapshot = new Snapshot(1, 1, 1, "0", "/etc/postfix", 1, 0, 1, false, List.of(service), List.of(child),
                1, null, 0);
        PrintStream nowhere = new PrintStream(java.io.OutputStream.nullOutputStream());
        try {
            String json = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(snapshot);
            StatusTable.print(nowhere, Json.MAPPER.readValue(json, Snapshot.class), 2);
            String children = Json.MAPPER.writeValueAsString(List.of(child));
            StatusTable.printChildren(nowhere, List.of(Json.MAPPER.readValue(children, Snapshot.ChildView[].class)));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of("/nonexistent/jmaster-training"));
        } catch (IOException expected) {
            // only the classes of the attempt matter
        }
    }

    /** Jackson's mapper, made when a command first reads an answer (not for {@code --json} or stop). */
    static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }

    /**
     * {@code -t}: whether a master accepts on the control socket at {@code path} (connect, then
     * close without a request, which the master drops without a word). Needs no native code, where
     * the lock file's {@code flock} binds jnr-ffi (~70 ms); false says nothing (no socket
     * configured, not ours to reach, a master that is starting): then the lock decides.
     */
    static boolean controlSocketAccepts(String path) {
        if (path == null || path.isEmpty()) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            connect(ch, UnixDomainSocketAddress.of(path));
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    String controlSocket() {
        return main.get("master_control_socket");
    }

    /**
     * One request over the control socket; the whole answer. The connect waits at most
     * {@value #CONNECT_TIMEOUT_MS} ms (a full backlog), each read at most {@value #READ_TIMEOUT_MS} ms
     * of silence, after which what came so far is the answer. The JDK's unix-domain channels: an
     * operator command binds no native code.
     */
    private String ask(String command) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            connect(ch, UnixDomainSocketAddress.of(controlSocket()));
            ch.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.configureBlocking(false);
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(16384);
            try (Selector readable = Selector.open()) {
                ch.register(readable, SelectionKey.OP_READ);
                while (readable.select(READ_TIMEOUT_MS) > 0) {
                    readable.selectedKeys().clear();
                    int n = ch.read(buf.clear());
                    if (n < 0) {
                        break;
                    }
                    reply.write(buf.array(), 0, n);
                }
            }
            return reply.toString(StandardCharsets.UTF_8);
        }
    }

    /**
     * A blocking connect that a watchdog ends after {@value #CONNECT_TIMEOUT_MS} ms by closing the
     * channel (a unix connect blocks while the listener's backlog is full).
     */
    static void connect(SocketChannel ch, UnixDomainSocketAddress address) throws IOException {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(CONNECT_TIMEOUT_MS);
                ch.close();
            } catch (InterruptedException | IOException e) {
                // connected (or failed) in time
            }
        }, "jmaster-connect-timeout");
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            ch.connect(address);
        } finally {
            watchdog.interrupt();
        }
    }

    /** Why the control socket did not answer, in strerror's words ("Connection refused"). */
    private static String reason(IOException e) {
        if (e instanceof AsynchronousCloseException || e.getMessage() == null) {
            return Errno.strerror(Errno.ETIMEDOUT);
        }
        return e.getMessage();
    }

    private static String signalName(int signal) {
        return signal == Signals.SIGHUP ? "SIGHUP" : signal == Signals.SIGTERM ? "SIGTERM"
                : signal == Signals.SIGKILL ? "SIGKILL" : "signal " + signal;
    }

    /** Sleeps after {@code waited} ms of waiting: 5 ms, doubling up to 100 ms; returns how long. */
    private static long pause(long waited) {
        long step = Math.min(WAIT_STEP_MS, Math.max(FIRST_WAIT_MS, waited));
        try {
            Thread.sleep(step);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return step;
    }

}
