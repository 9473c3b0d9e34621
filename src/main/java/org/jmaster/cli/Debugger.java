package org.jmaster.cli;

import org.jmaster.conf.MainConfig;
import org.jmaster.nativ.ExitStatus;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Spawn;

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
        try {
            ExitStatus st = Spawn.runShell(command);
            return st.success() ? null : "debugger_command " + st;
        } catch (NativeException e) {
            return "debugger_command: " + e.getMessage();
        }
    }
}
