package org.jmaster.server;

import java.util.Map;

/**
 * What a Java service tells the runtime besides its request handling; every method is optional.
 * The runtime calls them in this order: {@link #parameterDefaults()} (while it reads main.cf),
 * {@link #preJailInit} (as the user the master runs as, usually root), then it chroots ({@code -c})
 * and drops privileges ({@code -u}), then {@link #postJailInit}, then the first request.
 */
public interface ServiceHooks {
    /**
     * Built-in defaults of the service's own main.cf parameters, as raw values ({@code $name}
     * expansion applies when read). main.cf and {@code -o} override them.
     */
    default Map<String, String> parameterDefaults() {
        return Map.of();
    }

    /**
     * True for a service that must keep the master's identity (Postfix's
     * {@code MAIL_SERVER_PRIVILEGED}): it then refuses {@code -u}. Every other service refuses to run
     * as root without {@code -u}.
     */
    default boolean runsAsRoot() {
        return false;
    }

    /** Before chroot and privilege drop: create or open what needs the master's privileges. */
    default void preJailInit(ServerContext context) throws Exception {}

    /** After chroot and privilege drop, before the first request. */
    default void postJailInit(ServerContext context) throws Exception {}
}
