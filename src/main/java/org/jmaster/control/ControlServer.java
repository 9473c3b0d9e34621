package org.jmaster.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.jmaster.nativ.Posix;
import org.jmaster.supervisor.Supervisor;

/**
 * The control socket: a unix-domain stream socket (mode 0600, or 0660 with
 * {@code master_control_group}) that answers one command per connection with JSON:
 * {@code status} (the whole {@link org.jmaster.supervisor.Snapshot}), {@code children} (the child
 * list), {@code metrics} (OpenMetrics text) and {@code abort} (kill every child and exit at once).
 * Served by the master's event loop.
 */
public final class ControlServer {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final OneShotServer server;

    private ControlServer(OneShotServer server) {
        this.server = server;
    }

    /** Opens the socket at {@code path}; {@code group} may be empty. */
    public static ControlServer open(Supervisor master, String path, String group) throws IOException {
        int fd = Posix.unixListen(path, 16);
        int mode = 0600;
        if (!group.isEmpty()) {
            Optional<Posix.Group> g = Posix.getgrnam(group);
            if (g.isEmpty()) {
                Posix.closeQuietly(fd);
                throw new IOException("master_control_group: unknown group \"" + group + "\"");
            }
            Posix.chown(path, Posix.geteuid(), g.get().gid());
            mode = 0660;
        }
        Posix.chmod(path, mode);
        return new ControlServer(new OneShotServer(master.loop(), fd, "\n", req -> handle(master, req.strip())));
    }

    private static byte[] handle(Supervisor master, String command) {
        switch (command) {
            case "status":
                return json(master.snapshot());
            case "children":
                return json(master.snapshot().children());
            case "metrics":
                return Metrics.render(master.snapshot()).getBytes(StandardCharsets.UTF_8);
            case "abort":
                master.abort();
                return "ok\n".getBytes(StandardCharsets.US_ASCII);
            default:
                return ("error: unknown command \"" + command + "\"\n").getBytes(StandardCharsets.UTF_8);
        }
    }

    static byte[] json(Object value) {
        try {
            return (JSON.writeValueAsString(value) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public void close() {
        server.close();
    }
}
