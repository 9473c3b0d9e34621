package org.jmaster.supervisor;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.HalfClose;

/**
 * Refused connections on their way out. After the refusal's reply the write side is shut (the
 * client reads the reply, then end of file), and what the client still sends is read and dropped
 * until it closes, {@link #LINGER_MS} pass or {@link #MAX_BYTES} were dropped; then the descriptor
 * is closed. So the client reads the whole reply whether or not it spoke first: a close with unread
 * input sends a reset, and a reset throws away the reply the client has not read yet.
 *
 * <p>Bounded: at most {@link #MAX_CONNECTIONS} connections linger at once, and a new one beyond
 * that closes the oldest first, so a flood of refused clients that never close cannot take the
 * master's descriptors. Never blocks: the descriptors are non-blocking and watched by the loop, and
 * one timer waits for the oldest deadline (deadlines come in the order connections are added). Owned
 * by the loop thread.
 */
final class Linger {
    /** How long a refused client may take to read its reply and close. */
    static final long LINGER_MS = 5_000;
    /** Connections lingering at once; beyond this the oldest is closed. */
    static final int MAX_CONNECTIONS = 256;
    /** Input dropped per connection before it is closed regardless. */
    static final long MAX_BYTES = 64 * 1024;

    private static final class Lingering {
        final long deadline;
        long dropped;

        Lingering(long deadline) {
            this.deadline = deadline;
        }
    }

    private final EventLoop loop;
    /** Descriptor to its state, oldest first. */
    private final LinkedHashMap<Integer, Lingering> lingering = new LinkedHashMap<>();
    private EventLoop.Timer timer;

    Linger(EventLoop loop) {
        this.loop = loop;
    }

    /**
     * Takes over {@code fd}, a non-blocking connected socket whose reply has been written, and
     * closes it: at once when the connection is already gone, otherwise once it has lingered.
     */
    void close(int fd) {
        if (!HalfClose.shutdownWrite(fd)) {
            Fds.closeQuietly(fd);
            return;
        }
        while (lingering.size() >= MAX_CONNECTIONS) {
            end(lingering.keySet().iterator().next());
        }
        lingering.put(fd, new Lingering(loop.nanoTime() + LINGER_MS * 1_000_000L));
        loop.watchRead(fd, this::readable);
        if (timer == null) {
            scheduleExpiry();
        }
    }

    /** Connections lingering now. */
    int size() {
        return lingering.size();
    }

    private void readable(int fd, int revents) {
        Lingering l = lingering.get(fd);
        if (l == null) {
            loop.unwatch(fd);
            return;
        }
        long n = HalfClose.discard(fd, MAX_BYTES - l.dropped);
        if (n == HalfClose.END) {
            end(fd);
        } else {
            l.dropped += n;
            if (l.dropped >= MAX_BYTES) {
                end(fd);
            }
        }
    }

    private void end(int fd) {
        if (lingering.remove(fd) != null) {
            // unwatch before close: the number may be reused at once
            loop.unwatch(fd);
            Fds.closeQuietly(fd);
        }
    }

    private void expire() {
        timer = null;
        long now = loop.nanoTime();
        for (Iterator<Map.Entry<Integer, Lingering>> it = lingering.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Integer, Lingering> e = it.next();
            if (e.getValue().deadline - now > 0) {
                break;
            }
            it.remove();
            loop.unwatch(e.getKey());
            Fds.closeQuietly(e.getKey());
        }
        if (!lingering.isEmpty()) {
            scheduleExpiry();
        }
    }

    private void scheduleExpiry() {
        long deadline = lingering.values().iterator().next().deadline;
        long ms = (deadline - loop.nanoTime() + 999_999L) / 1_000_000L;
        timer = loop.schedule(Math.max(0, ms), this::expire);
    }
}
