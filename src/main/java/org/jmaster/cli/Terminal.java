package org.jmaster.cli;

import java.io.PrintStream;

/**
 * What a command says to the operator who ran it (on standard error): {@code --check}, the operator
 * commands, usage mistakes and a detaching start. One format, that of Unix tools and of Postfix's
 * own commands on a terminal: {@code <program>: <severity>: <text>} ({@code master: error:
 * /etc/jmaster/master.cf: line 3: bad transport type: nosuchtype}), the texts word for word those
 * of the log. The program is the name the launcher was run by ({@code master}, {@code jmaster}).
 *
 * <p>The other channel is the log: a running master (and one in the foreground, whose standard error
 * is a log destination) writes Postfix's {@code <syslog_name>/master[<pid>]: <severity>: <text>}
 * lines through {@link org.jmaster.log.MasterLog}.
 */
final class Terminal {
    private static final PrintStream ERR = System.err;

    private Terminal() {}

    /** The name the operator typed: {@code -Djmaster.program} from the launcher, else {@code master}. */
    static String program() {
        String p = System.getProperty("jmaster.program", "");
        return p.isEmpty() ? "master" : p;
    }

    static void fatal(String text) {
        say("fatal: " + text);
    }

    static void error(String text) {
        say("error: " + text);
    }

    static void warning(String text) {
        say("warning: " + text);
    }

    /** A plain diagnostic ({@code jmaster is not running}). */
    static void say(String text) {
        ERR.println(program() + ": " + text);
        ERR.flush();
    }
}
