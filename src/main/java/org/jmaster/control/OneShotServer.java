package org.jmaster.control;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.jmaster.nativ.Posix;
import org.jmaster.nativ.PollSet;
import org.jmaster.supervisor.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request/response server on the master's event loop for the control socket and the metrics
 * endpoint: accept, read one request up to its terminator, write one response, close. Every step
 * is non-blocking; a client that sends too much or stalls longer than {@link #TIMEOUT_MS} is dropped.
 * Owned by the loop thread.
 */
final class OneShotServer {
    private static final Logger log = LoggerFactory.getLogger("master");
    static final int MAX_REQUEST = 8192;
    static final long TIMEOUT_MS = 10_000;

    private final EventLoop loop;
    private final int listenFd;
    private final String terminator;
    private final Function<String, byte[]> handler;
    private final Map<Integer, Conn> conns = new HashMap<>();

    private final class Conn {
        final int fd;
        final StringBuilder request = new StringBuilder();
        byte[] response;
        int written;
        final EventLoop.Timer timeout;

        Conn(int fd) {
            this.fd = fd;
            this.timeout = loop.schedule(TIMEOUT_MS, () -> close(this));
        }
    }

    OneShotServer(EventLoop loop, int listenFd, String terminator, Function<String, byte[]> handler) {
        this.loop = loop;
        this.listenFd = listenFd;
        this.terminator = terminator;
        this.handler = handler;
        loop.watchRead(listenFd, (fd, rev) -> accept());
    }

    private void accept() {
        int fd;
        while ((fd = acceptOne()) >= 0) {
            Conn c = new Conn(fd);
            conns.put(fd, c);
            loop.watchRead(fd, (f, rev) -> readable(c));
        }
    }

    private int acceptOne() {
        try {
            return Posix.accept(listenFd);
        } catch (java.io.IOException e) {
            log.warn("control: accept: {}", e.getMessage());
            return -1;
        }
    }

    private void readable(Conn c) {
        byte[] buf = new byte[2048];
        int n = Posix.readNonBlocking(c.fd, buf, 0, buf.length);
        if (n < 0) {
            return;
        }
        if (n == 0) {
            close(c);
            return;
        }
        c.request.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        int end = c.request.indexOf(terminator);
        if (end < 0) {
            if (c.request.length() > MAX_REQUEST) {
                close(c);
            }
            return;
        }
        String request = c.request.substring(0, end);
        try {
            c.response = handler.apply(request);
        } catch (RuntimeException e) {
            log.warn("control: request \"{}\": {}", request.strip(), e.toString());
            c.response = ("error: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
        }
        loop.unwatch(c.fd);
        loop.watchWrite(c.fd, (f, rev) -> writable(c, rev));
    }

    private void writable(Conn c, int rev) {
        if ((rev & (PollSet.POLLERR | PollSet.POLLHUP)) != 0) {
            close(c);
            return;
        }
        int n;
        try {
            n = Posix.write(c.fd, c.response, c.written, c.response.length - c.written);
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
            Posix.closeQuietly(c.fd);
        }
    }

    void close() {
        for (Conn c : conns.values().toArray(new Conn[0])) {
            close(c);
        }
        loop.unwatch(listenFd);
        Posix.closeQuietly(listenFd);
    }
}
