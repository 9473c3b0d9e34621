package org.jmaster.log;

import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Sends RFC 3164 messages ({@code <PRI>Mon dd HH:mm:ss tag[pid]: text}) to the local syslog daemon,
 * one datagram per line. The datagram transport (a unix-domain socket on {@code /dev/log}) is supplied
 * by the native layer, so this class stays free of native calls.
 */
final class SyslogSink implements LogSink {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);
    private final SyslogTransport transport;
    private final int facility;

    SyslogSink(SyslogTransport transport, int facility) {
        this.transport = transport;
        this.facility = facility;
    }

    @Override
    public synchronized void write(int severity, String tag, long pid, String text) {
        String msg = "<" + (facility * 8 + severity) + ">" + STAMP.format(LocalDateTime.now()) + " "
                + tag + "[" + pid + "]: " + text;
        transport.send(msg.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        try {
            transport.close();
        } catch (Exception ignored) {
            // nothing to do about a failing close of a datagram socket
        }
    }

    /** Maps a {@code syslog_facility} name to its number; -1 when unknown. */
    static int facilityCode(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "kern": return 0;
            case "user": return 1;
            case "mail": return 2;
            case "daemon": return 3;
            case "auth": return 4;
            case "syslog": return 5;
            case "lpr": return 6;
            case "news": return 7;
            case "uucp": return 8;
            case "cron": return 9;
            case "authpriv": return 10;
            case "ftp": return 11;
            default:
                if (name.matches("(?i)local[0-7]")) {
                    return 16 + (name.charAt(5) - '0');
                }
                return -1;
        }
    }
}
