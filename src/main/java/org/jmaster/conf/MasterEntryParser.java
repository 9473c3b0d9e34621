package org.jmaster.conf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Turns one logical master.cf line into a {@link ServiceEntry} (protocol doc §1.2–§1.8), or into
 * errors. Field checks follow Postfix's {@code get_master_ent()} and its texts; unlike Postfix,
 * one bad field does not hide the errors of the next ones, and numbers must be digits only.
 */
final class MasterEntryParser {

    static final String F_TYPE = "transport type";
    static final String F_PRIVATE = "private";
    static final String F_UNPRIVILEGED = "unprivileged";
    static final String F_CHROOT = "chroot";
    static final String F_WAKEUP = "wakeup_time";
    static final String F_MAXPROC = "max_proc";
    static final String F_COMMAND = "command";

    /** What the parser needs from main.cf, read once per master.cf parse. */
    record Settings(int defaultProcessLimit, boolean chrootByDefault, ServiceDisable disable,
                    InetProtocols protocols, boolean noInetInterfaces, TcpPorts ports) {}

    private final Path file;
    private final Settings settings;
    private final List<ConfigError> errors;
    private final List<ConfigError> warnings;
    private int line;

    MasterEntryParser(Path file, Settings settings, List<ConfigError> errors, List<ConfigError> warnings) {
        this.file = file;
        this.settings = settings;
        this.errors = errors;
        this.warnings = warnings;
    }

    /** Signals that the rest of the line cannot be read (a field is missing). */
    private static final class Stop extends Exception {
        Stop() {
            super(null, null, false, false);
        }
    }

    /** The entry of {@code logical}, or null when it is disabled or has errors (reported). */
    ServiceEntry parse(LogicalLine logical) {
        this.line = logical.line();
        int errorsBefore = errors.size();
        try {
            ServiceEntry entry = parseFields(new Tokens(logical.text(), Tokens.BLANKS));
            return errors.size() == errorsBefore ? entry : null;
        } catch (Stop stop) {
            return null;
        }
    }

    private ServiceEntry parseFields(Tokens tokens) throws Stop {
        String extName = tokens.next();
        if (extName == null) {
            throw new Stop();
        }
        String transport = required(tokens, F_TYPE);
        if (settings.disable().disables(extName, transport)) {
            return null;
        }
        ServiceType type = ServiceType.fromWire(transport).orElse(null);
        if (type == null) {
            error("bad transport type: " + transport);
        }
        InetName inet = null;
        if (type == ServiceType.INET) {
            inet = inetName(extName);
        }
        boolean privateAccess = bool(tokens, F_PRIVATE, true);
        if (type == ServiceType.INET && privateAccess) {
            error("inet service cannot be private");
        }
        boolean unprivileged = bool(tokens, F_UNPRIVILEGED, true);
        boolean chroot = chroot(tokens);
        String wakeupText = field(tokens, F_WAKEUP);
        int wakeup = wakeup(wakeupText);
        boolean conditional = wakeup > 0 && wakeupText.endsWith("?");
        int maxProc = maxProc(tokens);
        String command = required(tokens, F_COMMAND);
        ServiceAttributes.Builder attributes = new ServiceAttributes.Builder();
        List<String> args = arguments(tokens, attributes);
        if (type == null) {
            return null;
        }
        ServiceAttributes built = attributes.build();
        Protocol protocol = Protocol.byName(built.valueOrDefault(ServiceAttribute.PROTOCOL).orElseThrow())
                .orElseThrow();
        if (protocol == Protocol.INETD && type != ServiceType.INET && type != ServiceType.UNIX) {
            error("attribute \"protocol\": inetd needs a stream service (inet or unix), not \"" + transport + "\"");
        } else if (protocol == Protocol.SYSTEMD && type == ServiceType.PASS) {
            error("attribute \"protocol\": systemd cannot take a pass service");
        }
        String name = type == ServiceType.INET
                ? (inet == null ? extName : inet.canonical())
                : (privateAccess ? "private/" : "public/") + extName;
        return new ServiceEntry(file, line, extName, type, name, privateAccess, unprivileged, chroot,
                wakeup, conditional, maxProc, command, args, built,
                inet == null ? null : inet.host(), inet == null ? -1 : inet.port());
    }

    private InetName inetName(String extName) {
        InetName.Parsed p = InetName.parse(extName, settings.ports());
        if (p.error() != null) {
            error(p.error());
            return null;
        }
        InetName inet = p.name();
        InetProtocols protocols = settings.protocols();
        if (inet.address() != null
                && ((inet.address().length == 4 && !protocols.ipv4()) || (inet.address().length == 16 && !protocols.ipv6()))) {
            error("bad hostname or network address: " + extName);
        }
        if (inet.host() == null && settings.noInetInterfaces()) {
            error("service definition requires valid host name or address, or non-empty inet_interfaces setting");
        }
        return inet;
    }

    private String field(Tokens tokens, String field) throws Stop {
        String value = tokens.next();
        if (value == null) {
            error("missing \"" + field + "\" field");
            throw new Stop();
        }
        return value;
    }

    private String required(Tokens tokens, String field) throws Stop {
        String value = field(tokens, field);
        if (value.equals("-")) {
            error("field \"" + field + "\" has no default value");
            throw new Stop();
        }
        return value;
    }

    private boolean bool(Tokens tokens, String field, boolean defaultValue) throws Stop {
        return boolValue(field, field(tokens, field), defaultValue);
    }

    private boolean boolValue(String field, String value, boolean defaultValue) {
        switch (value) {
            case "-": return defaultValue;
            case "y": return true;
            case "n": return false;
            default:
                badValue(field, value);
                return defaultValue;
        }
    }

    private boolean chroot(Tokens tokens) throws Stop {
        String value = field(tokens, F_CHROOT);
        if (!value.equals("-")) {
            return boolValue(F_CHROOT, value, false);
        }
        if (settings.chrootByDefault()) {
            warnings.add(new ConfigError(file, line, "using backwards-compatible default setting chroot=y"));
            return true;
        }
        return false;
    }

    private int wakeup(String value) {
        if (value.equals("-")) {
            return 0;
        }
        String digits = value.endsWith("?") ? value.substring(0, value.length() - 1) : value;
        OptionalInt n = Values.digitsToInt(digits);
        if (n.isEmpty()) {
            badValue(F_WAKEUP, value);
            return 0;
        }
        return n.getAsInt();
    }

    private int maxProc(Tokens tokens) throws Stop {
        String value = field(tokens, F_MAXPROC);
        if (value.equals("-")) {
            return settings.defaultProcessLimit();
        }
        OptionalInt n = Values.digitsToInt(value);
        if (n.isEmpty()) {
            badValue(F_MAXPROC, value);
            return 0;
        }
        return n.getAsInt();
    }

    /** Arguments with {@code { }} groups stripped; {@code -M pair} goes to the attributes. */
    private List<String> arguments(Tokens tokens, ServiceAttributes.Builder attributes) {
        List<String> args = new ArrayList<>();
        boolean attributeNext = false;
        for (String token = tokens.nextGrouped(); token != null; token = tokens.nextGrouped()) {
            boolean grouped = token.charAt(0) == '{';
            String arg = token;
            if (grouped) {
                Tokens.Stripped s = Tokens.stripBraces(token);
                if (s.error() != null) {
                    error(s.error());
                    attributeNext = false;
                    continue;
                }
                arg = s.value();
            }
            if (attributeNext) {
                attributeNext = false;
                String problem = attributes.add(arg);
                if (problem != null) {
                    error(problem);
                }
            } else if (!grouped && arg.equals("-M")) {
                attributeNext = true;
            } else {
                args.add(arg);
            }
        }
        if (attributeNext) {
            error("missing attribute after \"-M\"");
        }
        return args;
    }

    private void badValue(String field, String value) {
        error("field \"" + field + "\": bad value: \"" + value + "\"");
    }

    private void error(String text) {
        errors.add(new ConfigError(file, line, text));
    }
}
