package org.jmaster.control;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.jmaster.nativ.Fds;
import org.jmaster.supervisor.EventLoop;

/**
 * A control connection whose one answer comes later (at the end of an upgrade, or of a canary
 * reload's window): {@link #send} writes it without blocking and closes the connection once it is
 * out. At most {@link #MAX_WAITING} connections wait at once; a connection whose client went away
 * meanwhile costs one descriptor until its answer. Owned by the loop thread.
 */
final class LateReply {
    static final int MAX_WAITING = 32;
    private static final Set<LateReply> waiting = new HashSet<>();

    private final EventLoop loop;
    private final int fd;
    private byte[] reply;
    private int written;
    private boolean done;

    private LateReply(EventLoop loop, int fd) {
        this.loop = loop;
        this.fd = fd;
    }

    /** A connection that waits for its answer; null (and the connection answered with an error) when too many wait. */
    static LateReply hold(EventLoop loop, int fd) {
        if (waiting.size() >= MAX_WAITING) {
            send(loop, fd, "error: " + MAX_WAITING + " control requests are waiting already\n");
            return null;
        }
        LateReply r = new LateReply(loop, fd);
        waiting.add(r);
        return r;
    }

    /** Answers {@code fd} now with {@code text} and closes it. */
    static void send(EventLoop loop, int fd, String text) {
        new LateReply(loop, fd).send(text);
    }

    /** Writes {@code text} (once) and closes the connection when it is out. */
    void send(String text) {
        if (reply != null) {
            return;
        }
        reply = text.getBytes(StandardCharsets.UTF_8);
        write();
    }

    private void write() {
        while (!done && written < reply.length) {
            int n;
            try {
                n = Fds.write(fd, reply, written, reply.length - written);
            } catch (java.io.IOException | RuntimeException e) {
                break;
            }
            if (n < 0) {
                loop.watchWrite(fd, (f, rev) -> write());
                return;
            }
            written += n;
        }
        close();
    }

    private void close() {
        if (!done) {
            done = true;
            waiting.remove(this);
            loop.unwatch(fd);
            Fds.closeQuietly(fd);
        }
    }
}
