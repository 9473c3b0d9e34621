package org.jmaster.server;

import java.io.IOException;
import java.util.Set;
import org.jmaster.nativ.NativeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-server skeleton (Postfix's {@code single_server}): one client at a time. Between
 * clients the process waits for the accept lock, then on the shared listeners, its status
 * channel, the stop pipe and its idle timer; it accepts, lets the next sibling have the lock,
 * reports TAKEN, serves, reports AVAIL. It leaves (status 0) when the master closes the status
 * channel, after {@code max_use} clients, after {@code max_idle} idle seconds or once {@code -r}
 * has passed; a stop request ends it at once, after the current client has been told.
 * Transports: {@code inet}, {@code unix}, {@code pass}; {@code -S} serves standard input and
 * output once, without a master.
 */
public final class SingleServer {
    private static final Logger log = LoggerFactory.getLogger(SingleServer.class);
    private static final Set<String> TRANSPORTS = Set.of("inet", "unix", "pass");

    private final ServerRuntime rt;
    private final SingleService service;
    private final ReadySet set = new ReadySet();

    private SingleServer(ServerRuntime rt, SingleService service) {
        this.rt = rt;
        this.service = service;
    }

    /** Runs {@code service} as program {@code program} with the master's arguments; never returns. */
    public static void main(String program, String[] args, SingleService service) {
        ServerRuntime.run(program, ServerOptions.SINGLE, args, service, TRANSPORTS,
                rt -> new SingleServer(rt, service).loop());
    }

    private void loop() {
        if (rt.context.options().standalone()) {
            serve(new Client(0, 1, rt.stop.fd(), null));
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
            boolean served = false;
            for (int slot = first; slot < set.size() && !served; slot++) {
                if (set.ready(slot)) {
                    served = takeClient(set.fd(slot));
                }
            }
            if (served) {
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
        log.debug("{} -- exiting", rt.lifetime.retired() ? "retirement time reached" : "use limit reached");
    }

    /** Accepts from one listener and serves the client; false when a sibling was faster. */
    private boolean takeClient(int listenFd) {
        int fd;
        try {
            fd = rt.listeners.acceptClient(listenFd);
        } catch (NativeException e) {
            log.warn("accept connection: {}", e.strerror());
            return false;
        }
        if (fd < 0) {
            return false;
        }
        rt.lock.release();
        rt.status.taken();
        rt.lifetime.used();
        serve(Client.onSocket(fd, rt.stop.fd()));
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
