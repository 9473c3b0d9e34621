package org.jmaster.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jmaster.conf.MainConfig;
import org.jmaster.nativ.ExitStatus;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Posix;
import org.jmaster.nativ.SpawnPlan;

/**
 * {@code -D} (or {@code MAIL_DEBUG} in the environment): runs {@code debugger_command}, with
 * {@code $process_name} and {@code $process_id} expanded, through {@code /bin/sh} once the lock
 * files are taken, and waits for it, as Postfix's {@code debug_process()} does.
 */
final class Debugger {
    private Debugger() {}

    /** Returns null on success, else the reason to log as fatal. */
    static String run(MainConfig main) {
        String command = main.get("debugger_command");
        if (command.isBlank()) {
            return "no debugger_command variable set up";
        }
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        try {
            int pid = Posix.spawn(SpawnPlan.builder("/bin/sh").argv("sh", "-c", command).env(env)
                    .dup2(0, 0).dup2(1, 1).dup2(2, 2).build());
            int pidfd = Posix.pidfdOpen(pid);
            try {
                ExitStatus st = Posix.waitidPidfd(pidfd, false);
                return st.success() ? null : "debugger_command " + st;
            } finally {
                Posix.closeQuietly(pidfd);
            }
        } catch (NativeException e) {
            return "debugger_command: " + e.getMessage();
        }
    }
}
