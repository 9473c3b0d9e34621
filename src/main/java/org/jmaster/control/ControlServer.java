package org.jmaster.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.PrivateListener;
import org.jmaster.nativ.Signals;
import org.jmaster.supervisor.Supervisor;

/**
 * The control socket: a unix-domain stream socket that answers one command per connection with JSON:
 * {@code status} (the whole {@link org.jmaster.supervisor.Snapshot}), {@code children} (the child
 * list), {@code metrics} (OpenMetrics text), {@code abort} (kill every child and exit at once), and
 * {@code reload} and {@code stop} (the effect of SIGHUP and SIGTERM), each of the last three answered
 * {@code ok}.
 * The socket file is the master's, mode 0600 — or group {@code master_control_group}, mode 0660 —
 * from the moment its name exists ({@link PrivateListener#listen}), and every connection's peer must
 * pass {@link PeerRule} or is closed unanswered with a (rate-limited) warning. Served by the master's
 * event loop ({@link OneShotServer}: bounded connections, fixed buffers).
 *
 * <p>Jackson is loaded at the first command that answers JSON, not at start: its mapper is ~370
 * classes, a master that nobody asks never needs them (issue 14).
 */
public final class ControlServer {
    /** The mapper, made on first use (the holder idiom: loading this class loads Jackson). */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    private final OneShotServer server;

    private ControlServer(OneShotServer server) {
        this.server = server;
    }

    /** Opens the socket at {@code path}; {@code group} may be empty. */
    public static ControlServer open(Supervisor master, String path, String group) throws IOException {
        PeerRule peers = PeerRule.forGroup(group);
        int fd = PrivateListener.listen(path, OneShotServer.BACKLOG, peers.mode(), peers.gid());
        return new ControlServer(new OneShotServer(master.loop(), "control", fd, "\n", peers,
                req -> handle(master, req.strip())));
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
            case "reload":
            case "stop":
                // the master signals itself, so the request takes the signal's one path (and, as init
                // of a container, its own pid is the one to signal, never the pid file's reader's pid 1)
                Processes.kill(Processes.getpid(), command.equals("reload") ? Signals.SIGHUP : Signals.SIGTERM);
                return "ok\n".getBytes(StandardCharsets.US_ASCII);
            default:
                return ("error: unknown command \"" + command + "\"\n").getBytes(StandardCharsets.UTF_8);
        }
    }

    static byte[] json(Object value) {
        try {
            return (Json.MAPPER.writeValueAsString(value) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public void close() {
        server.close();
    }
}
