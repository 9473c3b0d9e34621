package org.jmaster.conf;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The registry of jmaster's own master.cf service attributes ({@code -M name=value}): each
 * attribute's name, value syntax (as a check and as the phrase shown in errors) and default.
 * Adding an attribute is one constant here; its meaning lives with the code that reads it.
 */
public enum ServiceAttribute {
    PROTOCOL("protocol", "postfix, inetd or systemd", "postfix", v -> v.matches("postfix|inetd|systemd")),
    PREFORK("prefork", "an integer >= 0", "0", ServiceAttribute::isCount),
    MAX_SPARE("max_spare", "an integer >= 0", null, ServiceAttribute::isCount),
    MAX_PER_SOURCE("max_per_source", "an integer >= 0", "0", ServiceAttribute::isCount),
    SOURCE_PREFIX("source_prefix", "IPV4BITS/IPV6BITS, e.g. 32/64", "32/64", ServiceAttribute::isSourcePrefix),
    SOURCE_GROUP("source_group", "a name of letters, digits, '_', '.', '-'", null,
            v -> v.matches("[A-Za-z0-9_.-]+")),
    SOURCE_EXEMPT("source_exempt", "a list of addresses or address/prefix", null, ServiceAttribute::isAddressList),
    RATE("rate", "COUNT/PERIOD, e.g. 10/1s or 100/5m", null, v -> Rate.parse(v).isPresent()),
    SOURCE_RATE("source_rate", "COUNT/PERIOD, e.g. 10/1s or 100/5m", null, v -> Rate.parse(v).isPresent()),
    REFUSE_REPLY("refuse_reply", "one line of text", null, ServiceAttribute::isOneLine),
    THROTTLE_REPLY("throttle_reply", "one line of text", null, ServiceAttribute::isOneLine),
    MAX_USE_JITTER("max_use_jitter", "an integer >= 0", "0", ServiceAttribute::isCount),
    FDNAME("fdname", "names separated by ':'", null, ServiceAttribute::isFdNames),
    USER("user", "a user name or number", null, ServiceAttribute::isUserOrGroup),
    GROUP("group", "a group name or number", null, ServiceAttribute::isUserOrGroup),
    GROUPS("groups", "a comma-separated list of at most " + ServiceAttribute.MAX_GROUPS + " group names or numbers",
            null, ServiceAttribute::isGroupList),
    CHROOT("chroot", "an absolute path", null, ServiceAttribute::isAbsolutePath),
    UMASK("umask", "an octal mask such as 022 or 0022", null, v -> v.matches("[0-7]{1,4}") && Integer.parseInt(v, 8) <= 0777),
    NICE("nice", "an integer from -20 to 19", null, ServiceAttribute::isNice),
    RLIMIT_NOFILE("rlimit_nofile", "an integer >= 0 or infinity", null, v -> Limit.parse(v, false).isPresent()),
    RLIMIT_NPROC("rlimit_nproc", "an integer >= 0 or infinity", null, v -> Limit.parse(v, false).isPresent()),
    RLIMIT_AS("rlimit_as", "an integer >= 0 with optional k, m or g, or infinity", null,
            v -> Limit.parse(v, true).isPresent()),
    RLIMIT_CORE("rlimit_core", "an integer >= 0 with optional k, m or g, or infinity", null,
            v -> Limit.parse(v, true).isPresent()),
    ENV("env", "NAME=value, or several separated by whitespace inside { }", null, ServiceAttribute::isEnv),
    CWD("cwd", "an absolute path", null, ServiceAttribute::isAbsolutePath),
    STDERR("stderr", "log, null or inherit", null, v -> v.matches("log|null|inherit"));

    /** The most supplementary groups {@code -M groups} may list (the exec step refuses more). */
    public static final int MAX_GROUPS = 1024;
    private static final Map<String, ServiceAttribute> BY_NAME = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(ServiceAttribute::attributeName, Function.identity()));
    private static final Pattern USER_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*\\$?|[0-9]{1,10}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final String attributeName;
    private final String syntax;
    private final String defaultValue;
    private final Predicate<String> check;

    ServiceAttribute(String attributeName, String syntax, String defaultValue, Predicate<String> check) {
        this.attributeName = attributeName;
        this.syntax = syntax;
        this.defaultValue = defaultValue;
        this.check = check;
    }

    /** The name as written after {@code -M}. */
    public String attributeName() {
        return attributeName;
    }

    /** The accepted syntax, in words (used in error messages). */
    public String syntax() {
        return syntax;
    }

    /** The value in effect when the attribute is not given, or empty when it has none. */
    public Optional<String> defaultValue() {
        return Optional.ofNullable(defaultValue);
    }

    /** Whether {@code value} is syntactically valid for this attribute. */
    public boolean accepts(String value) {
        return check.test(value);
    }

    /** The attribute called {@code name}. */
    public static Optional<ServiceAttribute> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** A rate {@code count/period}: at most {@code count} events per {@code periodSeconds}. */
    public record Rate(int count, long periodSeconds) {
        /** Parses {@code N/S} with positive integers; {@code S} may end in {@code s}, {@code m} or {@code h}. */
        public static Optional<Rate> parse(String text) {
            int slash = text.indexOf('/');
            if (slash < 0) {
                return Optional.empty();
            }
            var count = Values.digitsToInt(text.substring(0, slash));
            String period = text.substring(slash + 1);
            if (period.endsWith("d") || period.endsWith("w")) {
                return Optional.empty();
            }
            var seconds = Values.parseTime(period, 's');
            if (count.isEmpty() || count.getAsInt() <= 0 || seconds.isEmpty() || seconds.getAsLong() <= 0) {
                return Optional.empty();
            }
            return Optional.of(new Rate(count.getAsInt(), seconds.getAsLong()));
        }
    }

    /** A resource limit: a number, or {@link #INFINITY}. */
    public static final class Limit {
        /** The value that means {@code infinity} (RLIM_INFINITY). */
        public static final long INFINITY = -1;

        private Limit() {}

        /** Parses {@code infinity} or digits, with a k/m/g (powers of 1024) suffix when {@code sized}. */
        public static Optional<Long> parse(String text, boolean sized) {
            if (text.equals("infinity")) {
                return Optional.of(INFINITY);
            }
            long factor = 1;
            String digits = text;
            if (sized && !text.isEmpty()) {
                char last = Character.toLowerCase(text.charAt(text.length() - 1));
                factor = last == 'k' ? 1L << 10 : last == 'm' ? 1L << 20 : last == 'g' ? 1L << 30 : 1;
                if (factor != 1) {
                    digits = text.substring(0, text.length() - 1);
                }
            }
            if (!Values.isDigits(digits) || digits.length() > 18) {
                return Optional.empty();
            }
            try {
                return Optional.of(Math.multiplyExact(Long.parseLong(digits), factor));
            } catch (ArithmeticException e) {
                return Optional.empty();
            }
        }
    }

    private static boolean isCount(String v) {
        return Values.digitsToInt(v).isPresent();
    }

    private static boolean isNice(String v) {
        var n = Values.parseInt(v);
        return n.isPresent() && n.getAsInt() >= -20 && n.getAsInt() <= 19;
    }

    private static boolean isSourcePrefix(String v) {
        int slash = v.indexOf('/');
        if (slash < 0) {
            return false;
        }
        var v4 = Values.digitsToInt(v.substring(0, slash));
        var v6 = Values.digitsToInt(v.substring(slash + 1));
        return v4.isPresent() && v6.isPresent() && v4.getAsInt() <= 32 && v6.getAsInt() <= 128;
    }

    private static boolean isAddressList(String v) {
        Tokens t = new Tokens(v, Tokens.COMMA_BLANKS);
        int n = 0;
        for (String item = t.next(); item != null; item = t.next(), n++) {
            int slash = item.indexOf('/');
            String addr = slash < 0 ? item : item.substring(0, slash);
            byte[] bytes = HostSyntax.parseAddress(addr);
            if (bytes == null) {
                return false;
            }
            if (slash >= 0) {
                var bits = Values.digitsToInt(item.substring(slash + 1));
                if (bits.isEmpty() || bits.getAsInt() > bytes.length * 8) {
                    return false;
                }
            }
        }
        return n > 0;
    }

    private static boolean isOneLine(String v) {
        return v.indexOf('\r') < 0 && v.indexOf('\n') < 0;
    }

    private static boolean isFdNames(String v) {
        for (String name : v.split(":", -1)) {
            if (name.isEmpty() || name.length() > 255) {
                return false;
            }
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (c <= ' ' || c >= 0x7f) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean isUserOrGroup(String v) {
        return USER_NAME.matcher(v).matches() && (!Values.isDigits(v) || Values.digitsToInt(v).isPresent());
    }

    private static boolean isGroupList(String v) {
        String[] items = v.split(",", -1);
        if (items.length > MAX_GROUPS) {
            return false;
        }
        for (String item : items) {
            if (!isUserOrGroup(Tokens.trim(item))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAbsolutePath(String v) {
        return v.startsWith("/") && v.indexOf('\0') < 0;
    }

    private static boolean isEnv(String v) {
        Tokens t = new Tokens(v, Tokens.BLANKS);
        int n = 0;
        for (String item = t.next(); item != null; item = t.next(), n++) {
            int eq = item.indexOf('=');
            if (eq < 0 || !ENV_NAME.matcher(item.substring(0, eq)).matches()) {
                return false;
            }
        }
        return n > 0;
    }
}
