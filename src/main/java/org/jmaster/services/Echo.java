package org.jmaster.services;

import java.io.IOException;
import org.jmaster.server.Client;
import org.jmaster.server.MultiServer;
import org.jmaster.server.MultiService;
import org.jmaster.server.ServerContext;

/**
 * {@code echo}: sends back whatever a client sends (the Echo Protocol of RFC 862), on the
 * multi-server skeleton, so one process serves many connections; each burst of input is one
 * request. Useful to try the master with {@code nc} and as a test service.
 */
public final class Echo implements MultiService {
    public static void main(String[] args) {
        MultiServer.main("echo", args, new Echo());
    }

    @Override
    public Connection open(Client client, ServerContext context) {
        byte[] buf = new byte[8192];
        client.setWriteTimeout(10_000);
        return () -> {
            int n = client.readAvailable(buf, 0, buf.length);
            if (n < 0) {
                return false;
            }
            client.write(buf, 0, n);
            return true;
        };
    }
}
