package org.jmaster.conf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The validated {@code -M} attributes of one master.cf entry: name to value (outer braces of a
 * value removed), in the order written. Immutable. Typed accessors parse values that
 * {@link ServiceAttribute} has already checked, so they do not fail for valid names.
 */
public final class ServiceAttributes {

    /** No attributes. */
    public static final ServiceAttributes EMPTY = new ServiceAttributes(Map.of());

    private final Map<String, String> values;

    private ServiceAttributes(Map<String, String> values) {
        this.values = values;
    }

    /** The value given for {@code name}, if any (defaults are not filled in). */
    public Optional<String> get(String name) {
        return Optional.ofNullable(values.get(name));
    }

    /** The value given for {@code attribute}, else its default, if it has one. */
    public Optional<String> valueOrDefault(ServiceAttribute attribute) {
        String v = values.get(attribute.attributeName());
        return v != null ? Optional.of(v) : attribute.defaultValue();
    }

    /** Every attribute given, in the order written. */
    public Map<String, String> asMap() {
        return values;
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** An integer attribute ({@code prefork}, {@code max_spare}, {@code nice}, ...), if given. */
    public OptionalInt getInt(String name) {
        String v = values.get(name);
        return v == null ? OptionalInt.empty() : Values.parseInt(v);
    }

    /** {@code rate} or {@code source_rate}, if given. */
    public Optional<ServiceAttribute.Rate> getRate(String name) {
        return get(name).flatMap(ServiceAttribute.Rate::parse);
    }

    /** An {@code rlimit_*} attribute in its unit (bytes for as/core), {@link ServiceAttribute.Limit#INFINITY}, if given. */
    public Optional<Long> getLimit(String name) {
        boolean sized = name.equals("rlimit_as") || name.equals("rlimit_core");
        return get(name).flatMap(v -> ServiceAttribute.Limit.parse(v, sized));
    }

    /** {@code umask} as a number, if given. */
    public OptionalInt umask() {
        return get("umask").map(v -> OptionalInt.of(Integer.parseInt(v, 8))).orElse(OptionalInt.empty());
    }

    /** The elements of a list attribute ({@code groups}, {@code source_exempt}, {@code fdname}). */
    public List<String> getList(String name) {
        String v = values.get(name);
        if (v == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        Tokens t = new Tokens(v, name.equals("fdname") ? ":" : Tokens.COMMA_BLANKS);
        for (String item = t.next(); item != null; item = t.next()) {
            out.add(item);
        }
        return List.copyOf(out);
    }

    /** {@code env}: the variables to add, in the order written. */
    public Map<String, String> env() {
        String v = values.get("env");
        if (v == null) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        Tokens t = new Tokens(v, Tokens.BLANKS);
        for (String item = t.next(); item != null; item = t.next()) {
            int eq = item.indexOf('=');
            out.put(item.substring(0, eq), item.substring(eq + 1));
        }
        return Collections.unmodifiableMap(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ServiceAttributes && ((ServiceAttributes) o).values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }

    /** Collects {@code -M} pairs of one entry, checking each. */
    static final class Builder {
        private final Map<String, String> values = new LinkedHashMap<>();

        /**
         * Adds the text that followed {@code -M} (already brace-stripped if it was a group);
         * returns an error text, or null when accepted.
         */
        String add(String pair) {
            NameValue.Parsed p = NameValue.split(pair);
            if (p.error() != null) {
                return p.error() + ": \"" + pair + "\"";
            }
            String name = p.pair().name();
            String value = p.pair().value();
            Optional<ServiceAttribute> attribute = ServiceAttribute.byName(name);
            if (attribute.isEmpty()) {
                return "unknown service attribute: \"" + name + "\"";
            }
            if (values.containsKey(name)) {
                return "duplicate service attribute: \"" + name + "\"";
            }
            if (value.startsWith("{")) {
                Tokens.Stripped s = Tokens.stripBraces(value);
                if (s.error() != null) {
                    return "attribute \"" + name + "\": " + s.error();
                }
                value = s.value();
            }
            if (!attribute.get().accepts(value)) {
                return "attribute \"" + name + "\": bad value: \"" + value + "\" (expected "
                        + attribute.get().syntax() + ")";
            }
            values.put(name, value);
            return null;
        }

        ServiceAttributes build() {
            return values.isEmpty() ? EMPTY : new ServiceAttributes(Collections.unmodifiableMap(new LinkedHashMap<>(values)));
        }
    }
}
