package org.jmaster.conf;

import java.util.Optional;

/**
 * How a service's children talk to the master ({@code -M protocol=}): Postfix's (status channel,
 * shared listeners at fd 6), inetd's (one child per accepted connection on fds 0 and 1) or systemd's
 * socket activation (one instance owns every listener from fd 3, with {@code LISTEN_FDS}).
 */
public enum Protocol {
    POSTFIX("postfix"),
    INETD("inetd"),
    SYSTEMD("systemd");

    private final String wireName;

    Protocol(String wireName) {
        this.wireName = wireName;
    }

    /** The name as written after {@code -M protocol=}, in status output and logs. */
    public String wireName() {
        return wireName;
    }

    /** The protocol called {@code name}, if any. */
    public static Optional<Protocol> byName(String name) {
        for (Protocol p : values()) {
            if (p.wireName.equals(name)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
