package org.jmaster.server;

import java.io.IOException;

/** A client sent nothing, or took nothing, for longer than the service allows. */
public final class ClientTimeoutException extends IOException {
    private static final long serialVersionUID = 1L;

    public ClientTimeoutException(String message) {
        super(message);
    }
}
