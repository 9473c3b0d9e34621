package org.jmaster.server;

import java.io.IOException;

/**
 * The process was told to stop (SIGTERM, from the master's shutdown or the removal of the
 * service) while it waited for a client. The service may say goodbye (an SMTP server answers
 * {@code 421}); the runtime then ends the process.
 */
public final class StopRequestedException extends IOException {
    private static final long serialVersionUID = 1L;

    public StopRequestedException() {
        super("stop requested");
    }
}
