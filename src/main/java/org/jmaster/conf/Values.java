package org.jmaster.conf;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Small strict value parsers shared by main.cf and master.cf: digits, integers, time values
 * ({@code conv_time}) and comma/whitespace lists with {@code { }} grouping
 * ({@code mail_parm_split}).
 */
final class Values {

    private Values() {}

    /** Non-empty and only ASCII digits. */
    static boolean isDigits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** A non-negative decimal int, digits only; empty when malformed or too large. */
    static OptionalInt digitsToInt(String s) {
        if (!isDigits(s) || s.length() > 10) {
            return OptionalInt.empty();
        }
        long v = Long.parseLong(s);
        return v > Integer.MAX_VALUE ? OptionalInt.empty() : OptionalInt.of((int) v);
    }

    /** A decimal int with an optional sign ({@code strtol} without trailing garbage). */
    static OptionalInt parseInt(String s) {
        String t = s;
        boolean negative = false;
        if (t.startsWith("-") || t.startsWith("+")) {
            negative = t.charAt(0) == '-';
            t = t.substring(1);
        }
        if (!isDigits(t) || t.length() > 11) {
            return OptionalInt.empty();
        }
        long v = Long.parseLong(t);
        if (negative) {
            v = -v;
        }
        return v < Integer.MIN_VALUE || v > Integer.MAX_VALUE ? OptionalInt.empty() : OptionalInt.of((int) v);
    }

    /**
     * A time value {@code <digits>[s|m|h|d|w]} in seconds, with {@code defaultUnit} when the unit
     * is omitted ({@code conv_time}); empty when malformed or out of int range.
     */
    static OptionalLong parseTime(String s, char defaultUnit) {
        if (s.isEmpty()) {
            return OptionalLong.empty();
        }
        char unit = defaultUnit;
        String digits = s;
        char last = s.charAt(s.length() - 1);
        if (last < '0' || last > '9') {
            unit = last;
            digits = s.substring(0, s.length() - 1);
        }
        OptionalInt n = digitsToInt(digits);
        long factor = unitSeconds(unit);
        if (n.isEmpty() || factor < 0) {
            return OptionalLong.empty();
        }
        long seconds = n.getAsInt() * factor;
        return seconds > Integer.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(seconds);
    }

    /** Seconds per time unit letter, or -1 for an unknown unit. */
    static long unitSeconds(char unit) {
        switch (unit) {
            case 's': return 1;
            case 'm': return 60;
            case 'h': return 3600;
            case 'd': return 86400;
            case 'w': return 604800;
            default: return -1;
        }
    }

    /** Result of {@link #splitList}: the elements and the brace errors (Postfix wording). */
    record Split(List<String> elements, List<String> errors) {}

    /**
     * Splits on commas and whitespace; a {@code { }} group is one element, with the braces and
     * the whitespace just inside them removed ({@code mail_parm_split}).
     */
    static Split splitList(String value) {
        Tokens tokens = new Tokens(value, Tokens.COMMA_BLANKS);
        List<String> out = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (String tok = tokens.nextGrouped(); tok != null; tok = tokens.nextGrouped()) {
            if (tok.charAt(0) == '{') {
                Tokens.Stripped s = Tokens.stripBraces(tok);
                if (s.error() != null) {
                    errors.add(s.error());
                }
                out.add(s.value());
            } else {
                out.add(tok);
            }
        }
        return new Split(List.copyOf(out), List.copyOf(errors));
    }
}
