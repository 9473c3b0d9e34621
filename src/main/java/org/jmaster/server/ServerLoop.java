package org.jmaster.server;

import org.jmaster.nativ.NativeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wait every skeleton does between requests, and the protocol around each request, shared by
 * {@link SingleServer}, {@link TriggerServer} and {@link MultiServer}. One round waits on the
 * status channel (the master's end-of-file, protocol doc §3.8), the stop pipe (SIGTERM), the
 * accept lock's grant (§3.12) or, once the lock is held and the process may take more, the shared
 * listeners, and the skeleton's connected clients (multi-server); without clients it waits no
 * longer than the idle timer or the retirement allow (§3.10). A ready listener goes to the
 * skeleton, which takes at most one request or connection from it ({@link #accept}, {@link
 * #took}); a request is TAKEN, the service, AVAIL (§3.3, {@link #request}).
 *
 * <p>{@link #run} returns, and the process leaves with status 0, when the master closes the status
 * channel or an AVAIL finds it gone (the clients are closed first), when {@code max_use} or
 * {@code -r} is reached and no client remains, or after {@code max_idle} seconds without work and
 * without clients. A stop request closes the clients and ends the process by the signal, at once or
 * right after the request at hand. One thread: the skeleton's.
 */
final class ServerLoop {
    private static final Logger log = LoggerFactory.getLogger(ServerLoop.class);

    /** What the loop asks of a skeleton. */
    interface Skeleton {
        /**
         * Takes what waits at a ready listener, if a sibling was not faster: a request, served
         * at once with {@link ServerLoop#request}, or a connection to keep. True when one was taken.
         */
        boolean take(int listenFd);

        /** Adds each connected client's descriptor to {@code set}; true when one has input buffered already. */
        default boolean watchClients(ReadySet set) {
            return false;
        }

        /** True while clients are connected: the process stays, and its idle timer stops. */
        default boolean hasClients() {
            return false;
        }

        /**
         * Serves the clients that have input, watched from slot {@code first} of {@code set}: one
         * request each, until {@link ServerLoop#request} says the master is gone. True when one was served.
         */
        default boolean serveClients(ReadySet set, int first) {
            return false;
        }

        /** Closes every client: the process is about to leave. */
        default void closeAll() {}
    }

    private final ServerRuntime rt;
    private final Skeleton skeleton;
    private final ReadySet set = new ReadySet();
    private boolean masterGone;

    ServerLoop(ServerRuntime rt, Skeleton skeleton) {
        this.rt = rt;
        this.skeleton = skeleton;
    }

    /** Serves until the process must leave (see the class comment). */
    void run() {
        for (;;) {
            boolean accepting = rt.lifetime.mayTakeMore();
            if (!accepting && !skeleton.hasClients()) {
                log.debug("{} -- exiting", rt.lifetime.retired() ? "retirement time reached" : "use limit reached");
                return;
            }
            if (accepting) {
                rt.lock.request();
            }
            set.clear();
            int status = set.add(rt.status.fd());
            int stop = set.add(rt.stop.fd());
            int lock = set.add(rt.lock.readyFd());
            int firstListener = set.size();
            if (accepting && rt.lock.held()) {
                for (int i = 0; i < rt.listeners.count(); i++) {
                    set.add(rt.listeners.fd(i));
                }
            }
            int firstClient = set.size();
            // input a handler left in a client's buffer is ready now, whatever poll says about the socket
            boolean buffered = skeleton.watchClients(set);
            set.poll(buffered ? 0 : skeleton.hasClients() ? -1 : rt.lifetime.waitMillis());
            if (set.ready(stop)) {
                stopNow();
            }
            if (set.ready(status) && rt.status.closedByMaster()) {
                masterGone();
                return;
            }
            if (set.ready(lock)) {
                rt.lock.onReady();
                continue; // wait again, now on the listeners
            }
            boolean worked = false;
            // one take a round: it let the lock go, so the other listeners are a sibling's now
            for (int slot = firstListener; slot < firstClient && !worked; slot++) {
                worked = set.ready(slot) && skeleton.take(set.fd(slot));
            }
            if (!masterGone) {
                worked |= skeleton.serveClients(set, firstClient);
            }
            if (masterGone) {
                masterGone();
                return;
            }
            if (skeleton.hasClients()) {
                continue;
            }
            if (worked) {
                rt.lifetime.idleFromNow();
            } else if (rt.lifetime.idleExpired()) {
                log.debug("idle timeout -- exiting");
                return;
            }
        }
    }

    /**
     * Accepts a connection from listener {@code listenFd} ({@code pass}: the client's descriptor
     * sent over it) and, when there was one, {@link #took} it: the descriptor, or -1 when a sibling
     * was faster or the client left.
     */
    int accept(int listenFd) {
        int fd;
        try {
            fd = rt.listeners.acceptClient(listenFd);
        } catch (NativeException e) {
            log.warn("accept connection: {}", e.strerror());
            return -1;
        }
        if (fd >= 0) {
            took();
        }
        return fd;
    }

    /** A request or connection was taken: the next sibling may watch the listeners; one more use. */
    void took() {
        rt.lock.release();
        rt.lifetime.used();
    }

    /**
     * Serves one request: TAKEN, {@code handler}, AVAIL (§3.3). A stop asked for meanwhile ends
     * the process here, after the handler has told its client. False when the AVAIL found the
     * master gone: the process leaves at the end of the round.
     */
    boolean request(Runnable handler) {
        rt.status.taken();
        handler.run();
        if (rt.stop.requested()) {
            stopNow();
        }
        if (!rt.status.avail()) {
            masterGone = true;
        }
        return !masterGone;
    }

    private void masterGone() {
        log.debug("master disconnect -- exiting");
        skeleton.closeAll();
    }

    private void stopNow() {
        skeleton.closeAll();
        rt.stopNow();
    }
}
