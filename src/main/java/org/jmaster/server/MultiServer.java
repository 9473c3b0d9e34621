package org.jmaster.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jmaster.nativ.NativeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The multi-server skeleton (Postfix's {@code multi_server}): one thread, many connections. Each
 * round waits on the status channel, the stop pipe, the accept lock or the listeners (while the
 * process may take more connections), and every client. A readable client is one request: TAKEN,
 * the service's handler, AVAIL. {@code max_use} counts connections; the idle timer runs only while
 * no client is connected. When the master closes the status channel the process finishes the
 * request at hand, closes its clients and leaves, as Postfix's do. Transports: {@code inet},
 * {@code unix}, {@code pass}.
 */
public final class MultiServer {
    private static final Logger log = LoggerFactory.getLogger(MultiServer.class);
    private static final Set<String> TRANSPORTS = Set.of("inet", "unix", "pass");

    private record Open(Client client, MultiService.Connection connection) {}

    private final ServerRuntime rt;
    private final MultiService service;
    private final ReadySet set = new ReadySet();
    private final Map<Integer, Open> clients = new LinkedHashMap<>();

    private MultiServer(ServerRuntime rt, MultiService service) {
        this.rt = rt;
        this.service = service;
    }

    /** Runs {@code service} as program {@code program} with the master's arguments; never returns. */
    public static void main(String program, String[] args, MultiService service) {
        ServerRuntime.run(program, ServerOptions.MULTI, args, service, TRANSPORTS,
                rt -> new MultiServer(rt, service).loop());
    }

    private void loop() {
        if (rt.context.options().standalone()) {
            standalone();
            return;
        }
        List<Open> ready = new ArrayList<>();
        for (;;) {
            boolean accepting = rt.lifetime.mayTakeMore();
            if (!accepting && clients.isEmpty()) {
                log.debug("use limit reached -- exiting");
                return;
            }
            if (accepting) {
                rt.lock.request();
            }
            set.clear();
            int status = set.add(MasterStatus.FD);
            int stop = set.add(rt.stop.fd());
            int lock = set.add(rt.lock.readyFd());
            int firstListener = set.size();
            if (accepting && rt.lock.held()) {
                for (int i = 0; i < rt.listeners.count(); i++) {
                    set.add(rt.listeners.fd(i));
                }
            }
            int firstClient = set.size();
            boolean buffered = false;
            for (Open o : clients.values()) {
                set.add(o.client().inputFd());
                buffered |= o.client().hasBufferedInput();
            }
            // input a handler left in a client's buffer is ready now, whatever poll says about the socket
            set.poll(buffered ? 0 : clients.isEmpty() ? rt.lifetime.waitMillis() : -1);
            if (set.ready(stop)) {
                closeAll();
                rt.stopNow();
            }
            if (set.ready(status) && rt.status.closedByMaster()) {
                log.debug("master disconnect -- exiting");
                closeAll();
                return;
            }
            if (set.ready(lock)) {
                rt.lock.onReady();
            }
            for (int slot = firstListener; slot < firstClient; slot++) {
                if (set.ready(slot)) {
                    accept(set.fd(slot));
                }
            }
            ready.clear();
            for (int slot = firstClient; slot < set.size(); slot++) {
                Open o = clients.get(set.fd(slot));
                if (set.ready(slot) || o.client().hasBufferedInput()) {
                    ready.add(o);
                }
            }
            for (Open o : ready) {
                if (!request(o)) {
                    closeAll();
                    log.debug("master disconnect -- exiting");
                    return;
                }
            }
            if (clients.isEmpty() && !ready.isEmpty()) {
                rt.lifetime.idleFromNow();
            }
            if (clients.isEmpty() && rt.lifetime.idleExpired()) {
                log.debug("idle timeout -- exiting");
                return;
            }
        }
    }

    private void accept(int listenFd) {
        if (!rt.lifetime.mayTakeMore()) {
            return;
        }
        int fd;
        try {
            fd = rt.listeners.acceptClient(listenFd);
        } catch (NativeException e) {
            log.warn("accept connection: {}", e.strerror());
            return;
        }
        if (fd < 0) {
            return;
        }
        rt.lock.release();
        rt.lifetime.used();
        Client client = Client.onSocket(fd, rt.stop.fd());
        try {
            clients.put(fd, new Open(client, service.open(client, rt.context)));
            client.flush();
        } catch (IOException e) {
            log.info("{}: {}", client.name(), e.getMessage());
            clients.remove(fd);
            client.close();
        }
    }

    /** One request of one client; false when the master is gone and the process must leave. */
    private boolean request(Open o) {
        rt.status.taken();
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
        return rt.status.avail();
    }

    private void close(Open o) {
        clients.remove(o.client().inputFd());
        try {
            o.connection().onClose();
        } finally {
            o.client().close();
        }
    }

    private void closeAll() {
        for (Open o : new ArrayList<>(clients.values())) {
            close(o);
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
