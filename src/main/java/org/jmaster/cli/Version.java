package org.jmaster.cli;

/** jmaster's version, reported by {@code --version} and in the start-up and reload log lines. */
public final class Version {
    public static final String VERSION = "0.1.0";

    private Version() {}
}
