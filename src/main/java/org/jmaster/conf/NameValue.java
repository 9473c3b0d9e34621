package org.jmaster.conf;

/**
 * A {@code name = value} pair as split by Postfix's {@code split_nameval()}: whitespace around
 * the name, around {@code =} and at the end of the value is removed; the name ends at whitespace
 * or {@code =}.
 */
record NameValue(String name, String value) {

    /** Result of {@link #split}: a pair, or an error text (Postfix's wording). */
    record Parsed(NameValue pair, String error) {}

    static Parsed split(String text) {
        int np = LogicalLines.skipSpace(text, 0);
        if (np == text.length() || text.charAt(np) == '=') {
            return new Parsed(null, "missing attribute name");
        }
        int ep = np;
        while (ep < text.length() && !LogicalLines.isSpace(text.charAt(ep)) && text.charAt(ep) != '=') {
            ep++;
        }
        int cp = LogicalLines.skipSpace(text, ep);
        if (cp == text.length() || text.charAt(cp) != '=') {
            return new Parsed(null, "missing '=' after attribute name");
        }
        String value = Tokens.trim(text.substring(cp + 1));
        return new Parsed(new NameValue(text.substring(np, ep), value), null);
    }
}
