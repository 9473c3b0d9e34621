package org.jmaster.services;

import java.io.IOException;
import java.util.Map;
import org.jmaster.server.Client;
import org.jmaster.server.ServerContext;
import org.jmaster.server.SingleServer;
import org.jmaster.server.SingleService;

/** hello: asks for a name, greets it, and hangs up. */
public final class Hello implements SingleService {
    private String greeting;

    public static void main(String[] args) {
        SingleServer.main("hello", args, new Hello());
    }

    @Override
    public Map<String, String> parameterDefaults() {
        return Map.of("hello_greeting", "Hello from $myhostname");
    }

    @Override
    public void postJailInit(ServerContext ctx) {
        greeting = ctx.parameter("hello_greeting");
    }

    @Override
    public void serve(Client client, ServerContext ctx) throws IOException {
        client.write("Your name?\r\n");
        Client.Line name = client.readLine(100, 30_000);
        if (name != null && name.complete()) {
            client.write(greeting + ", " + name.text().strip() + "!\r\n");
        }
    }
}
