package org.jmaster.conf;

import java.util.Objects;

/**
 * A service's identity (protocol doc §1.3): canonical name and type. Two master.cf entries with
 * the same key are the same service (duplicates; reload matching).
 */
public record ServiceKey(String name, ServiceType type) {

    public ServiceKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
    }

    @Override
    public String toString() {
        return name + "/" + type.wireName();
    }
}
