package org.jmaster.services;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The argument of {@code MAIL FROM:} or {@code RCPT TO:} (RFC 5321 §4.1.2): a path in angle
 * brackets ({@code <>} for the null sender; a source route {@code <@a,@b:user@host>} is accepted
 * and dropped, as §C allows), then ESMTP parameters {@code KEYWORD[=value]}. Lenient where
 * clients commonly are (a space after the colon, a bare address without brackets), strict about
 * the mailbox itself: a local part of atoms or a quoted string, {@code @}, a domain name or an
 * address literal, printable ASCII only (SMTPUTF8 is not offered).
 *
 * @param address the mailbox ({@code local@domain}, the local part as written), or {@code ""} for {@code <>}
 * @param params  ESMTP parameters, keywords in upper case, values as written ({@code null} without {@code =})
 */
record MailPath(String address, Map<String, String> params) {

    /** A malformed path or parameter: the reply is {@code 501 <status> <message>}. */
    static final class SyntaxError extends Exception {
        private static final long serialVersionUID = 1L;
        final String status;

        SyntaxError(String status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** The domain, lower-cased ({@code ""} for {@code <>} and for a bare {@code postmaster}). */
    String domain() {
        int at = address.lastIndexOf('@');
        return at < 0 ? "" : address.substring(at + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * Parses what follows the verb, e.g. {@code "FROM:<a@b> SIZE=10"} with keyword {@code FROM}.
     * {@code mailboxRequired}: false lets {@code <>} (senders) through.
     */
    static MailPath parse(String arg, String keyword, boolean mailboxRequired) throws SyntaxError {
        String syntax = "Syntax: " + (keyword.equals("FROM") ? "MAIL FROM:<address>" : "RCPT TO:<address>");
        if (arg.length() < keyword.length() + 1 || !arg.regionMatches(true, 0, keyword + ":", 0, keyword.length() + 1)) {
            throw new SyntaxError("5.5.4", syntax);
        }
        String rest = arg.substring(keyword.length() + 1).stripLeading();
        String path;
        int end;
        if (rest.startsWith("<")) {
            end = closingBracket(rest);
            if (end < 0) {
                throw new SyntaxError("5.5.4", syntax);
            }
            path = rest.substring(1, end);
            end++;
        } else {
            end = rest.indexOf(' ');
            if (end < 0) {
                end = rest.length();
            }
            path = rest.substring(0, end);
            if (path.isEmpty()) {
                throw new SyntaxError("5.5.4", syntax);
            }
        }
        if (end < rest.length() && rest.charAt(end) != ' ') {
            throw new SyntaxError("5.5.4", syntax);
        }
        String address = mailbox(path, mailboxRequired);
        return new MailPath(address, params(rest.substring(end)));
    }

    /** The index of the {@code >} that closes the path, skipping quoted strings; -1 when none. */
    private static int closingBracket(String s) {
        boolean quoted = false;
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quoted && c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == '>') {
                return i;
            }
        }
        return -1;
    }

    private static String mailbox(String path, boolean required) throws SyntaxError {
        if (path.isEmpty()) {
            if (required) {
                throw new SyntaxError("5.1.3", "Bad recipient address syntax");
            }
            return "";
        }
        String bad = required ? "Bad recipient address syntax" : "Bad sender address syntax";
        String status = required ? "5.1.3" : "5.1.7";
        if (path.startsWith("@")) {
            int colon = path.indexOf(':');
            if (colon < 0) {
                throw new SyntaxError(status, bad);
            }
            path = path.substring(colon + 1);
        }
        if (path.equalsIgnoreCase("postmaster") && required) {
            return path;
        }
        int at = path.lastIndexOf('@');
        if (at <= 0 || at == path.length() - 1 || !localPart(path.substring(0, at))
                || !domain(path.substring(at + 1))) {
            throw new SyntaxError(status, bad);
        }
        return path;
    }

    private static boolean localPart(String s) {
        if (s.startsWith("\"")) {
            if (s.length() < 2 || !s.endsWith("\"")) {
                return false;
            }
            for (int i = 1; i < s.length() - 1; i++) {
                char c = s.charAt(i);
                if (c == '\\') {
                    i++;
                    if (i >= s.length() - 1 || s.charAt(i) < 32 || s.charAt(i) > 126) {
                        return false;
                    }
                } else if (c < 32 || c > 126 || c == '"') {
                    return false;
                }
            }
            return true;
        }
        if (s.length() > 64 || s.startsWith(".") || s.endsWith(".") || s.contains("..")) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!atext(s.charAt(i)) && s.charAt(i) != '.') {
                return false;
            }
        }
        return true;
    }

    private static boolean atext(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
    }

    private static boolean domain(String s) {
        if (s.startsWith("[")) {
            if (!s.endsWith("]") || s.length() < 3) {
                return false;
            }
            for (int i = 1; i < s.length() - 1; i++) {
                char c = s.charAt(i);
                if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\') {
                    return false;
                }
            }
            return true;
        }
        if (s.isEmpty() || s.length() > 255) {
            return false;
        }
        for (String label : s.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                    return false;
                }
            }
        }
        return true;
    }

    private static Map<String, String> params(String s) throws SyntaxError {
        Map<String, String> out = new LinkedHashMap<>();
        for (String p : s.trim().split(" +")) {
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            String key = (eq < 0 ? p : p.substring(0, eq)).toUpperCase(Locale.ROOT);
            if (key.isEmpty() || !key.chars().allMatch(c -> c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
                throw new SyntaxError("5.5.4", "Bad parameter syntax: " + p);
            }
            out.put(key, eq < 0 ? null : p.substring(eq + 1));
        }
        return out;
    }
}
