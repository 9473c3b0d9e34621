package org.jmaster.log;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.event.Level;

/**
 * Where the master's log lines go, chosen from main.cf and the command line:
 * {@code maillog_file} when set, else syslog on {@code /dev/log} when it answers, else standard error; with
 * {@code -d} standard error is added. {@code -v} turns on debug lines.
 */
public final class MasterLog {
    /** What the caller knows about the wanted destinations. */
    public record Settings(String tag, boolean verbose, boolean foreground, String maillogFile,
                           String syslogFacility, String hostname) {}

    /** The local syslog socket. */
    public static final String SYSLOG_SOCKET = "/dev/log";

    private static Settings lastSettings;
    private static Function<String, SyslogTransport> lastTransport;

    private MasterLog() {}

    /** SIGUSR1: reopens the log file (after logrotate moved it away); returns warnings as configure does. */
    public static List<String> reopen() {
        return lastSettings == null ? List.of() : configure(lastSettings, lastTransport);
    }

    /**
     * Reconfigures logging. {@code syslogTransport} opens the datagram transport to a syslog socket
     * path, or returns null when it cannot. Returns warnings to log once the new sinks are in place.
     */
    public static List<String> configure(Settings s, Function<String, SyslogTransport> syslogTransport) {
        PostfixAppender appender = appender();
        lastSettings = s;
        lastTransport = syslogTransport;
        List<String> warnings = new ArrayList<>();
        List<LogSink> sinks = new ArrayList<>();
        boolean stderr = s.foreground();
        String file = s.maillogFile();
        if (file.equals("/dev/stderr")) {
            stderr = true;
        } else if (!file.isEmpty()) {
            try {
                sinks.add(new FileSink(file, s.hostname()));
            } catch (IOException e) {
                warnings.add("open maillog_file " + file + ": " + e.getMessage() + "; logging to stderr");
                stderr = true;
            }
        } else {
            int facility = SyslogSink.facilityCode(s.syslogFacility());
            if (facility < 0) {
                warnings.add("unknown syslog_facility \"" + s.syslogFacility() + "\", using mail");
                facility = 2;
            }
            SyslogTransport t = syslogTransport.apply(SYSLOG_SOCKET);
            if (t != null) {
                sinks.add(new SyslogSink(t, facility));
            } else {
                stderr = true;
            }
        }
        if (stderr) {
            sinks.add(new StderrSink());
        }
        appender.setTag(s.tag());
        appender.replaceSinks(sinks);
        root().setLevel(s.verbose() ? Level.DEBUG : Level.INFO);
        return warnings;
    }

    /**
     * Hands every line to {@code observer} too, whatever the destinations are, until
     * {@link #unobserve}. The detached daemon uses it to tell the waiting command on the terminal why
     * it failed; a master started by an upgrade, to tell the old master.
     */
    public static void observe(LogSink observer) {
        appender().addObserver(observer);
    }

    public static void unobserve(LogSink observer) {
        appender().removeObserver(observer);
    }

    /** Whether lines go to standard error now. */
    public static boolean writesToStderr() {
        return appender().writesToStderr();
    }

    /** Sends lines nowhere until {@link #configure} (a detached daemon whose start-up is observed). */
    public static void silence() {
        appender().replaceSinks(List.of());
    }

    /** The log tag of the master: {@code <syslog_name>/master}, as Postfix's {@code mail_task}. */
    public static String masterTag(String syslogName) {
        return syslogName + "/master";
    }

    /** Sets only the tag, e.g. once main.cf's {@code syslog_name} is known. */
    public static void setTag(String tag) {
        appender().setTag(tag);
    }

    /** Sets only the verbosity. */
    public static void setVerbose(boolean verbose) {
        root().setLevel(verbose ? Level.DEBUG : Level.INFO);
    }

    private static Root root() {
        return Root.ROOT;
    }

    /** The one level of every logger ({@link PostfixLoggerProvider}). */
    private static final class Root {
        static final Root ROOT = new Root();

        void setLevel(Level level) {
            PostfixLoggerProvider.setLevel(level);
        }
    }

    private static PostfixAppender appender() {
        return PostfixLoggerProvider.appender();
    }
}
