package org.jmaster.conf;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A configuration could not be read or validated. Holds every error found, not only the first;
 * {@link #getMessage()} is their printed forms, one per line.
 */
public final class ConfigException extends Exception {

    private final List<ConfigError> errors;

    public ConfigException(List<ConfigError> errors) {
        super(join(errors));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one error");
        }
        this.errors = List.copyOf(errors);
    }

    public ConfigException(ConfigError error) {
        this(List.of(error));
    }

    /** The errors in the order they were found (file order). Never empty. */
    public List<ConfigError> errors() {
        return errors;
    }

    private static String join(List<ConfigError> errors) {
        return errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n"));
    }
}
