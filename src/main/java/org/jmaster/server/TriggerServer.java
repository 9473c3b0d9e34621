package org.jmaster.server;

import java.io.IOException;
import java.util.Arrays;
import java.util.Set;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.PollSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trigger skeleton (Postfix's {@code trigger_server}): waits in the {@link ServerLoop} as a
 * single server does, and takes one request at a time: up to 1024 bytes read from the fifo, or
 * from a connection on a {@code unix} or {@code inet} listener (accepted, the lock let go, read,
 * closed; the master's wakeup waits for that close), or from a descriptor passed over a {@code pass}
 * listener. TAKEN, the service's {@link TriggerService#wakeup}, AVAIL. Leaves as a single server does.
 */
public final class TriggerServer {
    private static final Logger log = LoggerFactory.getLogger(TriggerServer.class);
    private static final Set<String> TRANSPORTS = Set.of("fifo", "unix", "inet", "pass");
    private static final int REQUEST_MAX = 1024;
    /** How long a connected trigger client may take to send its request. */
    private static final int READ_TIMEOUT_MS = 10_000;

    private final ServerRuntime rt;
    private final TriggerService service;
    private final ServerLoop loop;
    private final byte[] buf = new byte[REQUEST_MAX];

    private TriggerServer(ServerRuntime rt, TriggerService service) {
        this.rt = rt;
        this.service = service;
        this.loop = new ServerLoop(rt, this::take);
    }

    /** Runs {@code service} as program {@code program} with the master's arguments; never returns. */
    public static void main(String program, String[] args, TriggerService service) {
        ServerRuntime.run(program, ServerOptions.TRIGGER, args, service, TRANSPORTS,
                rt -> serve(rt, service));
    }

    /** Serves as the runtime {@code rt} says until the process must leave. */
    static void serve(ServerRuntime rt, TriggerService service) {
        new TriggerServer(rt, service).loop();
    }

    private void loop() {
        if (rt.context.options().standalone()) {
            int n = readFrom(0);
            wakeup(n < 0 ? new byte[0] : Arrays.copyOf(buf, n));
        } else {
            loop.run();
        }
    }

    /** Takes the request waiting at {@code listenFd} and serves it; false when there was none (a sibling took it). */
    private boolean take(int listenFd) {
        byte[] request = read(listenFd);
        if (request == null) {
            return false;
        }
        loop.request(() -> wakeup(request));
        return true;
    }

    /** The request waiting at {@code listenFd}, or null when there is none. */
    private byte[] read(int listenFd) {
        if (rt.listeners.transport().equals("fifo")) {
            int n = readFrom(listenFd);
            if (n <= 0) {
                return null;
            }
            loop.took();
            return Arrays.copyOf(buf, n);
        }
        int fd = loop.accept(listenFd);
        if (fd < 0) {
            return null;
        }
        try {
            int n = PollSet.waitReadable(fd, READ_TIMEOUT_MS) ? readFrom(fd) : 0;
            return n > 0 ? Arrays.copyOf(buf, n) : new byte[0];
        } finally {
            Fds.closeQuietly(fd);
        }
    }

    /** One read into {@code buf}: the count, or -1 when nothing was there. */
    private int readFrom(int fd) {
        try {
            return Fds.read(fd, buf, 0, buf.length);
        } catch (NativeException e) {
            log.warn("read request: {}", e.strerror());
            return -1;
        }
    }

    private void wakeup(byte[] request) {
        try {
            service.wakeup(request, rt.context);
        } catch (IOException e) {
            log.warn("{}", e.getMessage());
        }
    }
}
