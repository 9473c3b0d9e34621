package org.jmaster.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The multi-server skeleton (Postfix's {@code multi_server}): one thread, many connections. Each
 * round of the {@link ServerLoop} also waits on every client. A readable client is one request:
 * TAKEN, the service's handler, AVAIL. {@code max_use} counts connections; the idle timer runs
 * only while no client is connected. When the master closes the status channel the process
 * finishes the request at hand, closes its clients and leaves, as Postfix's do. Transports:
 * {@code inet}, {@code unix}, {@code pass}.
 */
public final class MultiServer {
    private static final Logger log = LoggerFactory.getLogger(MultiServer.class);
    private static final Set<String> TRANSPORTS = Set.of("inet", "unix", "pass");

    private record Open(Client client, MultiService.Connection connection) {}

    private final ServerRuntime rt;
    private final MultiService service;
    private final ServerLoop loop;
    private final Map<Integer, Open> clients = new LinkedHashMap<>();
    private final List<Open> ready = new ArrayList<>();

    private MultiServer(ServerRuntime rt, MultiService service) {
        this.rt = rt;
        this.service = service;
        this.loop = new ServerLoop(rt, new Clients());
    }

    /** Runs {@code service} as program {@code program} with the master's arguments; never returns. */
    public static void main(String program, String[] args, MultiService service) {
        ServerRuntime.run(program, ServerOptions.MULTI, args, service, TRANSPORTS,
                rt -> serve(rt, service));
    }

    /** Serves as the runtime {@code rt} says until the process must leave. */
    static void serve(ServerRuntime rt, MultiService service) {
        new MultiServer(rt, service).loop();
    }

    private void loop() {
        if (rt.context.options().standalone()) {
            standalone();
        } else {
            loop.run();
        }
    }

    /** The connected clients, as the loop sees them. */
    private final class Clients implements ServerLoop.Skeleton {
        /** Accepts a connection and opens it for the service; no request yet, so no TAKEN. */
        @Override
        public boolean take(int listenFd) {
            int fd = loop.accept(listenFd);
            if (fd < 0) {
                return false;
            }
            Client client = Client.onSocket(fd, rt.stop.fd());
            try {
                clients.put(fd, new Open(client, service.open(client, rt.context)));
                client.flush();
            } catch (IOException e) {
                log.info("{}: {}", client.name(), e.getMessage());
                clients.remove(fd);
                client.close();
            }
            return true;
        }

        @Override
        public boolean watchClients(ReadySet set) {
            boolean buffered = false;
            for (Open o : clients.values()) {
                set.add(o.client().inputFd());
                buffered |= o.client().hasBufferedInput();
            }
            return buffered;
        }

        @Override
        public boolean hasClients() {
            return !clients.isEmpty();
        }

        /** A readable client (or one with input buffered) is one request. */
        @Override
        public boolean serveClients(ReadySet set, int first) {
            ready.clear();
            for (int slot = first; slot < set.size(); slot++) {
                Open o = clients.get(set.fd(slot));
                if (set.ready(slot) || o.client().hasBufferedInput()) {
                    ready.add(o);
                }
            }
            for (Open o : ready) {
                if (!loop.request(() -> request(o))) {
                    break;
                }
            }
            return !ready.isEmpty();
        }

        @Override
        public void closeAll() {
            for (Open o : new ArrayList<>(clients.values())) {
                close(o);
            }
        }
    }

    /** One request of one client: the service's handler; the client is closed when it is done. */
    private void request(Open o) {
        boolean keep;
        try {
            keep = o.connection().onReadable();
            o.client().flush();
        } catch (IOException e) {
            log.info("{}: {}", o.client().name(), e.getMessage());
            keep = false;
        }
        if (!keep) {
            close(o);
        }
    }

    private void close(Open o) {
        clients.remove(o.client().inputFd());
        try {
            o.connection().onClose();
        } finally {
            o.client().close();
        }
    }

    /** {@code -S}: standard input and output as the one client, until it ends. */
    private void standalone() {
        Client client = new Client(0, 1, rt.stop.fd(), null);
        try {
            MultiService.Connection c = service.open(client, rt.context);
            client.flush();
            ReadySet one = new ReadySet();
            boolean keep = true;
            while (keep) {
                one.clear();
                one.add(0);
                int stop = one.add(rt.stop.fd());
                one.poll(-1);
                if (one.ready(stop)) {
                    break;
                }
                keep = c.onReadable();
                client.flush();
            }
            c.onClose();
        } catch (IOException e) {
            log.info("{}: {}", client.name(), e.getMessage());
        } finally {
            client.close();
        }
    }
}
