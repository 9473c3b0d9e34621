package org.jmaster.server;

import java.io.IOException;

/**
 * A service on the trigger skeleton ({@link TriggerServer}): woken by short requests on a fifo or
 * a socket, typically the master's wakeup ({@code W}, and a NUL byte on sockets). One request at a
 * time; the process is busy while {@link #wakeup} runs.
 */
public interface TriggerService extends ServiceHooks {
    /** Handles one request: the bytes the trigger carried (at most 1024; may be empty). */
    void wakeup(byte[] request, ServerContext context) throws IOException;
}
