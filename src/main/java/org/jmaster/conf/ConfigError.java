package org.jmaster.conf;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One configuration problem (or warning), tied to a file and a line.
 *
 * <p>Line numbers are 1-based and name the first physical line of the logical line concerned;
 * line 0 means the whole file. The printed form is Postfix's, which differs by file:
 * {@code /etc/postfix/master.cf: line 3: <text>} for master.cf (its master_ent.c), and
 * {@code /etc/postfix/main.cf, line 3: <text>} for main.cf and every other file (its dict.c); a
 * whole-file problem is {@code <file>: <text>}. The file may be null for values that come from no file
 * (for example {@code -o} overrides); then only the text (and line, if any) is printed. A text
 * longer than {@value #MAX_TEXT} characters loses its middle, replaced by the length that was cut:
 * the start names the problem, the end often says what was expected.
 */
public record ConfigError(Path file, int line, String text) {

    /** Longest text kept: an error quotes the offending text, and a 1 MiB line must not become a 1 MiB log line. */
    static final int MAX_TEXT = 1000;

    public ConfigError {
        Objects.requireNonNull(text, "text");
        if (text.length() > MAX_TEXT) {
            int head = MAX_TEXT * 2 / 3;
            int tail = MAX_TEXT - head - 40;
            if (Character.isHighSurrogate(text.charAt(head - 1))) {
                head--;
            }
            int from = text.length() - tail;
            if (Character.isLowSurrogate(text.charAt(from))) {
                from++;
            }
            text = text.substring(0, head) + "... (" + (from - head) + " of " + text.length()
                    + " characters cut) ..." + text.substring(from);
        }
        if (line < 0) {
            throw new IllegalArgumentException("negative line number: " + line);
        }
    }

    /** A whole-file error (line 0). */
    public static ConfigError ofFile(Path file, String text) {
        return new ConfigError(file, 0, text);
    }

    @Override
    public String toString() {
        if (file == null) {
            return line == 0 ? text : "line " + line + ": " + text;
        }
        if (line == 0) {
            return file + ": " + text;
        }
        boolean masterCf = file.getFileName() != null && file.getFileName().toString().equals(ServiceTable.FILE_NAME);
        return file + (masterCf ? ": line " : ", line ") + line + ": " + text;
    }
}
