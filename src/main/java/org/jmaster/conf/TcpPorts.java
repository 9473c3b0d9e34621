package org.jmaster.conf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * Resolves the port part of an inet service name to a number: digits as they are, then the
 * {@code known_tcp_ports} table, then the tcp entries of {@code /etc/services} (read once, on
 * first need). No network access.
 */
final class TcpPorts {

    static final Path ETC_SERVICES = Path.of("/etc/services");

    private final Map<String, Integer> known;
    private final Function<String, Integer> services;

    private TcpPorts(Map<String, Integer> known, Function<String, Integer> services) {
        this.known = known;
        this.services = services;
    }

    /** A resolver with the given {@code known_tcp_ports} table and a services lookup. */
    static TcpPorts of(Map<String, Integer> known, Function<String, Integer> services) {
        return new TcpPorts(Map.copyOf(known), services);
    }

    /** A resolver backed by {@code /etc/services}, read lazily. */
    static TcpPorts system(Map<String, Integer> known) {
        return new TcpPorts(Map.copyOf(known), new EtcServices(ETC_SERVICES));
    }

    /** The port for {@code text}, or empty when it is unknown or not a valid port number. */
    OptionalInt resolve(String text) {
        if (Values.isDigits(text)) {
            OptionalInt n = Values.digitsToInt(text);
            return n.isPresent() && n.getAsInt() <= 65535 ? n : OptionalInt.empty();
        }
        Integer port = known.get(text);
        if (port == null) {
            port = services.apply(text);
        }
        return port == null ? OptionalInt.empty() : OptionalInt.of(port);
    }

    /** Result of parsing {@code known_tcp_ports}: the table and the error texts. */
    record KnownPorts(Map<String, Integer> table, List<String> errors) {}

    /**
     * Parses {@code known_tcp_ports}: items separated by commas or whitespace, each
     * {@code name=...=port} with non-numeric names and a numeric port.
     */
    static KnownPorts parseKnown(String value) {
        Map<String, Integer> table = new HashMap<>();
        List<String> errors = new ArrayList<>();
        Tokens t = new Tokens(value, Tokens.COMMA_BLANKS);
        for (String item = t.next(); item != null; item = t.next()) {
            String[] parts = item.split("=", -1);
            String port = parts[parts.length - 1];
            OptionalInt n = Values.digitsToInt(port);
            if (parts.length < 2) {
                errors.add("known_tcp_ports: missing '=' in \"" + item + "\"");
                continue;
            }
            if (n.isEmpty() || n.getAsInt() > 65535) {
                errors.add("known_tcp_ports: non-numerical service port in \"" + item + "\"");
                continue;
            }
            for (int i = 0; i < parts.length - 1; i++) {
                if (parts[i].isEmpty()) {
                    errors.add("known_tcp_ports: empty service name in \"" + item + "\"");
                } else if (Values.isDigits(parts[i])) {
                    errors.add("known_tcp_ports: numerical service name in \"" + item + "\"");
                } else {
                    table.put(parts[i], n.getAsInt());
                }
            }
        }
        return new KnownPorts(Map.copyOf(table), List.copyOf(errors));
    }

    /** tcp names and aliases of a services(5) file; a missing file knows no names. */
    static final class EtcServices implements Function<String, Integer> {
        private final Path file;
        private Map<String, Integer> table;

        EtcServices(Path file) {
            this.file = file;
        }

        @Override
        public synchronized Integer apply(String name) {
            if (table == null) {
                table = load(file);
            }
            return table.get(name);
        }

        static Map<String, Integer> load(Path file) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.ISO_8859_1);
            } catch (IOException | RuntimeException e) {
                return Map.of();
            }
            return parse(text);
        }

        static Map<String, Integer> parse(String text) {
            Map<String, Integer> table = new HashMap<>();
            for (String line : text.split("\n")) {
                int hash = line.indexOf('#');
                if (hash >= 0) {
                    line = line.substring(0, hash);
                }
                Tokens t = new Tokens(line, Tokens.BLANKS);
                String name = t.next();
                String portProto = t.next();
                if (name == null || portProto == null || !portProto.endsWith("/tcp")) {
                    continue;
                }
                Optional<Integer> port = Optional.of(portProto.substring(0, portProto.length() - 4))
                        .map(Values::digitsToInt).filter(OptionalInt::isPresent).map(OptionalInt::getAsInt)
                        .filter(p -> p <= 65535);
                if (port.isEmpty()) {
                    continue;
                }
                table.putIfAbsent(name, port.get());
                for (String alias = t.next(); alias != null; alias = t.next()) {
                    table.putIfAbsent(alias, port.get());
                }
            }
            return table;
        }
    }
}
