package org.jmaster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.MainConfig;

/**
 * The operator's commands that change a running master without a gap, or watch it: {@code upgrade}
 * (a new master from what is installed now takes over; exits 0 once it serves, 1 with the reason
 * when the old one keeps serving), {@code reload --canary[=SECONDS]} (validates first; exits 0 when
 * the new configuration is kept after the window, 1 when it was rolled back, with the reason) and
 * {@code events [--follow] [--json] [--service NAME]} (the master's event stream; a follower
 * reconnects to the new master after an upgrade). All go through the control socket; what they say
 * goes to the terminal as {@link Terminal} has it.
 */
final class ChangeCommands {
    private static final int DEFAULT_CANARY_SECONDS = 10;

    private final MainConfig main;
    private final Path pidFile;
    private final Supplier<Validation.Result> validate;
    private final PrintStream out = System.out;
    /** The commands' common ground: the control socket's path and what to say when it is down. */
    private final OperatorCommands operator;

    ChangeCommands(MainConfig main, Path pidFile, Supplier<Validation.Result> validate) {
        this.main = main;
        this.pidFile = pidFile;
        this.validate = validate;
        this.operator = new OperatorCommands(main, pidFile, validate);
    }

    /** Whether these commands handle what {@code opts} asks for. */
    static boolean handles(Options opts) {
        String c = opts.command().orElse("");
        return c.equals("upgrade") || c.equals("events") || (c.equals("reload") && opts.canary() >= 0);
    }

    int run(Options opts) {
        switch (opts.command().orElseThrow()) {
            case "upgrade":
                return upgrade();
            case "events":
                return events(opts);
            default:
                return canaryReload(opts.canary());
        }
    }

    private int upgrade() {
        JsonNode before = status();
        if (before == null) {
            Terminal.say("jmaster is not running");
            return 1;
        }
        long timeoutMs = seconds("master_upgrade_timeout", 60) * 1000 + 15_000;
        String reply;
        try {
            reply = request("upgrade", timeoutMs, null);
        } catch (IOException e) {
            Terminal.error("control socket " + operator.controlSocket() + ": " + e.getMessage());
            return 1;
        }
        if (!reply.startsWith("ok ")) {
            Terminal.error(reply.isEmpty() ? "no answer from the master (see the log)" : stripError(reply));
            return 1;
        }
        // the new master answers on the same socket once it serves
        long generation = before.path("binaryGeneration").asLong(1);
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            JsonNode now = status();
            if (now != null && now.path("binaryGeneration").asLong(1) > generation
                    && now.path("upgrade").asText("").isEmpty()) {
                out.println("upgraded jmaster: pid " + before.path("pid").asLong() + " -> pid "
                        + now.path("pid").asLong() + ", version " + now.path("version").asText()
                        + ", binary generation " + now.path("binaryGeneration").asLong());
                return 0;
            }
            pause(100);
        }
        Terminal.error(reply.substring(3).strip() + "; but the new master does not answer (see the log)");
        return 1;
    }

    private int canaryReload(long canary) {
        Validation.Result checked = validate.get();
        checked.warnings().forEach(w -> Terminal.warning(w.toString()));
        if (!checked.ok()) {
            checked.errors().forEach(e -> Terminal.error(e.toString()));
            Terminal.say("not reloaded: the running master keeps its configuration");
            return 1;
        }
        long window = canary > 0 ? canary : seconds("master_reload_canary_time", 0);
        if (window <= 0) {
            window = DEFAULT_CANARY_SECONDS;
        }
        String reply;
        try {
            reply = request("reload canary=" + window, window * 1000 + 30_000, null);
        } catch (IOException e) {
            return operator.controlSocketDown(e);
        }
        if (reply.startsWith("ok ")) {
            out.println("reloaded jmaster: " + reply.substring(3).strip());
            return 0;
        }
        Terminal.error(reply.isEmpty() ? "no answer from the master (see the log)" : "reload " + stripError(reply));
        return 1;
    }

    private int events(Options opts) {
        StringBuilder req = new StringBuilder("events");
        if (opts.follow()) {
            req.append(" follow");
        }
        if (opts.json()) {
            req.append(" json");
        }
        opts.service().ifPresent(s -> req.append(" service=").append(s));
        boolean[] handedOver = new boolean[1];
        Consumer<String> print = line -> {
            out.println(line);
            out.flush();
            if (line.contains("upgrade.committed")) {
                handedOver[0] = true;
            }
        };
        try {
            String rest = request(req.toString(), opts.follow() ? 0 : 10_000, print);
            if (rest.startsWith("error:")) {
                Terminal.error(stripError(rest));
                return 1;
            }
        } catch (IOException e) {
            return operator.controlSocketDown(e);
        }
        // a follower goes on with the master that took over
        while (opts.follow() && handedOver[0]) {
            handedOver[0] = false;
            if (!awaitControlSocket(60_000)) {
                Terminal.error("the master that took over does not answer on " + operator.controlSocket());
                return 1;
            }
            try {
                request(req.toString(), 0, print);
            } catch (IOException e) {
                return operator.controlSocketDown(e);
            }
        }
        return 0;
    }

    private boolean awaitControlSocket(long limitMs) {
        long deadline = System.currentTimeMillis() + limitMs;
        while (System.currentTimeMillis() < deadline) {
            if (status() != null) {
                return true;
            }
            pause(100);
        }
        return false;
    }

    private JsonNode status() {
        try {
            return OperatorCommands.Json.MAPPER.readTree(request("status", 10_000, null));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String stripError(String reply) {
        String r = reply.strip();
        return r.startsWith("error: ") ? r.substring(7) : r;
    }

    private long seconds(String parameter, long fallback) {
        try {
            return main.getTimeSeconds(parameter);
        } catch (ConfigException e) {
            return fallback;
        }
    }

    /**
     * Sends {@code command} and reads until the master closes the connection, or {@code silenceMs}
     * pass without a byte (0: no limit). With {@code lines}, each complete line goes there as it
     * comes and the rest is returned; without, the whole answer is returned.
     */
    private String request(String command, long silenceMs, Consumer<String> lines) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            OperatorCommands.connect(ch, UnixDomainSocketAddress.of(operator.controlSocket()));
            ch.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
            ch.configureBlocking(false);
            StringBuilder text = new StringBuilder();
            ByteBuffer buf = ByteBuffer.allocate(16384);
            java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
            try (Selector readable = Selector.open()) {
                ch.register(readable, SelectionKey.OP_READ);
                while (readable.select(silenceMs) > 0) {
                    readable.selectedKeys().clear();
                    int n = ch.read(buf.clear());
                    if (n < 0) {
                        break;
                    }
                    pending.write(buf.array(), 0, n);
                    if (lines != null) {
                        String s = pending.toString(StandardCharsets.UTF_8);
                        int nl = s.lastIndexOf('\n');
                        if (nl >= 0) {
                            for (String line : s.substring(0, nl).split("\n", -1)) {
                                if (line.startsWith("error:")) {
                                    text.append(line).append('\n');
                                } else {
                                    lines.accept(line);
                                }
                            }
                            pending.reset();
                            pending.write(s.substring(nl + 1).getBytes(StandardCharsets.UTF_8));
                        }
                    }
                }
            }
            return text.append(pending.toString(StandardCharsets.UTF_8)).toString();
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
