package org.jmaster.server;

import org.jmaster.nativ.ExitStatus;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Spawn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code -D}, or {@code MAIL_DEBUG} in the environment: runs {@code debugger_command} (with
 * {@code $process_name} and {@code $process_id} expanded to this process) through {@code /bin/sh}
 * and waits for it, as Postfix's {@code debug_process()} does, e.g. to attach a debugger or take a
 * thread dump before the first request.
 */
final class DebuggerCommand {
    private static final Logger log = LoggerFactory.getLogger(DebuggerCommand.class);

    private DebuggerCommand() {}

    static void run(ServerContext ctx) {
        String command = ctx.parameter("debugger_command");
        if (command.isBlank()) {
            throw new ServerFatal("no debugger_command variable set up");
        }
        log.info("running: {}", command);
        try {
            ExitStatus st = Spawn.runShell(command);
            if (!st.success()) {
                log.warn("debugger_command: {}", st);
            }
        } catch (NativeException e) {
            throw new ServerFatal("debugger_command: " + e.getMessage());
        }
    }
}
