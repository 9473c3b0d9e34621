package org.jmaster.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.jmaster.conf.ConfigError;
import org.jmaster.conf.ServiceEntry;

/**
 * {@code --check}: every warning and error of {@link Validation} on standard error (in the terminal's
 * format), and on standard output the effective service table, one service per line, with the
 * endpoints, the exact argv each child gets, its executable, the user it runs as (as the master would
 * start it: as root when {@code --check} runs as root), its root directory when jailed, and its
 * descriptors. Nothing is opened or bound. Exit status 0 when there is no error, 1 otherwise.
 */
final class CheckReport {
    private CheckReport() {}

    static int print(PrintStream out, Validation.Result result) {
        for (ConfigError w : result.warnings()) {
            Terminal.warning(w.toString());
        }
        if (!result.children().isEmpty() || result.table() != null) {
            out.printf("%-20s %-10s %-7s %-7s %-32s %s%n", "service", "type", "maxproc", "wakeup", "endpoints", "argv");
            for (Validation.Child c : result.children()) {
                ServiceEntry e = c.entry();
                String wakeup = e.wakeupSeconds() == 0 ? "-" : e.wakeupSeconds() + (e.conditionalWakeup() ? "?" : "");
                out.printf("%-20s %-10s %-7s %-7s %-32s %s%n", e.extName(), e.type().wireName(), e.maxProc(), wakeup,
                        String.join(",", c.endpoints()), String.join(" ", quoted(c.argv())) + "    # " + c.exec()
                                + ", as " + c.user() + (c.jail() == null ? "" : ", chroot " + c.jail())
                                + "; fds " + c.fds());
            }
            out.flush();
        }
        for (ConfigError e : result.errors()) {
            Terminal.error(e.toString());
        }
        return result.ok() ? 0 : 1;
    }

    private static List<String> quoted(List<String> argv) {
        List<String> out = new ArrayList<>();
        for (String a : argv) {
            out.add(a.isEmpty() || a.matches(".*[\\s'\"\\\\].*") ? "'" + a.replace("'", "'\\''") + "'" : a);
        }
        return out;
    }
}
