package org.jmaster.cli;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.PollSet;
import org.jmaster.nativ.Spawn;
import org.jmaster.nativ.Signals;
import org.jmaster.nativ.SpawnPlan;

/**
 * Detaching without {@code fork()}: the process the user started spawns the same JVM command line
 * again as a new session (stdin and stdout on {@code /dev/null}, stderr still the user's until
 * start-up is over) and waits, like Postfix's {@code master -w}, on a pipe at fd 3. The daemon
 * writes its warnings and fatal errors there as lines of text while it starts, and one NUL byte
 * once it serves. This process prints those lines on the terminal ({@link Terminal}), and exits 0
 * on the NUL byte, or 1 when the daemon dies first (then also naming where its log is) or stays
 * silent for 100 seconds.
 */
final class Daemon {
    static final int REPORT_FD = 3;
    private static final int INIT_TIMEOUT_MS = 100_000;

    private Daemon() {}

    /** Detaches; {@code log} says where the daemon's log goes, for the message when it fails. */
    static int detach(String log) {
        ProcessHandle.Info info = ProcessHandle.current().info();
        if (info.command().isEmpty() || info.arguments().isEmpty()) {
            Terminal.fatal("cannot determine this process's command line to detach; use -d");
            return 1;
        }
        List<String> argv = new ArrayList<>();
        argv.add(info.command().get());
        for (String a : info.arguments().get()) {
            argv.add(a);
        }
        argv.add(Options.DAEMON_PIPE);
        argv.add(Integer.toString(REPORT_FD));
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        int[] pipe = Fds.pipe(false);
        int pid;
        try {
            pid = Spawn.spawn(SpawnPlan.builder(argv.get(0))
                    .argv(argv)
                    .env(env)
                    .open(0, "/dev/null", Fds.O_RDONLY)
                    .open(1, "/dev/null", Fds.O_WRONLY)
                    .dup2(2, 2)
                    .dup2(pipe[1], REPORT_FD)
                    .newSession(true)
                    // as the launcher starts the JVM: SIGCHLD read from a signalfd (nativ/SignalFd)
                    .blockSignals(org.jmaster.nativ.Signals.SIGCHLD)
                    .build());
        } catch (NativeException e) {
            Terminal.fatal("spawn " + argv.get(0) + ": " + e.strerror());
            return 1;
        } finally {
            Fds.closeQuietly(pipe[1]);
        }
        try {
            return await(pipe[0], pid, log);
        } finally {
            Fds.closeQuietly(pipe[0]);
        }
    }

    private static int await(int fd, int pid, String log) {
        long deadline = System.nanoTime() + INIT_TIMEOUT_MS * 1_000_000L;
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        for (;;) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0 || !PollSet.waitReadable(fd, (int) left)) {
                Terminal.warning("timeout while waiting for daemon initialization");
                Processes.kill(pid, org.jmaster.nativ.Signals.SIGKILL);
                break;
            }
            int n = Fds.readNonBlocking(fd, buf, 0, buf.length);
            if (n == 0) {
                break;
            }
            for (int i = 0; i < n; i++) {
                if (buf[i] == 0) {
                    return 0;
                }
                if (buf[i] == '\n') {
                    Terminal.say(line.toString(StandardCharsets.UTF_8));
                    line.reset();
                } else if (line.size() < 8192) {
                    line.write(buf[i]);
                }
            }
        }
        Terminal.fatal("daemon initialization failure -- see " + log + " for details");
        return 1;
    }

    /** In the daemon: tell the waiting parent we serve, then let go of its terminal. */
    static void reportStarted(int fd) {
        Fds.writeQuietly(fd, new byte[] {0});
        Fds.closeQuietly(fd);
        Fds.redirectToDevNull(2);
    }
}
