package org.jmaster.conf;

import java.net.InetAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The main.cf parameters jmaster knows: built-in default, value type, range and default time
 * unit. One table, so a new parameter is one line. Values of known parameters are validated
 * when main.cf is loaded; everything else is stored and expanded on request only.
 */
final class Parameters {

    private Parameters() {}

    /** How a parameter's value is checked at load time. */
    enum Kind { STRING, INT, BOOL, TIME, LIST, INET_PROTOCOLS, COMPAT_LEVEL, KNOWN_TCP_PORTS, METRICS_ENDPOINT }

    /**
     * One known parameter. {@code min}/{@code max} bound INT and TIME values (TIME in seconds);
     * {@code unit} is the default time unit.
     */
    record Spec(String name, Kind kind, String defaultValue, long min, long max, char unit) {}

    /** Parameters the configuration itself owns; a main.cf setting is ignored with a warning. */
    static final Set<String> READ_ONLY = Set.of("process_name", "process_id", "mail_version", "config_directory");

    private static final Map<String, Spec> SPECS = table();

    private static Map<String, Spec> table() {
        Map<String, Spec> m = new LinkedHashMap<>();
        // §2.2: what the master reads
        integer(m, "default_process_limit", "100", 1);
        time(m, "service_throttle_time", "60s", 1, 's');
        str(m, "master_service_disable", "");
        time(m, "max_idle", "100s", 1, 's');
        integer(m, "max_use", "100", 1);
        list(m, "inet_interfaces", "all");
        m.put("inet_protocols", new Spec("inet_protocols", Kind.INET_PROTOCOLS, "all", 0, 0, 's'));
        list(m, "import_environment", "MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ XAUTHORITY DISPLAY LANG=C"
                + " POSTLOG_SERVICE POSTLOG_HOSTNAME XDG_RUNTIME_DIR");
        str(m, "daemon_directory", "/usr/libexec/postfix");
        str(m, "queue_directory", "/var/spool/postfix");
        str(m, "config_directory", "/etc/postfix");
        str(m, "data_directory", "/var/lib/postfix");
        str(m, "mail_owner", "postfix");
        str(m, "setgid_group", "postdrop");
        m.put("compatibility_level", new Spec("compatibility_level", Kind.COMPAT_LEVEL, "0", 0, 0, 's'));
        integer(m, "tcp_windowsize", "0", 0);
        m.put("known_tcp_ports", new Spec("known_tcp_ports", Kind.KNOWN_TCP_PORTS,
                "lmtp=24, smtp=25, smtps=submissions=465, submission=587", 0, 0, 's'));
        str(m, "debugger_command", "");
        str(m, "multi_instance_name", "");
        str(m, "syslog_name", "${multi_instance_name?{$multi_instance_name}:{postfix}}");
        str(m, "syslog_facility", "mail");
        str(m, "maillog_file", "");
        list(m, "maillog_file_prefixes", "/var, /dev/stdout");
        str(m, "postlog_service_name", "postlog");
        str(m, "myhostname", "localhost"); // replaced by the host's name, see builtinDefaults()
        str(m, "mail_name", "Postfix");
        str(m, "process_name", "master");
        str(m, "process_id", "0"); // replaced by this process's id, see builtinDefaults()
        str(m, "mail_version", "");
        // children's timers, read here only for validation and for jmaster's Java services
        time(m, "daemon_timeout", "18000s", 1, 's');
        time(m, "ipc_timeout", "3600s", 1, 's');
        time(m, "in_flow_delay", "1s", 0, 's');
        // jmaster's own
        integer(m, "master_cf_size_limit", "1048576", 1024);
        time(m, "service_throttle_max_time", "3600s", 1, 's');
        time(m, "master_shutdown_grace_time", "5s", 0, 's');
        str(m, "master_control_socket", "$queue_directory/pid/master.ctl");
        str(m, "master_control_group", "");
        m.put("master_metrics_listen", new Spec("master_metrics_listen", Kind.METRICS_ENDPOINT, "", 0, 0, 's'));
        m.put("master_nice", new Spec("master_nice", Kind.INT, "0", -20, 19, 's'));
        return Collections.unmodifiableMap(m);
    }

    private static void str(Map<String, Spec> m, String name, String def) {
        m.put(name, new Spec(name, Kind.STRING, def, 0, 0, 's'));
    }

    private static void list(Map<String, Spec> m, String name, String def) {
        m.put(name, new Spec(name, Kind.LIST, def, 0, 0, 's'));
    }

    private static void integer(Map<String, Spec> m, String name, String def, long min) {
        m.put(name, new Spec(name, Kind.INT, def, min, Integer.MAX_VALUE, 's'));
    }

    private static void time(Map<String, Spec> m, String name, String def, long min, char unit) {
        m.put(name, new Spec(name, Kind.TIME, def, min, Integer.MAX_VALUE, unit));
    }

    /** The spec of a known parameter, or null. */
    static Spec spec(String name) {
        return SPECS.get(name);
    }

    /** Every known parameter, in table order. */
    static Map<String, Spec> all() {
        return SPECS;
    }

    /** Built-in default values (raw), with the host name and process id filled in. */
    static Map<String, String> builtinDefaults() {
        Map<String, String> d = new LinkedHashMap<>();
        SPECS.values().forEach(s -> d.put(s.name(), s.defaultValue()));
        d.put("myhostname", HostName.NAME);
        d.put("process_id", Long.toString(ProcessHandle.current().pid()));
        return d;
    }

    /** The local host's name, looked up once, on first use. */
    private static final class HostName {
        static final String NAME = lookup();

        private static String lookup() {
            try {
                String name = InetAddress.getLocalHost().getCanonicalHostName();
                return name == null || name.isEmpty() ? "localhost" : name;
            } catch (java.io.IOException | RuntimeException e) {
                return "localhost";
            }
        }
    }
}
