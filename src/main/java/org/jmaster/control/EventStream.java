package org.jmaster.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.PollSet;
import org.jmaster.supervisor.EventLoop;
import org.jmaster.supervisor.Events;
import org.jmaster.supervisor.LogLimit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code events [follow] [json] [service=NAME]} on the control socket: the events kept in the ring
 * (oldest first), then, with {@code follow}, each new one as it happens, one per line (text, or a
 * JSON object per line). A stream never blocks the loop and never holds more than it may: events
 * wait as references in a queue of at most {@link #MAX_PENDING} and are rendered only when the
 * socket can take them; a reader that falls that far behind is dropped (a warning, at most one per
 * {@link #LOG_INTERVAL_MS}). At most {@link #MAX_STREAMS} streams at once. Owned by the loop thread.
 */
final class EventStream implements Events.Subscriber {
    private static final Logger log = LoggerFactory.getLogger("master");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Events waiting for one reader: the whole ring plus a margin; beyond it the reader is too slow. */
    static final int MAX_PENDING = Events.CAPACITY + 1024;
    static final int MAX_STREAMS = 32;
    static final long LOG_INTERVAL_MS = 10_000;

    private static final Set<EventStream> open = new HashSet<>();
    private static LogLimit dropWarnings;

    private final EventLoop loop;
    private final Events events;
    private final int fd;
    private final boolean follow;
    private final boolean json;
    private final String service;
    private final ArrayDeque<Events.Event> pending = new ArrayDeque<>();
    private byte[] line;
    private int written;
    private boolean writing;
    private boolean closed;

    private EventStream(EventLoop loop, Events events, int fd, boolean follow, boolean json, String service) {
        this.loop = loop;
        this.events = events;
        this.fd = fd;
        this.follow = follow;
        this.json = json;
        this.service = service;
    }

    /** Whether {@code request} asks for events. */
    static boolean wants(String request) {
        return request.equals("events") || request.startsWith("events ");
    }

    /**
     * Starts a stream on the connection {@code fd} for {@code request}; answers a bad request or one
     * too many with an error line. Takes the connection in every case.
     */
    static void start(EventLoop loop, Events events, int fd, String request) {
        boolean follow = false;
        boolean json = false;
        String service = null;
        String[] words = request.trim().split("\\s+");
        for (int i = 1; i < words.length; i++) {
            String w = words[i];
            if (w.equals("follow")) {
                follow = true;
            } else if (w.equals("json")) {
                json = true;
            } else if (w.startsWith("service=") && w.length() > 8) {
                service = w.substring(8);
            } else {
                LateReply.send(loop, fd, "error: events: unknown argument \"" + w + "\"\n");
                return;
            }
        }
        if (open.size() >= MAX_STREAMS) {
            LateReply.send(loop, fd, "error: events: " + MAX_STREAMS + " streams are open already\n");
            return;
        }
        EventStream s = new EventStream(loop, events, fd, follow, json, service);
        open.add(s);
        for (Events.Event e : events.recent()) {
            s.offer(e);
        }
        if (follow) {
            events.subscribe(s);
        }
        s.flush();
    }

    @Override
    public void event(Events.Event e) {
        if (closed || !matches(e)) {
            return;
        }
        if (pending.size() >= MAX_PENDING) {
            if (dropWarnings == null) {
                dropWarnings = new LogLimit(loop, LOG_INTERVAL_MS, n -> log.warn(
                        "control: dropped {} more slow event reader(s) in the last {}s", n, LOG_INTERVAL_MS / 1000));
            }
            if (dropWarnings.allow()) {
                log.warn("control: events: dropped a reader that fell {} events behind", pending.size());
            }
            close();
            return;
        }
        pending.addLast(e);
        if (!writing) {
            flush();
        }
    }

    private boolean matches(Events.Event e) {
        return service == null || service.equals(e.service());
    }

    private void offer(Events.Event e) {
        if (matches(e)) {
            pending.addLast(e);
        }
    }

    /** Writes what the socket takes now; waits for writability when it takes no more. */
    private void flush() {
        while (!closed) {
            if (line == null) {
                Events.Event e = pending.pollFirst();
                if (e == null) {
                    break;
                }
                line = render(e);
                written = 0;
            }
            int n;
            try {
                n = Fds.write(fd, line, written, line.length - written);
            } catch (java.io.IOException | RuntimeException ex) {
                // the reader is gone (EPIPE, ECONNRESET)
                close();
                return;
            }
            if (n < 0) {
                if (!writing) {
                    writing = true;
                    loop.watchWrite(fd, (f, rev) -> writable(rev));
                }
                return;
            }
            written += n;
            if (written == line.length) {
                line = null;
            }
        }
        if (closed) {
            return;
        }
        writing = false;
        if (!follow) {
            close();
            return;
        }
        // idle follower: watch for the reader going away (EOF); what it sends is ignored
        loop.watchRead(fd, (f, rev) -> readable());
    }

    private void writable(int rev) {
        if ((rev & (PollSet.POLLERR | PollSet.POLLHUP)) != 0) {
            close();
            return;
        }
        writing = false;
        flush();
    }

    private void readable() {
        byte[] sink = new byte[256];
        int n = Fds.readNonBlocking(fd, sink, 0, sink.length);
        if (n == 0) {
            close();
        }
    }

    private byte[] render(Events.Event e) {
        String text;
        if (json) {
            ObjectNode o = JSON.createObjectNode();
            o.put("seq", e.seq());
            o.put("time", Instant.ofEpochMilli(e.timeMillis()).toString());
            o.put("code", e.code());
            if (e.service() != null) {
                o.put("service", e.service());
            }
            if (e.pid() != 0) {
                o.put("pid", e.pid());
            }
            for (Map.Entry<String, Object> f : e.fields().entrySet()) {
                o.putPOJO(f.getKey(), f.getValue());
            }
            try {
                text = JSON.writeValueAsString(o);
            } catch (JsonProcessingException ex) {
                text = "{\"seq\":" + e.seq() + ",\"code\":\"" + e.code() + "\"}";
            }
        } else {
            text = Instant.ofEpochMilli(e.timeMillis()) + " " + e.text();
        }
        return (text + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private void close() {
        if (closed) {
            return;
        }
        closed = true;
        open.remove(this);
        events.unsubscribe(this);
        pending.clear();
        loop.unwatch(fd);
        Fds.closeQuietly(fd);
    }

    /** Ends every stream (the master is going away). */
    static void closeAll() {
        for (EventStream s : open.toArray(new EventStream[0])) {
            s.close();
        }
    }

    /** Streams open now (for tests). */
    static int streams() {
        return open.size();
    }
}
