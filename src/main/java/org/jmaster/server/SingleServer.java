package org.jmaster.server;

import java.io.IOException;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-server skeleton (Postfix's {@code single_server}): one client at a time. Between
 * clients the process waits in the {@link ServerLoop}; it accepts, lets the next sibling have the
 * lock, reports TAKEN, serves, reports AVAIL. It leaves (status 0) when the master closes the
 * status channel, after {@code max_use} clients, after {@code max_idle} idle seconds or once
 * {@code -r} has passed; a stop request ends it at once, after the current client has been told.
 * Transports: {@code inet}, {@code unix}, {@code pass}; {@code -S} serves standard input and
 * output once, without a master.
 */
public final class SingleServer {
    private static final Logger log = LoggerFactory.getLogger(SingleServer.class);
    private static final Set<String> TRANSPORTS = Set.of("inet", "unix", "pass");

    private final ServerRuntime rt;
    private final SingleService service;
    private final ServerLoop loop;

    private SingleServer(ServerRuntime rt, SingleService service) {
        this.rt = rt;
        this.service = service;
        this.loop = new ServerLoop(rt, this::take);
    }

    /** Runs {@code service} as program {@code program} with the master's arguments; never returns. */
    public static void main(String program, String[] args, SingleService service) {
        ServerRuntime.run(program, ServerOptions.SINGLE, args, service, TRANSPORTS,
                rt -> serve(rt, service));
    }

    /** Serves as the runtime {@code rt} says until the process must leave. */
    static void serve(ServerRuntime rt, SingleService service) {
        new SingleServer(rt, service).loop();
    }

    private void loop() {
        if (rt.context.options().standalone()) {
            serve(new Client(0, 1, rt.stop.fd(), null));
        } else {
            loop.run();
        }
    }

    /** Accepts from one listener and serves the client; false when a sibling was faster. */
    private boolean take(int listenFd) {
        int fd = loop.accept(listenFd);
        if (fd < 0) {
            return false;
        }
        loop.request(() -> serve(Client.onSocket(fd, rt.stop.fd())));
        return true;
    }

    private void serve(Client client) {
        try {
            service.serve(client, rt.context);
            client.flush();
        } catch (StopRequestedException e) {
            log.debug("{}: stop requested", client.name());
        } catch (IOException e) {
            log.info("{}: {}", client.name(), e.getMessage());
        } finally {
            client.close();
        }
    }
}
