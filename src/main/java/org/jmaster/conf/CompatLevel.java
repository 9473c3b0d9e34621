package org.jmaster.conf;

/**
 * A Postfix compatibility level ({@code major[.minor[.patch]]}, e.g. {@code 0}, {@code 2},
 * {@code 3.6}), comparable component by component.
 */
record CompatLevel(long major, long minor, long patch) implements Comparable<CompatLevel> {

    /** Parses a level, or returns null when the text is not one. */
    static CompatLevel parse(String text) {
        String[] parts = text.trim().split("\\.", -1);
        if (parts.length > 3) {
            return null;
        }
        long[] v = new long[3];
        for (int i = 0; i < parts.length; i++) {
            if (!Values.isDigits(parts[i]) || parts[i].length() > 9) {
                return null;
            }
            v[i] = Long.parseLong(parts[i]);
        }
        return new CompatLevel(v[0], v[1], v[2]);
    }

    @Override
    public int compareTo(CompatLevel o) {
        int c = Long.compare(major, o.major);
        if (c == 0) {
            c = Long.compare(minor, o.minor);
        }
        if (c == 0) {
            c = Long.compare(patch, o.patch);
        }
        return c;
    }
}
