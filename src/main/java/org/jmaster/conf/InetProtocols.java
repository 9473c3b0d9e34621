package org.jmaster.conf;

import java.util.Optional;

/**
 * The address families that {@code inet_protocols} enables. {@code all} means both here;
 * whether the kernel supports IPv6 is for the listener to find out.
 */
public record InetProtocols(boolean ipv4, boolean ipv6) {

    /** True when no family is enabled (an empty {@code inet_protocols}). */
    public boolean none() {
        return !ipv4 && !ipv6;
    }

    /**
     * Parses a value like {@code all}, {@code ipv4}, {@code ipv4, ipv6} (case-sensitive names,
     * separated by commas or whitespace); empty when a name is unknown. An empty value enables
     * nothing.
     */
    public static Optional<InetProtocols> parse(String value) {
        boolean v4 = false;
        boolean v6 = false;
        Tokens t = new Tokens(value, Tokens.COMMA_BLANKS);
        for (String name = t.next(); name != null; name = t.next()) {
            switch (name) {
                case "ipv4": v4 = true; break;
                case "ipv6": v6 = true; break;
                case "all": v4 = true; v6 = true; break;
                default: return Optional.empty();
            }
        }
        return Optional.of(new InetProtocols(v4, v6));
    }

    /** The error text for a value that {@link #parse} rejected (Postfix's wording). */
    static String error(String value) {
        Tokens t = new Tokens(value, Tokens.COMMA_BLANKS);
        for (String name = t.next(); name != null; name = t.next()) {
            if (!name.equals("ipv4") && !name.equals("ipv6") && !name.equals("all")) {
                return "unknown inet_protocols value \"" + name + "\" in \"" + value + "\"";
            }
        }
        return "bad inet_protocols value: \"" + value + "\"";
    }
}
