package org.jmaster.server;

/**
 * A condition the process cannot go on with (Postfix's {@code msg_fatal}): the skeleton logs
 * {@code fatal: <message>} and exits with status 1. A child that dies this way before its first
 * request makes the master throttle the service, which is what a broken setting deserves.
 */
public final class ServerFatal extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ServerFatal(String message) {
        super(message);
    }

    public ServerFatal(String message, Throwable cause) {
        super(message, cause);
    }
}
