package org.jmaster.conf;

/**
 * Postfix's string splitters, in Java: {@code mystrtok()} (plain), {@code mystrtokq()} (with
 * {@code { }} grouping) and {@code extpar()} (brace stripping), over a cursor into one string.
 *
 * <p>Separators are a caller-supplied character set; master.cf uses {@link #BLANKS}
 * ({@code " \t\r\n"}), list parameters use {@link #COMMA_BLANKS}.
 */
final class Tokens {

    static final String BLANKS = " \t\r\n";
    static final String COMMA_BLANKS = ", \t\r\n";

    private final String text;
    private final String separators;
    private int pos;

    Tokens(String text, String separators) {
        this.text = text;
        this.separators = separators;
    }

    /** The next token split at separators only ({@code mystrtok}), or null at the end. */
    String next() {
        skipSeparators();
        if (pos >= text.length()) {
            return null;
        }
        int start = pos;
        while (pos < text.length() && !isSeparator(text.charAt(pos))) {
            pos++;
        }
        return text.substring(start, pos);
    }

    /**
     * The next token, where separators inside {@code { }} (nested) do not split
     * ({@code mystrtokq}), or null at the end. Braces are kept; an unbalanced group runs to the
     * end of the text.
     */
    String nextGrouped() {
        skipSeparators();
        if (pos >= text.length()) {
            return null;
        }
        int start = pos;
        int level = 0;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '{') {
                level++;
            } else if (c == '}' && level > 0) {
                level--;
            } else if (level == 0 && isSeparator(c)) {
                break;
            }
            pos++;
        }
        return text.substring(start, pos);
    }

    private void skipSeparators() {
        while (pos < text.length() && isSeparator(text.charAt(pos))) {
            pos++;
        }
    }

    private boolean isSeparator(char c) {
        return separators.indexOf(c) >= 0;
    }

    /** Result of {@link #stripBraces}: the payload, and an error text or null. */
    record Stripped(String value, String error) {}

    /**
     * {@code extpar(..., EXTPAR_FLAG_STRIP)} on a token that starts with {@code {}: removes the
     * outer braces and the whitespace just inside them. Errors are Postfix's texts
     * {@code missing '}' in "<tok>"} and {@code syntax error after '}' in "<tok>"}.
     */
    static Stripped stripBraces(String token) {
        if (token.isEmpty() || token.charAt(0) != '{') {
            throw new IllegalArgumentException("no '{' at start of text: " + token);
        }
        int close = balancedEnd(token);
        if (close < 0) {
            return new Stripped(trim(token.substring(1)), "missing '}' in \"" + token + "\"");
        }
        String inner = trim(token.substring(1, close));
        if (close != token.length() - 1) {
            return new Stripped(inner, "syntax error after '}' in \"" + token + "\"");
        }
        return new Stripped(inner, null);
    }

    /** Index of the brace that closes the one at index 0, or -1 when unbalanced. */
    static int balancedEnd(String s) {
        int level = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{') {
                level++;
            } else if (c == '}') {
                level--;
                if (level == 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Removes C-isspace characters at both ends. */
    static String trim(String s) {
        int start = LogicalLines.skipSpace(s, 0);
        int end = s.length();
        while (end > start && LogicalLines.isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }
}
