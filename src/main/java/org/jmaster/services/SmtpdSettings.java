package org.jmaster.services;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jmaster.conf.ConfigError;
import org.jmaster.server.ServerContext;
import org.jmaster.server.ServerFatal;

/**
 * smtpd's main.cf parameters, read once after start-up. Names and defaults follow Postfix where
 * Postfix has the parameter ({@code message_size_limit}, {@code smtpd_recipient_limit},
 * {@code smtpd_timeout}, {@code smtpd_hard_error_limit}, {@code smtpd_banner},
 * {@code smtpd_forbid_bare_newline} and its reject code), including the stress-dependent ones: a
 * child the master starts with {@code -o stress=yes} (its service is at its process limit) waits
 * 10 s instead of 300 s for a command and gives up after one error instead of 20. The rest are
 * jmaster's. docs/services.md lists them all.
 */
record SmtpdSettings(String hostname, String banner, List<String> acceptedDomains, long messageSizeLimit,
                     int recipientLimit, int lineLengthLimit, int commandTimeoutMs, int dataTimeoutMs,
                     int hardErrorLimit, BareNewline bareNewline, int bareNewlineRejectCode,
                     long sessionDeadlineSeconds) {

    /**
     * What {@code smtpd_forbid_bare_newline} asks for a line that ends in a bare LF. In every mode
     * only CRLF . CRLF ends DATA: Postfix's "no" (a bare LF is as good as CRLF everywhere) is
     * SMTP smuggling, and jmaster does not offer it.
     */
    enum BareNewline {
        /** Take the line as if it ended in CRLF (Postfix's default since 3.9; "yes" is an alias). */
        NORMALIZE,
        /** As NORMALIZE, and note {@code notes=bare_lf} in the disconnect line. */
        NOTE,
        /** Refuse the command (and end the session) or the message with the reject code. */
        REJECT
    }

    /** The built-in defaults (raw; {@code $name} expands). */
    static final Map<String, String> DEFAULTS = Map.ofEntries(
            Map.entry("smtpd_banner", "$myhostname ESMTP jmaster"),
            Map.entry("smtpd_maildir", "$queue_directory/Maildir"),
            Map.entry("smtpd_accepted_domains", ""),
            Map.entry("message_size_limit", "10240000"),
            Map.entry("smtpd_recipient_limit", "1000"),
            Map.entry("smtpd_line_length_limit", "1000"),
            Map.entry("smtpd_timeout", "${stress?{10}:{300}}s"),
            Map.entry("smtpd_data_timeout", "180s"),
            Map.entry("smtpd_hard_error_limit", "${stress?{1}:{20}}"),
            Map.entry("smtpd_forbid_bare_newline", "normalize"),
            Map.entry("smtpd_forbid_bare_newline_reject_code", "550"),
            Map.entry("smtpd_session_deadline", "${stress?{300}:{3600}}s"));

    static SmtpdSettings read(ServerContext ctx) {
        List<String> domains = ctx.listParameter("smtpd_accepted_domains").stream()
                .map(d -> d.toLowerCase(Locale.ROOT)).toList();
        int rejectCode = ctx.intParameter("smtpd_forbid_bare_newline_reject_code", 500);
        if (rejectCode > 599) {
            throw bad(ctx, "smtpd_forbid_bare_newline_reject_code", "invalid smtpd_forbid_bare_newline_reject_code"
                    + " parameter value " + rejectCode + " > 599");
        }
        return new SmtpdSettings(ctx.hostname(), ctx.parameter("smtpd_banner"), domains,
                ctx.intParameter("message_size_limit", 0), ctx.intParameter("smtpd_recipient_limit", 1),
                ctx.intParameter("smtpd_line_length_limit", 512),
                millis(ctx.timeParameter("smtpd_timeout", 1)), millis(ctx.timeParameter("smtpd_data_timeout", 1)),
                ctx.intParameter("smtpd_hard_error_limit", 1), bareNewline(ctx), rejectCode,
                ctx.timeParameter("smtpd_session_deadline", 1));
    }

    private static BareNewline bareNewline(ServerContext ctx) {
        String v = ctx.parameter("smtpd_forbid_bare_newline").strip().toLowerCase(Locale.ROOT);
        switch (v) {
            case "normalize":
            case "yes":
                return BareNewline.NORMALIZE;
            case "note":
                return BareNewline.NOTE;
            case "reject":
                return BareNewline.REJECT;
            case "no":
                throw bad(ctx, "smtpd_forbid_bare_newline", "smtpd_forbid_bare_newline = no is not supported:"
                        + " it lets a bare LF end DATA (SMTP smuggling); use normalize or reject");
            default:
                throw bad(ctx, "smtpd_forbid_bare_newline", "invalid smtpd_forbid_bare_newline value: \""
                        + v + "\" (normalize, note or reject)");
        }
    }

    /** Names where a bad value came from, as the runtime's typed parameters do. */
    private static ServerFatal bad(ServerContext ctx, String name, String text) {
        Map<String, String> overrides = ctx.options().overrides();
        if (overrides.containsKey(name)) {
            return new ServerFatal("-o " + name + "=" + overrides.get(name) + ": " + text);
        }
        if (ctx.config().isSet(name)) {
            return new ServerFatal(new ConfigError(ctx.config().file(), ctx.config().line(name), text).toString());
        }
        return new ServerFatal("default " + name + " = " + ctx.config().raw(name) + ": " + text);
    }

    private static int millis(long seconds) {
        return (int) Math.min(Integer.MAX_VALUE, seconds * 1000);
    }

    /** Whether mail for {@code domain} (lower case) is accepted: any domain when the list is empty. */
    boolean accepts(String domain) {
        return acceptedDomains.isEmpty() || acceptedDomains.contains(domain);
    }
}
