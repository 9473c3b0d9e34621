package org.jmaster.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
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
 * Three answer later or in parts, on a connection the server hands over: {@code events [follow]
 * [json] [service=NAME]} ({@link EventStream}), {@code upgrade} (one line when the new master has
 * taken over or the upgrade failed) and {@code reload canary=SECONDS} (one line at the end of its
 * canary window, or when it was rolled back); their lines start with {@code ok} or {@code error:}.
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
        return open(master, path, group, -1);
    }

    /**
     * Opens the socket at {@code path}, or adopts {@code passed} (-1 when none): the listener an
     * upgrade handed over, which the old master had bound to the same path.
     */
    public static ControlServer open(Supervisor master, String path, String group, int passed) throws IOException {
        PeerRule peers = PeerRule.forGroup(group);
        int fd = passed;
        if (fd < 0) {
            fd = PrivateListener.listen(path, OneShotServer.BACKLOG, peers.mode(), peers.gid());
        }
        OneShotServer server = new OneShotServer(master.loop(), "control", fd, "\n", peers,
                req -> handle(master, req.strip()));
        server.takeover((request, conn) -> takeover(master, request, conn));
        return new ControlServer(server);
    }

    /** The requests answered later or in parts; true when {@code conn} was taken. */
    private static boolean takeover(Supervisor master, String request, int conn) {
        if (EventStream.wants(request)) {
            EventStream.start(master.loop(), master.events(), conn, request);
            return true;
        }
        if (request.equals("upgrade")) {
            LateReply r = LateReply.hold(master.loop(), conn);
            if (r != null) {
                master.upgrade((ok, text) -> r.send((ok ? "ok " : "error: ") + text + "\n"));
            }
            return true;
        }
        if (request.startsWith("reload ")) { // a plain reload is SIGHUP's (handle)
            long canary = -1; // as SIGHUP: master_reload_canary_time says
            String arg = request.substring(6).strip();
            if (arg.startsWith("canary=")) {
                try {
                    canary = Long.parseLong(arg.substring(7));
                } catch (NumberFormatException e) {
                    canary = -2;
                }
            } else if (!arg.isEmpty()) {
                canary = -2;
            }
            if (canary < -1 || canary > 86_400) {
                LateReply.send(master.loop(), conn, "error: reload: expected canary=SECONDS (0 to 86400), not \""
                        + arg + "\"\n");
                return true;
            }
            LateReply r = LateReply.hold(master.loop(), conn);
            if (r != null) {
                master.reload(canary, (ok, text) -> r.send((ok ? "ok " : "error: ") + text + "\n"));
            }
            return true;
        }
        return false;
    }

    /** An upgrade handed the listener over: no new connections; requests in progress are answered. */
    public void handedOver() {
        server.stopAccepting();
    }

    /** The listening descriptor, for an upgrade's hand-over. */
    public int fd() {
        return server.listenFd();
    }

    private static byte[] handle(Supervisor master, String command) {
        switch (command) {
            case "status":
                return json(master.snapshot());
            case "children":
                return json(master.snapshot().children());
            case "status table":
                return table(out -> StatusTable.print(out, master.snapshot(), System.currentTimeMillis()));
            case "children table":
                return table(out -> StatusTable.printChildren(out, master.snapshot().children()));
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

    /** A table as the command prints it (the master's wall clock for the throttle's time left). */
    private static byte[] table(Consumer<PrintStream> print) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(buf, false, StandardCharsets.UTF_8)) {
            print.accept(out);
        }
        return buf.toByteArray();
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
