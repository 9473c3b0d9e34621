package org.jmaster.conf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a configuration text into logical lines, the way Postfix's {@code readllines()} does
 * (protocol doc §1.1).
 *
 * <ul>
 *   <li>Empty lines, whitespace-only lines and lines whose first non-whitespace character is
 *       {@code #} are skipped, also between an entry and its continuation lines.
 *   <li>A physical line that starts with whitespace continues the current logical line; the
 *       newline is dropped and the text, leading whitespace included, is appended.
 *   <li>A logical line that would start with whitespace (continuation text with nothing before
 *       it) is dropped with the warning {@code logical line must not start with whitespace}.
 *   <li>One carriage return at the end of each physical line is removed, so CRLF files read like
 *       LF files.
 *   <li>A NUL character ends the logical line's text (as it does for Postfix's C strings), with
 *       the warning {@code text after null byte may be ignored}.
 *   <li>A logical line is numbered by its first physical line.
 * </ul>
 */
public final class LogicalLines {

    private final List<LogicalLine> lines;
    private final List<ConfigError> warnings;

    private LogicalLines(List<LogicalLine> lines, List<ConfigError> warnings) {
        this.lines = List.copyOf(lines);
        this.warnings = List.copyOf(warnings);
    }

    /** The logical lines of {@code text}, dropping the warnings. */
    public static List<LogicalLine> read(String text) {
        return parse(null, text).lines();
    }

    /** The logical lines of {@code text} and the warnings about it, attributed to {@code file}. */
    public static LogicalLines parse(Path file, String text) {
        List<LogicalLine> lines = new ArrayList<>();
        List<ConfigError> warnings = new ArrayList<>();
        StringBuilder current = null;
        int first = 0;
        int lineNo = 0;
        int pos = 0;
        int len = text.length();
        while (pos < len) {
            int nl = text.indexOf('\n', pos);
            int end = nl < 0 ? len : nl;
            lineNo++;
            String physical = text.substring(pos, end);
            pos = nl < 0 ? len : nl + 1;
            if (physical.endsWith("\r")) {
                physical = physical.substring(0, physical.length() - 1);
            }
            int firstText = skipSpace(physical, 0);
            if (firstText == physical.length() || physical.charAt(firstText) == '#') {
                continue;
            }
            if (firstText > 0 && current != null) {
                current.append(physical);
                continue;
            }
            if (current != null) {
                finish(file, first, current.toString(), lines, warnings);
            }
            current = new StringBuilder(physical);
            first = lineNo;
        }
        if (current != null) {
            finish(file, first, current.toString(), lines, warnings);
        }
        return new LogicalLines(lines, warnings);
    }

    /** The logical lines, in file order. */
    public List<LogicalLine> lines() {
        return lines;
    }

    /** Warnings about dropped text, in file order. */
    public List<ConfigError> warnings() {
        return warnings;
    }

    private static void finish(Path file, int line, String text, List<LogicalLine> lines,
                               List<ConfigError> warnings) {
        int nul = text.indexOf('\0');
        if (nul >= 0) {
            warnings.add(new ConfigError(file, line, "text after null byte may be ignored"));
            text = text.substring(0, nul);
            if (skipSpace(text, 0) == text.length()) {
                return;
            }
        }
        if (isSpace(text.charAt(0))) {
            String shown = text.length() > 30 ? text.substring(0, 30) + "..." : text;
            warnings.add(new ConfigError(file, line,
                    "logical line must not start with whitespace: \"" + shown + "\""));
            return;
        }
        lines.add(new LogicalLine(line, text));
    }

    /** C's {@code isspace()} in the "C" locale. */
    static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
    }

    static int skipSpace(String s, int from) {
        int i = from;
        while (i < s.length() && isSpace(s.charAt(i))) {
            i++;
        }
        return i;
    }
}
