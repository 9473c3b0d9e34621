package org.jmaster.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.PollSet;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.Spawn;
import org.jmaster.nativ.SpawnPlan;

/**
 * Detaching without {@code fork()}: the process the user started spawns the same JVM command line
 * again as a new session (stdin and stdout on {@code /dev/null}, stderr still the user's until
 * start-up is over) and waits, like Postfix's {@code master -w}, for one byte on a pipe at fd 3. It
 * exits 0 when the daemon reports that it is serving, 1 when the daemon dies or stays silent for
 * 100 seconds. The daemon's own fatal messages reach the user's terminal directly.
 */
final class Daemon {
    static final int REPORT_FD = 3;
    private static final int INIT_TIMEOUT_MS = 100_000;

    private Daemon() {}

    static int detach(Options opts) {
        ProcessHandle.Info info = ProcessHandle.current().info();
        if (info.command().isEmpty() || info.arguments().isEmpty()) {
            System.err.println("master: fatal: cannot determine this process's command line to detach; use -d");
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
            System.err.println("master: fatal: spawn " + argv.get(0) + ": " + e.strerror());
            return 1;
        } finally {
            Fds.closeQuietly(pipe[1]);
        }
        try {
            byte[] b = new byte[1];
            if (!PollSet.waitReadable(pipe[0], INIT_TIMEOUT_MS)) {
                System.err.println("master: warning: timeout while waiting for daemon initialization");
                Processes.kill(pid, org.jmaster.nativ.Signals.SIGKILL);
            } else if (Fds.readNonBlocking(pipe[0], b, 0, 1) == 1) {
                return 0;
            }
            System.err.println("master: fatal: daemon initialization failure -- see logs for details");
            return 1;
        } finally {
            Fds.closeQuietly(pipe[0]);
        }
    }

    /** In the daemon: tell the waiting parent we serve, then let go of its terminal. */
    static void reportStarted(int fd) {
        Fds.writeQuietly(fd, new byte[] {0});
        Fds.closeQuietly(fd);
        Fds.redirectToDevNull(2);
    }
}
