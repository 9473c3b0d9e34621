package org.jmaster.conf;

import java.util.Optional;

/** A master.cf transport type (field 2), with the exact name passed to the child as {@code -t}. */
public enum ServiceType {
    INET("inet"),
    UNIX("unix"),
    UNIX_DGRAM("unix-dgram"),
    FIFO("fifo"),
    PASS("pass");

    private final String wireName;

    ServiceType(String wireName) {
        this.wireName = wireName;
    }

    /** The name as written in master.cf and passed as {@code -t}. */
    public String wireName() {
        return wireName;
    }

    /** The type named exactly (case-sensitively) {@code name}. */
    public static Optional<ServiceType> fromWire(String name) {
        for (ServiceType t : values()) {
            if (t.wireName.equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** Whether a service of this type is reachable only from this host (unix, unix-dgram, fifo). */
    public boolean alwaysLocal() {
        return this == UNIX || this == UNIX_DGRAM || this == FIFO;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
