package org.jmaster.services;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jmaster.server.ServerContext;

/**
 * smtpd's main.cf parameters, read once after start-up. Names and defaults follow Postfix where
 * Postfix has the parameter ({@code message_size_limit}, {@code smtpd_recipient_limit},
 * {@code smtpd_timeout}, {@code smtpd_hard_error_limit}, {@code smtpd_banner}), including the
 * stress-dependent ones: a child the master starts with {@code -o stress=yes} (its service is at its
 * process limit) waits 10 s instead of 300 s for a command and gives up after one error instead of
 * 20. The rest are jmaster's. docs/services.md lists them all.
 */
record SmtpdSettings(String hostname, String banner, List<String> acceptedDomains, long messageSizeLimit,
                     int recipientLimit, int lineLengthLimit, int commandTimeoutMs, int dataTimeoutMs,
                     int hardErrorLimit) {

    /** The built-in defaults (raw; {@code $name} expands). */
    static final Map<String, String> DEFAULTS = Map.of(
            "smtpd_banner", "$myhostname ESMTP jmaster",
            "smtpd_maildir", "$queue_directory/Maildir",
            "smtpd_accepted_domains", "",
            "message_size_limit", "10240000",
            "smtpd_recipient_limit", "1000",
            "smtpd_line_length_limit", "1000",
            "smtpd_timeout", "${stress?{10}:{300}}s",
            "smtpd_data_timeout", "180s",
            "smtpd_hard_error_limit", "${stress?{1}:{20}}");

    static SmtpdSettings read(ServerContext ctx) {
        List<String> domains = ctx.listParameter("smtpd_accepted_domains").stream()
                .map(d -> d.toLowerCase(Locale.ROOT)).toList();
        return new SmtpdSettings(ctx.hostname(), ctx.parameter("smtpd_banner"), domains,
                ctx.intParameter("message_size_limit", 0), ctx.intParameter("smtpd_recipient_limit", 1),
                ctx.intParameter("smtpd_line_length_limit", 512),
                millis(ctx.timeParameter("smtpd_timeout", 1)), millis(ctx.timeParameter("smtpd_data_timeout", 1)),
                ctx.intParameter("smtpd_hard_error_limit", 1));
    }

    private static int millis(long seconds) {
        return (int) Math.min(Integer.MAX_VALUE, seconds * 1000);
    }

    /** Whether mail for {@code domain} (lower case) is accepted: any domain when the list is empty. */
    boolean accepts(String domain) {
        return acceptedDomains.isEmpty() || acceptedDomains.contains(domain);
    }
}
