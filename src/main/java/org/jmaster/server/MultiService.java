package org.jmaster.server;

import java.io.IOException;

/**
 * A service on the multi-server skeleton ({@link MultiServer}): many connections per process,
 * driven by readiness. The process reports itself busy only while one of its connections is
 * handling a request (protocol doc §3.3), so a process with idle open connections still counts as
 * available to the master.
 */
public interface MultiService extends ServiceHooks {
    /** A new client: returns its handler (which may greet the client). Throwing closes the client. */
    Connection open(Client client, ServerContext context) throws IOException;

    /** One client of a multi-server. */
    interface Connection {
        /**
         * The client is readable or has closed: handle what is there without waiting for more
         * ({@link Client#readAvailable}). Return false to close the connection.
         */
        boolean onReadable() throws IOException;

        /** The connection is about to be closed (by the service, the client, or the process leaving). */
        default void onClose() {}
    }
}
