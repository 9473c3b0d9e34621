package org.jmaster.server;

import java.io.IOException;

/**
 * A service on the single-server skeleton ({@link SingleServer}): one client at a time per
 * process, as Postfix's {@code smtpd} runs. The process reports itself busy from the accept until
 * {@link #serve} returns.
 */
public interface SingleService extends ServiceHooks {
    /**
     * Handles one client from its first byte to its end; the runtime closes the connection
     * afterwards. An {@link IOException} (the client went away, a timeout, a stop request) ends
     * this client only: it is logged and the process goes on with the next one.
     */
    void serve(Client client, ServerContext context) throws IOException;
}
