package org.jmaster.server;

import java.io.IOException;
import java.util.Arrays;
import java.util.Set;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Posix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trigger skeleton (Postfix's {@code trigger_server}): waits like {@link SingleServer}, and
 * takes one request at a time: up to 1024 bytes read from the fifo, or from a connection on a
 * {@code unix} or {@code inet} listener (closed right after; the master's wakeup waits for that),
 * or from a descriptor passed over a {@code pass} listener. TAKEN, the service's
 * {@link TriggerService#wakeup}, AVAIL. Leaves as a single server does.
 */
public final class TriggerServer {
    private static final Logger log = LoggerFactory.getLogger(TriggerServer.class);
    private static final Set<String> TRANSPORTS = Set.of("fifo", "unix", "inet", "pass");
    private static final int REQUEST_MAX = 1024;
    /** How long a connected trigger client may take to send its request. */
    private static final int READ_TIMEOUT_MS = 10_000;

    private final ServerRuntime rt;
    private final TriggerService service;
    private final ReadySet set = new ReadySet();
    private final byte[] buf = new byte[REQUEST_MAX];

    private TriggerServer(ServerRuntime rt, TriggerService service) {
        this.rt = rt;
        this.service = service;
    }

    /** Runs {@code service} as program {@code program} with the master's arguments; never returns. */
    public static void main(String program, String[] args, TriggerService service) {
        ServerRuntime.run(program, ServerOptions.TRIGGER, args, service, TRANSPORTS,
                rt -> new TriggerServer(rt, service).loop());
    }

    private void loop() {
        if (rt.context.options().standalone()) {
            int n = readFrom(0);
            wakeup(n < 0 ? new byte[0] : Arrays.copyOf(buf, n));
            return;
        }
        while (rt.lifetime.mayTakeMore()) {
            rt.lock.request();
            set.clear();
            int status = set.add(MasterStatus.FD);
            int stop = set.add(rt.stop.fd());
            int lock = set.add(rt.lock.readyFd());
            int first = set.size();
            if (rt.lock.held()) {
                for (int i = 0; i < rt.listeners.count(); i++) {
                    set.add(rt.listeners.fd(i));
                }
            }
            set.poll(rt.lifetime.waitMillis());
            if (set.ready(stop)) {
                rt.stopNow();
            }
            if (set.ready(status) && rt.status.closedByMaster()) {
                log.debug("master disconnect -- exiting");
                return;
            }
            if (set.ready(lock)) {
                rt.lock.onReady();
                continue;
            }
            byte[] request = null;
            for (int slot = first; slot < set.size() && request == null; slot++) {
                if (set.ready(slot)) {
                    request = take(set.fd(slot));
                }
            }
            if (request != null) {
                rt.lock.release();
                rt.status.taken();
                rt.lifetime.used();
                wakeup(request);
                if (rt.stop.requested()) {
                    rt.stopNow();
                }
                if (!rt.status.avail()) {
                    log.debug("master disconnect -- exiting");
                    return;
                }
                rt.lifetime.idleFromNow();
            } else if (rt.lifetime.idleExpired()) {
                log.debug("idle timeout -- exiting");
                return;
            }
        }
        log.debug("use limit reached -- exiting");
    }

    /** The request waiting at {@code listenFd}, or null when there is none (a sibling took it). */
    private byte[] take(int listenFd) {
        if (rt.listeners.transport().equals("fifo")) {
            int n = readFrom(listenFd);
            return n > 0 ? Arrays.copyOf(buf, n) : null;
        }
        int fd;
        try {
            fd = rt.listeners.acceptClient(listenFd);
        } catch (NativeException e) {
            log.warn("accept connection: {}", e.strerror());
            return null;
        }
        if (fd < 0) {
            return null;
        }
        try {
            int n = Posix.waitReadable(fd, READ_TIMEOUT_MS) ? readFrom(fd) : 0;
            return n > 0 ? Arrays.copyOf(buf, n) : new byte[0];
        } finally {
            Posix.closeQuietly(fd);
        }
    }

    /** One read into {@code buf}: the count, or -1 when nothing was there. */
    private int readFrom(int fd) {
        try {
            return Posix.read(fd, buf, 0, buf.length);
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
