package org.jmaster.conf;

import java.util.function.Function;

/**
 * {@code $name} expansion of main.cf values, with the semantics of Postfix's
 * {@code mac_parse()}/{@code mac_expand()} in recursive mode (protocol doc §2.1):
 * {@code $name}, {@code ${name}}, {@code $(name)}, {@code $$}, {@code ${name?text}},
 * {@code ${name:text}}, {@code ${name?{t1}:{t2}}} and relational
 * {@code ${{a} op {b} ? {t1} : {t2}}} with {@code == != < <= >= >} (numeric when both operands
 * are all digits) and the {@code <level} family for compatibility levels.
 *
 * <p>Errors use Postfix's warning texts; expansion stops at the first one and the partial result
 * is kept. Beyond Postfix, budgets stop runaway expansions: nesting depth, macro references and
 * result size per expansion, and the work (characters parsed) of a {@link Budget} that one
 * expansion, or every expansion of one main.cf load, shares. So a file of a thousand exponential
 * chains costs as much as one, and a relational comparison of two huge numbers is linear.
 */
final class Expander {

    static final int MAX_NESTING = 100;
    static final int MAX_REFERENCES = 1_000_000;
    static final int MAX_RESULT = 1 << 20;
    /** Work per budget, in characters parsed: four times the largest main.cf, far beyond any real one. */
    static final long MAX_WORK = 4L << 20;
    /** What one macro reference (a lookup) costs, in characters: at most 262,144 references per budget. */
    static final int REFERENCE_COST = 16;

    /** The expanded text, the first error (Postfix wording) or null, and whether the budget ran out. */
    record Result(String value, String error, boolean exhausted) {
        Result(String value, String error) {
            this(value, error, false);
        }
    }

    /**
     * Work allowed to the expansions that share it: characters parsed (each value or operand
     * counted every time it is parsed) and {@link #REFERENCE_COST} per macro reference. Not
     * thread-safe: one expansion at a time.
     */
    static final class Budget {
        private final long limit;
        private long left;
        private boolean exhausted;

        Budget(long limit) {
            this.limit = limit;
            this.left = limit;
        }

        boolean exhausted() {
            return exhausted;
        }
    }

    private static final String WHITESPACE = " \t\r\n";
    private static final String OP_CHARS = "<>!=?+-*/~&|%";

    private final Function<String, String> lookup;
    private final Budget budget;
    private final StringBuilder out = new StringBuilder();
    private int level;
    private int references;

    private static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message, null, false, false);
        }
    }

    private Expander(Function<String, String> lookup, Budget budget) {
        this.lookup = lookup;
        this.budget = budget;
    }

    /**
     * Expands {@code pattern}; {@code lookup} returns a parameter's raw (unexpanded) value, or
     * null when it is undefined.
     */
    static Result expand(String pattern, Function<String, String> lookup) {
        return expand(pattern, lookup, new Budget(MAX_WORK));
    }

    /** {@link #expand(String, Function)} drawing on a budget shared with other expansions. */
    static Result expand(String pattern, Function<String, String> lookup, Budget budget) {
        Expander e = new Expander(lookup, budget);
        try {
            e.parse(pattern);
            return new Result(e.out.toString(), null);
        } catch (Failure f) {
            return new Result(e.out.toString(), f.getMessage(), budget.exhausted);
        }
    }

    /** Charges parsing {@code n} characters to the budget. */
    private void charge(long n) {
        budget.left -= n;
        if (budget.left < 0) {
            budget.exhausted = true;
            throw new Failure("unreasonable macro expansion size: more than " + budget.limit
                    + " characters of expansion work");
        }
    }

    /** mac_parse: literal text and macro references, in order. */
    private void parse(String value) {
        charge(value.length() + 1L);
        int vp = 0;
        int n = value.length();
        while (vp < n) {
            char c = value.charAt(vp);
            if (c != '$') {
                int dollar = value.indexOf('$', vp);
                int end = dollar < 0 ? n : dollar;
                append(value, vp, end);
                vp = end;
            } else if (vp + 1 < n && value.charAt(vp + 1) == '$') {
                append("$");
                vp += 2;
            } else {
                vp++;
                String ref;
                if (vp < n && (value.charAt(vp) == '{' || value.charAt(vp) == '(')) {
                    char open = value.charAt(vp);
                    char close = open == '{' ? '}' : ')';
                    int depth = 1;
                    int ep = vp + 1;
                    while (depth > 0) {
                        if (ep >= n) {
                            throw new Failure("truncated macro reference: \"" + value + "\"");
                        }
                        char x = value.charAt(ep);
                        if (x == open) {
                            depth++;
                        } else if (x == close) {
                            depth--;
                        }
                        ep++;
                    }
                    ref = value.substring(vp + 1, ep - 1);
                    vp = ep;
                } else {
                    int ep = vp;
                    while (ep < n && isNameChar(value.charAt(ep))) {
                        ep++;
                    }
                    ref = value.substring(vp, ep);
                    vp = ep;
                }
                if (ref.isEmpty()) {
                    throw new Failure("empty macro name: \"" + value + "\"");
                }
                reference(ref);
            }
        }
    }

    /** mac_expand_callback for one macro reference (the text inside {@code ${...}}). */
    private void reference(String expr) {
        if (level++ > MAX_NESTING) {
            throw new Failure("unreasonable macro call nesting: \"" + expr + "\"");
        }
        if (++references > MAX_REFERENCES) {
            throw new Failure("unreasonable macro expansion size: \"" + expr + "\"");
        }
        charge(REFERENCE_COST);
        String value;
        int cp;
        int ws = span(expr, 0, WHITESPACE);
        char ch;
        if (ws < expr.length() && expr.charAt(ws) == '{') {
            int[] at = {ws};
            value = logical(expr, at) ? "true" : "";
            cp = at[0];
            ch = cp < expr.length() ? expr.charAt(cp) : 0;
            if (ch != 0) {
                if (ch != '?' && ch != ':') {
                    throw new Failure("\"?\" or \":\" expected at: \"...}>>>" + max20(expr, cp) + "\"");
                }
                cp++;
            }
        } else {
            cp = 0;
            ch = 0;
            while (cp < expr.length()) {
                char x = expr.charAt(cp);
                if (x == '?' || x == ':') {
                    ch = x;
                    break;
                }
                if (!isNameChar(x)) {
                    throw new Failure("attribute name syntax error at: \"..."
                            + expr.substring(0, cp) + ">>>" + max20(expr, cp) + "\"");
                }
                cp++;
            }
            value = lookup.apply(expr.substring(0, cp));
            if (ch != 0) {
                cp++;
            }
        }
        boolean nonEmpty = value != null && !value.isEmpty();
        if (ch == '?') {
            int[] at = {cp};
            String ifTrue = operand(expr, at);
            cp = at[0];
            if (nonEmpty) {
                parse(ifTrue);
            }
            if (cp < expr.length()) {
                if (expr.charAt(cp) != ':') {
                    throw new Failure("\":\" expected at: \"..." + ifTrue + "}>>>" + max20(expr, cp) + "\"");
                }
                cp++;
                ch = ':';
            } else {
                ch = 1;
            }
        }
        if (ch == ':') {
            int[] at = {cp};
            String ifFalse = operand(expr, at);
            cp = at[0];
            if (!nonEmpty) {
                parse(ifFalse);
            }
            if (cp < expr.length()) {
                throw new Failure("unexpected input at: \"..." + ifFalse + "}>>>" + max20(expr, cp) + "\"");
            }
        } else if (ch == 0 && nonEmpty) {
            parse(value);
        }
        level--;
    }

    /** A result operand: a {@code {...}} payload, or the rest of the text. */
    private static String operand(String expr, int[] at) {
        int ws = span(expr, at[0], WHITESPACE);
        if (ws < expr.length() && expr.charAt(ws) == '{') {
            at[0] = ws;
            return curlyPayload(expr, at);
        }
        String rest = expr.substring(at[0]);
        at[0] = expr.length();
        return rest;
    }

    /** Extracts {@code {payload}} at {@code at[0]} and skips whitespace after it. */
    private static String curlyPayload(String expr, int[] at) {
        int start = at[0];
        int depth = 0;
        for (int i = start; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                at[0] = span(expr, i + 1, WHITESPACE);
                return expr.substring(start + 1, i);
            }
        }
        throw new Failure("unbalanced {} in attribute expression: \"" + expr.substring(start) + "\"");
    }

    /** Parses and evaluates {@code {a} op {b}} at {@code at[0]}; leaves {@code at[0]} after it. */
    private boolean logical(String expr, int[] at) {
        String left = curlyPayload(expr, at);
        int opStart = at[0];
        int opEnd = span(expr, opStart, OP_CHARS);
        if (expr.startsWith("level", opEnd)) {
            opEnd += "level".length();
        }
        String op = expr.substring(opStart, opEnd);
        if (!isOperator(op)) {
            throw new Failure("\"==\", \"!=\", \"<\", \"<=\", \">=\", or \">\" expected at: \"...{"
                    + left + "}>>>" + max20(expr, opStart) + "\"");
        }
        int ws = span(expr, opEnd, WHITESPACE);
        if (ws >= expr.length() || expr.charAt(ws) != '{') {
            throw new Failure("\"{expression}\" expected at: \"...{" + left + "} " + op + ">>>"
                    + max20(expr, opEnd) + "\"");
        }
        at[0] = ws;
        String right = curlyPayload(expr, at);
        String l = expandOperand(left);
        String r = expandOperand(right);
        int cmp;
        if (op.endsWith("level")) {
            CompatLevel a = CompatLevel.parse(l);
            CompatLevel b = CompatLevel.parse(r);
            if (a == null || b == null) {
                throw new Failure("bad compatibility level: \"" + (a == null ? l : r) + "\"");
            }
            cmp = a.compareTo(b);
            op = op.substring(0, op.length() - "level".length());
        } else if (Values.isDigits(l) && Values.isDigits(r)) {
            cmp = compareDigits(l, r);
        } else {
            cmp = l.compareTo(r);
        }
        switch (op) {
            case "==": return cmp == 0;
            case "!=": return cmp != 0;
            case "<": return cmp < 0;
            case "<=": return cmp <= 0;
            case ">=": return cmp >= 0;
            default: return cmp > 0;
        }
    }

    /** Compares two non-negative decimal numbers of any length, in linear time. */
    static int compareDigits(String a, String b) {
        int i = 0;
        while (i < a.length() - 1 && a.charAt(i) == '0') {
            i++;
        }
        int j = 0;
        while (j < b.length() - 1 && b.charAt(j) == '0') {
            j++;
        }
        int c = Integer.compare(a.length() - i, b.length() - j);
        for (; c == 0 && i < a.length(); i++, j++) {
            c = Character.compare(a.charAt(i), b.charAt(j));
        }
        return Integer.signum(c);
    }

    private static boolean isOperator(String op) {
        String base = op.endsWith("level") ? op.substring(0, op.length() - 5) : op;
        switch (base) {
            case "==": case "!=": case "<": case "<=": case ">=": case ">":
                return true;
            default:
                return false;
        }
    }

    /** Expands an operand of a relational expression into a separate buffer. */
    private String expandOperand(String text) {
        int mark = out.length();
        parse(text);
        String s = out.substring(mark);
        out.setLength(mark);
        return s;
    }

    private void append(String s) {
        append(s, 0, s.length());
    }

    /** Appends a run of literal text (as Postfix appends it character by character). */
    private void append(String s, int from, int to) {
        if (out.length() + (to - from) > MAX_RESULT) {
            throw new Failure("unreasonable macro expansion size: result exceeds "
                    + MAX_RESULT + " characters");
        }
        out.append(s, from, to);
    }

    static boolean isNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }

    private static int span(String s, int from, String set) {
        int i = from;
        while (i < s.length() && set.indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        return i;
    }

    private static String max20(String s, int from) {
        return s.substring(from, Math.min(s.length(), from + 20));
    }
}
