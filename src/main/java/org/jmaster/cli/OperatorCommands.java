package org.jmaster.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import java.util.List;
import java.util.function.ToIntFunction;
import org.jmaster.conf.ConfigError;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.MainConfig;
import org.jmaster.conf.ServiceTable;
import org.jmaster.nativ.Errno;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.Signals;
import org.jmaster.supervisor.Snapshot;

/**
 * The operator's commands against a running master: {@code status} and {@code children} (a table,
 * or JSON with {@code --json}) through the control socket, {@code reload} (validates first; signals
 * only a valid configuration and waits for the reload), {@code stop} (SIGTERM, then waits until the
 * lock is free), {@code abort} (every child killed at once) and {@code check}. Exit status 0 on
 * success, 1 otherwise; {@code status} says "not running" and exits 1 when no master runs.
 *
 * <p>The control socket is reached with the JDK's own unix-domain channels, and {@code status} and
 * {@code children} look at the lock file only when the socket does not answer: against a running
 * master they bind no native code at all (jnr's stub generation is most of a short command's time).
 */
final class OperatorCommands {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final int WAIT_STEP_MS = 100;
    private static final int CONNECT_TIMEOUT_MS = 5000;
    private static final int READ_TIMEOUT_MS = 10_000;

    private final MainConfig main;
    private final Path pidFile;
    private final ToIntFunction<MainConfig> check;
    private final PrintStream out = System.out;
    private final PrintStream err = System.err;

    OperatorCommands(MainConfig main, Path pidFile, ToIntFunction<MainConfig> check) {
        this.main = main;
        this.pidFile = pidFile;
        this.check = check;
    }

    int run(String command, boolean json) {
        switch (command) {
            case "check":
                return check.applyAsInt(main);
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
        String reply;
        try {
            reply = ask(command);
        } catch (IOException e) {
            // the socket answers only while a master runs; the lock says whether one does
            if (!PidLock.isHeld(pidFile)) {
                err.println("jmaster is not running");
                return 1;
            }
            err.println("jmaster is running (pid " + PidLock.recordedPid(pidFile) + ") but its control socket "
                    + controlSocket() + " does not answer: " + reason(e));
            return 1;
        }
        if (json) {
            out.print(reply);
            return 0;
        }
        try {
            if (command.equals("status")) {
                StatusTable.print(out, JSON.readValue(reply, Snapshot.class));
            } else {
                StatusTable.printChildren(out, List.of(JSON.readValue(reply, Snapshot.ChildView[].class)));
            }
        } catch (java.io.IOException e) {
            err.println("unexpected answer from the master: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    private int reload() {
        try {
            ServiceTable.load(main.configDirectory(), main);
        } catch (ConfigException e) {
            for (ConfigError error : e.errors()) {
                err.println(error);
            }
            err.println("not reloaded: the running master keeps its configuration");
            return 1;
        }
        long pid = runningPid();
        if (pid < 0) {
            return 1;
        }
        long before = reloads();
        Processes.kill((int) pid, Signals.SIGHUP);
        for (int waited = 0; waited < 10_000; waited += WAIT_STEP_MS) {
            if (reloads() > before) {
                out.println("reloaded jmaster (pid " + pid + ")");
                return 0;
            }
            pause();
        }
        err.println("sent SIGHUP to pid " + pid + "; the reload did not finish within 10s (see the log)");
        return 1;
    }

    private int stop() {
        long pid = runningPid();
        if (pid < 0) {
            return 1;
        }
        Processes.kill((int) pid, Signals.SIGTERM);
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
        try {
            ask("abort");
        } catch (IOException e) {
            err.println("control socket " + controlSocket() + ": " + reason(e) + "; sending SIGKILL to pid " + pid);
            Processes.kill((int) pid, Signals.SIGKILL);
        }
        return waitUntilGone(pid, 10_000, "aborted");
    }

    private int waitUntilGone(long pid, long limitMs, String verb) {
        for (long waited = 0; waited < limitMs; waited += WAIT_STEP_MS) {
            if (!PidLock.isHeld(pidFile)) {
                out.println(verb + " jmaster (pid " + pid + ")");
                return 0;
            }
            pause();
        }
        err.println("jmaster (pid " + pid + ") is still running after " + limitMs / 1000 + "s");
        return 1;
    }

    private long runningPid() {
        if (!PidLock.isHeld(pidFile)) {
            err.println("jmaster is not running");
            return -1;
        }
        return PidLock.recordedPid(pidFile);
    }

    private long reloads() {
        try {
            return JSON.readValue(ask("status"), Snapshot.class).reloads();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    private String controlSocket() {
        return main.get("master_control_socket");
    }

    /**
     * One request over the control socket; the whole answer. The connect waits at most
     * {@value #CONNECT_TIMEOUT_MS} ms (a full backlog), each read at most {@value #READ_TIMEOUT_MS} ms
     * of silence, after which what came so far is the answer.
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
    private static void connect(SocketChannel ch, UnixDomainSocketAddress address) throws IOException {
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

    private static void pause() {
        try {
            Thread.sleep(WAIT_STEP_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
