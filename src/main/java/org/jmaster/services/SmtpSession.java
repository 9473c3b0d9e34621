package org.jmaster.services;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jmaster.server.Client;
import org.jmaster.server.ClientTimeoutException;
import org.jmaster.server.StopRequestedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP conversation (RFC 5321's core with PIPELINING, SIZE, 8BITMIME and
 * ENHANCEDSTATUSCODES): greeting, commands, one Maildir delivery per accepted DATA. Every problem
 * a client can cause gets a reply and the session goes on: unknown or malformed commands (500,
 * 501, 503, 555), limits (552 for size, 452 for recipients, 500 for long lines), until
 * {@code smtpd_hard_error_limit} errors end it with 421. A timeout, the session's overall deadline
 * or a stop request ends it with 421; a client that leaves in the middle of DATA leaves nothing
 * behind. Line ends are Postfix's {@code smtpd_forbid_bare_newline}: only CRLF . CRLF ends DATA (a
 * dot line next to a bare LF is dropped, as Postfix drops it, so one DATA can never become two
 * messages), and a bare LF is either taken as CRLF or refused; a bare CR in the text is stored as a
 * space (Postfix's {@code cleanup_replace_stray_cr_lf}). Logs as Postfix's smtpd does: connect,
 * rejects, one line per stored message, disconnect with command counts.
 */
final class SmtpSession {
    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);
    private static final String[] COUNTED = {"helo", "ehlo", "mail", "rcpt", "data", "rset", "noop", "vrfy", "help", "quit"};

    /** Ends the session after the reply that was just sent. */
    private static final class Close extends Exception {
        private static final long serialVersionUID = 1L;
    }

    private final Client client;
    private final SmtpInput input;
    private final SmtpdSettings settings;
    private final Maildir maildir;
    private final String peer;
    private final int maxLine;
    private final Map<String, int[]> counts = new LinkedHashMap<>();
    private String helo;
    private boolean esmtp;
    private String sender;
    private final List<String> recipients = new ArrayList<>();
    private int errors;
    private String lastCommand = "CONNECT";
    private boolean sawBareLf;
    /** How the command being executed ended: DATA's CRLF is the first half of an empty message's CRLF . CRLF. */
    private SmtpInput.End commandEnd = SmtpInput.End.CRLF;

    SmtpSession(Client client, SmtpdSettings settings, Maildir maildir) {
        this.client = client;
        this.input = new SmtpInput(client, settings.sessionDeadlineSeconds());
        this.settings = settings;
        this.maildir = maildir;
        String ip = client.ip();
        this.peer = ip != null ? "unknown[" + ip + "]" : client.name();
        this.maxLine = settings.lineLengthLimit() - 2;
        for (String c : COUNTED) {
            counts.put(c, new int[2]);
        }
        counts.put("unknown", new int[2]);
    }

    void run() throws IOException {
        log.info("connect from {}", peer);
        try {
            reply("220 " + settings.banner());
            for (;;) {
                SmtpInput.Line line = input.readLine(maxLine, settings.commandTimeoutMs());
                if (line == null) {
                    log.info("lost connection after {} from {}", lastCommand, peer);
                    return;
                }
                if (!line.complete()) {
                    skipRestOfLine();
                    error("500 5.5.2 Error: line too long");
                    continue;
                }
                if (line.end() == SmtpInput.End.LF) {
                    bareLf();
                }
                commandEnd = line.end();
                command(line.text());
            }
        } catch (Close c) {
            // the last reply said why
        } catch (SmtpInput.DeadlineExceeded e) {
            log.info("timeout after {} from {}: {}", lastCommand, peer, e.getMessage());
            goodbye("421 4.4.2 " + settings.hostname() + " Error: timeout exceeded");
        } catch (ClientTimeoutException e) {
            log.info("timeout after {} from {}", lastCommand, peer);
            goodbye("421 4.4.2 " + settings.hostname() + " Error: timeout exceeded");
        } catch (StopRequestedException e) {
            log.info("stop requested after {} from {}", lastCommand, peer);
            goodbye("421 4.3.2 " + settings.hostname() + " Service shutting down, closing transmission channel");
            throw e;
        } catch (IOException e) {
            log.info("lost connection after {} from {}: {}", lastCommand, peer, e.getMessage());
        } finally {
            log.info("disconnect from {}{}", peer, summary());
        }
    }

    /**
     * A command ended in a bare LF: with {@code smtpd_forbid_bare_newline = reject} the session
     * ends with the reject code, as Postfix's smtpd ends it; otherwise it is taken as CRLF.
     */
    private void bareLf() throws IOException, Close {
        sawBareLf = true;
        if (settings.bareNewline() == SmtpdSettings.BareNewline.REJECT) {
            logBareLf(lastCommand);
            goodbye(bareLfReply());
            throw new Close();
        }
    }

    private String bareLfReply() {
        return settings.bareNewlineRejectCode() + " 5.5.2 " + settings.hostname() + " Error: bare <LF> received";
    }

    /** Postfix's log line for a bare LF refused at {@code stage}. */
    private void logBareLf(String stage) {
        log.info("NOQUEUE: reject: {} from {}: bare <LF> received;{} proto={}{}", stage, peer,
                sender == null ? "" : " from=<" + sender + ">", esmtp ? "ESMTP" : "SMTP",
                helo == null ? "" : " helo=<" + helo + ">");
    }

    private void skipRestOfLine() throws IOException, Close {
        SmtpInput.Line more;
        do {
            more = input.readLine(maxLine, settings.commandTimeoutMs());
        } while (more != null && !more.complete());
        if (more == null) {
            log.info("lost connection after {} from {}", lastCommand, peer);
            throw new Close();
        }
    }

    private void command(String line) throws IOException, Close {
        int sp = line.indexOf(' ');
        String verb = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
        String arg = sp < 0 ? "" : line.substring(sp + 1).trim();
        int[] count = counts.get(verb.toLowerCase(Locale.ROOT));
        if (count == null || !printable(line)) {
            lastCommand = "UNKNOWN";
            counts.get("unknown")[1]++;
            if (verb.equals("EXPN") || verb.equals("ETRN") || verb.equals("TURN") || verb.equals("BDAT")
                    || verb.equals("AUTH") || verb.equals("STARTTLS")) {
                error("502 5.5.1 Error: command not implemented");
            } else if (line.isBlank()) {
                error("500 5.5.2 Error: bad syntax");
            } else {
                error("500 5.5.2 Error: command not recognized");
            }
            return;
        }
        lastCommand = verb;
        count[1]++;
        boolean ok;
        switch (verb) {
            case "EHLO": ok = hello(arg, true); break;
            case "HELO": ok = hello(arg, false); break;
            case "MAIL": ok = mail(arg); break;
            case "RCPT": ok = rcpt(arg); break;
            case "DATA": ok = data(arg); break;
            case "RSET": ok = rset(arg); break;
            case "NOOP": reply("250 2.0.0 Ok"); ok = true; break;
            case "VRFY": ok = vrfy(arg); break;
            case "HELP": reply("214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT"); ok = true; break;
            case "QUIT": quit(); return;
            default: throw new IllegalStateException(verb);
        }
        if (ok) {
            count[0]++;
        }
    }

    private static boolean printable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 32 && c != '\t') || c > 126) {
                return false;
            }
        }
        return true;
    }

    private boolean hello(String arg, boolean extended) throws IOException, Close {
        if (arg.isEmpty()) {
            return error("501 5.5.4 Syntax: " + (extended ? "EHLO" : "HELO") + " hostname");
        }
        helo = arg.split(" ", 2)[0];
        esmtp = extended;
        resetTransaction();
        if (!extended) {
            reply("250 " + settings.hostname());
            return true;
        }
        long limit = settings.messageSizeLimit();
        client.write("250-" + settings.hostname() + "\r\n");
        client.write("250-PIPELINING\r\n");
        client.write(limit > 0 ? "250-SIZE " + limit + "\r\n" : "250-SIZE\r\n");
        client.write("250-8BITMIME\r\n");
        reply("250 ENHANCEDSTATUSCODES");
        return true;
    }

    private boolean mail(String arg) throws IOException, Close {
        if (helo == null) {
            return error("503 5.5.1 Error: send HELO/EHLO first");
        }
        if (sender != null) {
            return error("503 5.5.1 Error: nested MAIL command");
        }
        MailPath path;
        try {
            path = MailPath.parse(arg, "FROM", false);
        } catch (MailPath.SyntaxError e) {
            return error("501 " + e.status + " " + e.getMessage());
        }
        for (Map.Entry<String, String> p : path.params().entrySet()) {
            String value = p.getValue();
            switch (esmtp ? p.getKey() : "") {
                case "SIZE":
                    long size;
                    try {
                        size = value == null ? -1 : Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        size = -1;
                    }
                    if (size < 0) {
                        return error("501 5.5.4 Bad message size syntax");
                    }
                    if (settings.messageSizeLimit() > 0 && size > settings.messageSizeLimit()) {
                        return reject("MAIL", "552 5.3.4 Message size exceeds fixed limit", path.address(), null);
                    }
                    break;
                case "BODY":
                    if (value == null || !(value.equalsIgnoreCase("7BIT") || value.equalsIgnoreCase("8BITMIME"))) {
                        return error("501 5.5.4 Unsupported BODY parameter value");
                    }
                    break;
                default:
                    return error("555 5.5.4 Unsupported option: " + p.getKey() + (value == null ? "" : "=" + value));
            }
        }
        sender = path.address();
        reply("250 2.1.0 Ok");
        return true;
    }

    private boolean rcpt(String arg) throws IOException, Close {
        if (sender == null) {
            return error("503 5.5.1 Error: need MAIL command");
        }
        MailPath path;
        try {
            path = MailPath.parse(arg, "TO", true);
        } catch (MailPath.SyntaxError e) {
            return error("501 " + e.status + " " + e.getMessage());
        }
        if (!path.params().isEmpty()) {
            String k = path.params().keySet().iterator().next();
            return error("555 5.5.4 Unsupported option: " + k);
        }
        if (recipients.size() >= settings.recipientLimit()) {
            reply("452 4.5.3 Error: too many recipients");
            return false;
        }
        boolean postmaster = path.domain().isEmpty();
        if (!postmaster && !settings.accepts(path.domain())) {
            return reject("RCPT", "554 5.7.1 <" + path.address() + ">: Relay access denied", sender, path.address());
        }
        recipients.add(path.address());
        reply("250 2.1.5 Ok");
        return true;
    }

    private boolean vrfy(String arg) throws IOException, Close {
        if (arg.isEmpty()) {
            return error("501 5.5.4 Syntax: VRFY address");
        }
        reply("252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery");
        return true;
    }

    private boolean rset(String arg) throws IOException, Close {
        if (!arg.isEmpty()) {
            return error("501 5.5.4 Syntax: RSET");
        }
        resetTransaction();
        reply("250 2.0.0 Ok");
        return true;
    }

    private void quit() throws IOException, Close {
        counts.get("quit")[0]++;
        reply("221 2.0.0 Bye");
        throw new Close();
    }

    private void resetTransaction() {
        sender = null;
        recipients.clear();
    }

    // ---------------------------------------------------------------------------------------------
    // DATA

    private boolean data(String arg) throws IOException, Close {
        if (!arg.isEmpty()) {
            return error("501 5.5.4 Syntax: DATA");
        }
        if (sender == null) {
            return error("503 5.5.1 Error: need MAIL command");
        }
        if (recipients.isEmpty()) {
            return error("554 5.5.1 Error: no valid recipients");
        }
        Maildir.Delivery delivery;
        try {
            delivery = maildir.begin();
        } catch (IOException e) {
            log.warn("create file in {}/tmp: {}", maildir.root(), e.getMessage());
            return error("451 4.3.0 Error: queue file write error");
        }
        reply("354 End data with <CR><LF>.<CR><LF>");
        String id = queueId(delivery.name());
        try {
            String problem = receive(delivery, id);
            if (BARE_LF.equals(problem)) {
                logBareLf("END-OF-MESSAGE");
                String reply = bareLfReply();
                if (reply.startsWith("521")) {
                    goodbye(reply);
                    throw new Close();
                }
                return error(reply);
            }
            if (problem != null) {
                return problem.startsWith("4") ? error(problem) : reject("DATA", problem, sender, null);
            }
            String where;
            try {
                where = delivery.commit();
            } catch (IOException e) {
                log.warn("{}: store message in {}: {}", id, maildir.root(), e.getMessage());
                return error("451 4.3.0 Error: queue file write error");
            }
            log.info("{}: client={}, from=<{}>, nrcpt={}, size={}, stored as {}", id, peer, sender, recipients.size(),
                    delivery.size(), where);
            reply("250 2.0.0 Ok: queued as " + id);
            return true;
        } finally {
            delivery.abort();
            resetTransaction();
        }
    }

    /** What {@link #receive} returns for a message with a bare LF under {@code smtpd_forbid_bare_newline = reject}. */
    private static final String BARE_LF = "bare <LF>";

    /**
     * Reads the message up to CRLF . CRLF and writes it (the headers we add, then the text with
     * dots unstuffed, bare CRs as spaces and LF line ends) to the delivery. A lone dot that ends
     * in a bare LF or follows one does not end the message: it is dropped, as Postfix drops it,
     * so whatever follows stays text of this message. Returns null, or the reply when the message
     * must be refused ({@link #BARE_LF} for a bare LF under {@code reject}); after a problem it
     * keeps reading to the end, so the conversation stays in step. A client that leaves, times out
     * or a stop request ends it with an exception.
     */
    private String receive(Maildir.Delivery d, String id) throws IOException {
        IOException writeError = store(d, null, 0, 0, null);
        long limit = settings.messageSizeLimit();
        long size = 0;
        boolean tooBig = false;
        boolean tooLong = false;
        boolean bareLf = false;
        boolean lineStart = true;
        boolean afterCrlf = commandEnd == SmtpInput.End.CRLF;
        for (;;) {
            SmtpInput.Line line = input.readLine(maxLine, settings.dataTimeoutMs());
            if (line == null) {
                throw new IOException("connection closed after " + size + " bytes of DATA");
            }
            byte[] b = line.bytes();
            if (line.end() == SmtpInput.End.LF) {
                bareLf = true;
                sawBareLf = true;
            }
            int off = 0;
            if (lineStart) {
                if (line.complete() && b.length == 1 && b[0] == '.') {
                    if (afterCrlf && line.end() == SmtpInput.End.CRLF) {
                        break;
                    }
                    afterCrlf = line.end() == SmtpInput.End.CRLF;
                    continue;
                }
                if (b.length > 0 && b[0] == '.') {
                    off = 1;
                }
            }
            afterCrlf = line.end() == SmtpInput.End.CRLF;
            for (int i = off; i < b.length; i++) {
                if (b[i] == '\r') {
                    b[i] = ' ';
                }
            }
            size += b.length - off + (line.complete() ? 2 : 0);
            tooLong |= !line.complete();
            tooBig |= limit > 0 && size > limit;
            if (!tooBig && !tooLong && writeError == null) {
                writeError = store(d, b, off, b.length - off, line.complete() ? NEWLINE : null);
            }
            lineStart = line.complete();
        }
        if (bareLf && settings.bareNewline() == SmtpdSettings.BareNewline.REJECT) {
            return BARE_LF;
        }
        if (tooBig) {
            return "552 5.3.4 Error: message file too big";
        }
        if (tooLong) {
            return "500 5.5.2 Error: message line longer than " + maxLine + " characters";
        }
        if (writeError != null) {
            log.warn("{}: write {}/tmp/{}: {}", id, maildir.root(), d.name(), writeError.getMessage());
            return "451 4.3.0 Error: queue file write error";
        }
        return null;
    }

    private static final byte[] NEWLINE = {'\n'};

    /** Writes to the file (the trace headers when {@code b} is null); returns the failure instead of throwing. */
    private IOException store(Maildir.Delivery d, byte[] b, int off, int len, byte[] end) {
        try {
            if (b == null) {
                writeTraceHeaders(d);
            } else {
                d.write(b, off, len);
                if (end != null) {
                    d.write(end, 0, end.length);
                }
            }
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    private void writeTraceHeaders(Maildir.Delivery d) throws IOException {
        String date = ZonedDateTime.now().format(DATE);
        String ip = client.ip();
        String from = (helo == null ? "unknown" : helo) + " (" + (ip != null ? "unknown [" + ip + "]" : client.name()) + ")";
        StringBuilder h = new StringBuilder();
        h.append("Return-Path: <").append(sender).append(">\n");
        h.append("Received: from ").append(from).append("\n\tby ").append(settings.hostname())
                .append(" (jmaster) with ").append(esmtp ? "ESMTP" : "SMTP");
        if (recipients.size() == 1) {
            h.append("\n\tfor <").append(recipients.get(0)).append(">");
        }
        h.append("; ").append(date).append("\n");
        byte[] bytes = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        d.write(bytes, 0, bytes.length);
    }

    /** A short id for the log: the Maildir name's seconds, microseconds and pid, in hex. */
    private static String queueId(String maildirName) {
        String[] parts = maildirName.split("[.MPQ]", 5);
        try {
            long sec = Long.parseLong(parts[0]);
            long usec = Long.parseLong(parts[2]);
            long pid = Long.parseLong(parts[3]);
            return String.format(Locale.ROOT, "%X%05X%X", sec & 0xFFFFF, usec, pid & 0xFFFF);
        } catch (RuntimeException e) {
            return Integer.toHexString(maildirName.hashCode()).toUpperCase(Locale.ROOT);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // replies

    private void reply(String text) throws IOException {
        client.write(text);
        client.write("\r\n");
    }

    /** A negative reply that counts towards {@code smtpd_hard_error_limit}; always false. */
    private boolean error(String text) throws IOException, Close {
        reply(text);
        errors++;
        if (errors >= settings.hardErrorLimit()) {
            log.info("too many errors after {} from {}", lastCommand, peer);
            goodbye("421 4.7.0 " + settings.hostname() + " Error: too many errors");
            throw new Close();
        }
        return false;
    }

    /** A policy rejection: logged as Postfix does, then counted like any error. */
    private boolean reject(String stage, String text, String from, String to) throws IOException, Close {
        log.info("NOQUEUE: reject: {} from {}: {}; from=<{}>{} proto={} helo=<{}>", stage, peer, text,
                from == null ? "" : from, to == null ? "" : " to=<" + to + ">", esmtp ? "ESMTP" : "SMTP", helo);
        return error(text);
    }

    /** Sends a last reply, ignoring a client that is already gone. */
    private void goodbye(String text) {
        try {
            reply(text);
            client.flush();
        } catch (IOException ignored) {
            // the client left first
        }
    }

    /** Postfix's disconnect summary: {@code ehlo=1 mail=1 rcpt=0/1 ... commands=3/4}. */
    private String summary() {
        StringBuilder b = new StringBuilder();
        int ok = 0;
        int total = 0;
        for (Map.Entry<String, int[]> e : counts.entrySet()) {
            int[] c = e.getValue();
            if (c[1] == 0) {
                continue;
            }
            b.append(' ').append(e.getKey()).append('=').append(c[0]);
            if (c[0] != c[1]) {
                b.append('/').append(c[1]);
            }
            ok += c[0];
            total += c[1];
        }
        b.append(" commands=").append(ok);
        if (ok != total) {
            b.append('/').append(total);
        }
        if (sawBareLf && settings.bareNewline() == SmtpdSettings.BareNewline.NOTE) {
            b.append(" notes=bare_lf");
        }
        return b.toString();
    }
}
