package org.jmaster.conf;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code master_service_disable} matcher (protocol doc §1.8): patterns {@code type},
 * {@code name/type} or the older {@code name.type}, each optionally negated by {@code !} (every
 * {@code !} flips again), matched case-insensitively in list order; the first match decides.
 */
final class ServiceDisable {

    private record Pattern(boolean negated, String service, String type) {}

    private final List<Pattern> patterns;

    private ServiceDisable(List<Pattern> patterns) {
        this.patterns = patterns;
    }

    /** Parses the list (commas and whitespace separate patterns). */
    static ServiceDisable parse(String value) {
        List<Pattern> list = new ArrayList<>();
        Tokens t = new Tokens(value, Tokens.COMMA_BLANKS);
        for (String item = t.next(); item != null; item = t.next()) {
            String p = item.toLowerCase(Locale.ROOT);
            boolean negated = false;
            while (p.startsWith("!")) {
                negated = !negated;
                p = p.substring(1);
            }
            if (p.isEmpty()) {
                continue;
            }
            int slash = p.lastIndexOf('/');
            if (slash < 0) {
                slash = p.lastIndexOf('.');
            }
            if (slash < 0) {
                list.add(new Pattern(negated, null, p));
            } else {
                list.add(new Pattern(negated, p.substring(0, slash), p.substring(slash + 1)));
            }
        }
        return new ServiceDisable(List.copyOf(list));
    }

    /** Whether the entry with fields 1 and 2 as written is disabled. */
    boolean disables(String service, String type) {
        String s = service.toLowerCase(Locale.ROOT);
        String t = type.toLowerCase(Locale.ROOT);
        for (Pattern p : patterns) {
            if (p.type().equals(t) && (p.service() == null || p.service().equals(s))) {
                return !p.negated();
            }
        }
        return false;
    }
}
