package org.jmaster.control;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.PollSet;
import org.jmaster.nativ.Sockets;
import org.jmaster.supervisor.EventLoop;
import org.jmaster.supervisor.LogLimit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request/response server on the master's event loop for the control socket and the metrics
 * endpoint: accept, check the peer (privileged endpoints), read one request up to its terminator into
 * a fixed buffer of {@link #MAX_REQUEST} bytes, write one response, close. Every step is non-blocking.
 * Everything is bounded:
 * <ul>
 * <li>at most {@link #MAX_CONNECTIONS} connections at a time; at the cap the listener is not
 *     watched, so further clients wait in the kernel's listen backlog ({@link #BACKLOG}; beyond it
 *     the kernel refuses or delays them) until a connection closes — the master holds no memory or
 *     descriptor for them;
 * <li>a client that sends more than {@link #MAX_REQUEST} bytes without a terminator, or stalls
 *     longer than {@link #TIMEOUT_MS}, is dropped;
 * <li>when accept fails (a full descriptor table: EMFILE, ENFILE) the listener is paused for
 *     {@link #PAUSE_MS} rather than polled again at once;
 * <li>warnings about failed accepts and refused peers are logged at most once per
 *     {@link #LOG_INTERVAL_MS}, with a count of the rest.
 * </ul>
 * Owned by the loop thread.
 */
final class OneShotServer {
    private static final Logger log = LoggerFactory.getLogger("master");
    static final int MAX_REQUEST = 8192;
    static final int MAX_CONNECTIONS = 64;
    /** The listen backlog: room for a cap's worth of clients and more, in the kernel. */
    static final int BACKLOG = 128;
    static final long TIMEOUT_MS = 10_000;
    static final long PAUSE_MS = 100;
    static final long LOG_INTERVAL_MS = 10_000;

    private final EventLoop loop;
    private final String name;
    private final int listenFd;
    private final byte[] terminator;
    private final PeerRule peers;
    private final Function<String, byte[]> handler;
    private Takeover takeover;
    private final Map<Integer, Conn> conns = new HashMap<>();
    private final LogLimit acceptWarnings;
    private final LogLimit refusalWarnings;
    private boolean listening;
    private boolean closed;

    private final class Conn {
        final int fd;
        final byte[] request = new byte[MAX_REQUEST];
        int length;
        byte[] response;
        int written;
        final EventLoop.Timer timeout;

        Conn(int fd) {
            this.fd = fd;
            this.timeout = loop.schedule(TIMEOUT_MS, () -> close(this));
        }
    }

    /**
     * A request whose answer is not one response now (a stream of events, a reply at the end of an
     * upgrade): given the request and the connection, returns true when it took the connection,
     * which from then on is its own (this server forgets it without closing it).
     */
    interface Takeover {
        boolean take(String request, int fd);
    }

    /** Lets {@code t} take connections whose request it wants (before the handler sees them). */
    void takeover(Takeover t) {
        this.takeover = t;
    }

    /**
     * Serves {@code listenFd} as {@code name} (for log lines); {@code peers} null accepts anyone (a
     * loopback TCP endpoint, where the kernel records no credentials).
     */
    OneShotServer(EventLoop loop, String name, int listenFd, String terminator, PeerRule peers,
                  Function<String, byte[]> handler) {
        this.loop = loop;
        this.name = name;
        this.listenFd = listenFd;
        this.terminator = terminator.getBytes(StandardCharsets.US_ASCII);
        this.peers = peers;
        this.handler = handler;
        this.acceptWarnings = new LogLimit(loop, LOG_INTERVAL_MS,
                n -> log.warn("{}: accept failed {} more time(s) in the last {}s", name, n, LOG_INTERVAL_MS / 1000));
        this.refusalWarnings = new LogLimit(loop, LOG_INTERVAL_MS,
                n -> log.warn("{}: refused {} more connection(s) in the last {}s", name, n, LOG_INTERVAL_MS / 1000));
        listen(true);
    }

    private void listen(boolean want) {
        if (want == listening) {
            return;
        }
        listening = want;
        if (want) {
            loop.watchRead(listenFd, (fd, rev) -> accept());
        } else {
            loop.unwatch(listenFd);
        }
    }

    private void accept() {
        while (conns.size() < MAX_CONNECTIONS) {
            int fd;
            try {
                fd = Sockets.accept(listenFd);
            } catch (NativeException e) {
                loop.pause(listenFd, PAUSE_MS);
                if (acceptWarnings.allow()) {
                    log.warn("{}: accept: {}; pausing for {}ms", name, e.strerror(), PAUSE_MS);
                }
                return;
            }
            if (fd < 0) {
                return;
            }
            String refusal = peers == null ? null : peers.refusal(fd);
            if (refusal != null) {
                Fds.closeQuietly(fd);
                if (refusalWarnings.allow()) {
                    log.warn("{}: refused connection: {}", name, refusal);
                }
                continue;
            }
            Conn c = new Conn(fd);
            conns.put(fd, c);
            loop.watchRead(fd, (f, rev) -> readable(c));
        }
        // at the cap: let the backlog hold the rest until a connection closes
        listen(false);
    }

    private void readable(Conn c) {
        int n;
        try {
            n = Fds.readNonBlocking(c.fd, c.request, c.length, c.request.length - c.length);
        } catch (RuntimeException e) {
            // ECONNRESET and the like: the client is gone
            close(c);
            return;
        }
        if (n < 0) {
            return;
        }
        if (n == 0) {
            close(c);
            return;
        }
        int from = Math.max(0, c.length - terminator.length + 1);
        c.length += n;
        int end = indexOf(c.request, c.length, terminator, from);
        if (end < 0) {
            if (c.length == c.request.length) {
                close(c);
            }
            return;
        }
        String request = new String(c.request, 0, end, StandardCharsets.ISO_8859_1);
        if (takeover != null && takenOver(c, request)) {
            return;
        }
        try {
            c.response = handler.apply(request);
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            log.warn("{}: request \"{}\": {}", name, request.strip(), e.toString());
            c.response = ("error: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
        }
        loop.unwatch(c.fd);
        loop.watchWrite(c.fd, (f, rev) -> writable(c, rev));
    }

    /** Offers the connection to the takeover; true when it was taken (and is no longer ours). */
    private boolean takenOver(Conn c, String request) {
        boolean taken;
        // the taker watches the descriptor its own way
        loop.unwatch(c.fd);
        try {
            taken = takeover.take(request.strip(), c.fd);
        } catch (RuntimeException e) {
            log.warn("{}: request \"{}\": {}", name, request.strip(), e.toString());
            taken = false;
        }
        if (!taken) {
            loop.watchRead(c.fd, (f, rev) -> readable(c));
            return false;
        }
        if (conns.remove(c.fd) != null) {
            c.timeout.cancel();
            if (!closed && conns.size() < MAX_CONNECTIONS) {
                listen(true);
            }
        }
        return taken;
    }

    static int indexOf(byte[] buf, int length, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buf[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private void writable(Conn c, int rev) {
        if ((rev & (PollSet.POLLERR | PollSet.POLLHUP)) != 0) {
            close(c);
            return;
        }
        int n;
        try {
            n = Fds.write(c.fd, c.response, c.written, c.response.length - c.written);
        } catch (java.io.IOException e) {
            close(c);
            return;
        }
        if (n > 0) {
            c.written += n;
        }
        if (c.written >= c.response.length) {
            close(c);
        }
    }

    private void close(Conn c) {
        if (conns.remove(c.fd) != null) {
            c.timeout.cancel();
            loop.unwatch(c.fd);
            Fds.closeQuietly(c.fd);
            if (!closed && conns.size() < MAX_CONNECTIONS) {
                listen(true);
            }
        }
    }

    /** Connections open now (for tests). */
    int connections() {
        return conns.size();
    }

    /** The listening descriptor (handed to a new master by an upgrade). */
    int listenFd() {
        return listenFd;
    }

    /** Takes no more connections (an upgrade handed the listener over); those open are still answered. */
    void stopAccepting() {
        if (!closed) {
            closed = true;
            listen(false);
            Fds.closeQuietly(listenFd);
        }
    }

    void close() {
        if (closed) {
            for (Conn c : conns.values().toArray(new Conn[0])) {
                close(c);
            }
            return;
        }
        closed = true;
        for (Conn c : conns.values().toArray(new Conn[0])) {
            close(c);
        }
        listen(false);
        Fds.closeQuietly(listenFd);
    }
}
