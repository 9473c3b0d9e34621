package org.jmaster.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import java.util.List;
import java.util.function.ToIntFunction;
import org.jmaster.conf.ConfigError;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.MainConfig;
import org.jmaster.conf.ServiceTable;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Posix;
import org.jmaster.nativ.Signals;
import org.jmaster.supervisor.Snapshot;

/**
 * The operator's commands against a running master: {@code status} and {@code children} (a table,
 * or JSON with {@code --json}) through the control socket, {@code reload} (validates first; signals
 * only a valid configuration and waits for the reload), {@code stop} (SIGTERM, then waits until the
 * lock is free), {@code abort} (every child killed at once) and {@code check}. Exit status 0 on
 * success, 1 otherwise; {@code status} says "not running" and exits 1 when no master runs.
 */
final class OperatorCommands {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final int WAIT_STEP_MS = 100;

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
        if (!PidLock.isHeld(pidFile)) {
            err.println("jmaster is not running");
            return 1;
        }
        String reply;
        try {
            reply = ask(command);
        } catch (NativeException e) {
            err.println("jmaster is running (pid " + PidLock.recordedPid(pidFile) + ") but its control socket "
                    + controlSocket() + " does not answer: " + e.strerror());
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
        Posix.kill((int) pid, Signals.SIGHUP);
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
        Posix.kill((int) pid, Signals.SIGTERM);
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
        } catch (NativeException e) {
            err.println("control socket " + controlSocket() + ": " + e.strerror() + "; sending SIGKILL to pid " + pid);
            Posix.kill((int) pid, Signals.SIGKILL);
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

    /** One request over the control socket; the whole answer. */
    private String ask(String command) throws NativeException {
        int fd = Posix.unixConnect(controlSocket(), 5000);
        try {
            byte[] req = (command + "\n").getBytes(StandardCharsets.US_ASCII);
            Posix.write(fd, req, 0, req.length);
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            byte[] buf = new byte[16384];
            while (Posix.waitReadable(fd, 10_000)) {
                int n = Posix.read(fd, buf, 0, buf.length);
                if (n == 0) {
                    break;
                }
                if (n > 0) {
                    reply.write(buf, 0, n);
                }
            }
            return reply.toString(StandardCharsets.UTF_8);
        } finally {
            Posix.closeQuietly(fd);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(WAIT_STEP_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
