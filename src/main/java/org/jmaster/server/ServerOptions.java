package org.jmaster.server;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line a master gives a child, parsed as Postfix's skeletons parse it (protocol doc
 * §3.7): {@code getopt} with Postfix's option string for the skeleton, stopping at the first
 * argument that is not an option (Linux Postfix passes {@code "+"}); what follows belongs to the
 * service. {@code -i} and {@code -m} are shorthands for {@code -o max_idle=} and
 * {@code -o max_use=} and take their place in the order of overrides, so the last one wins.
 *
 * @param chroot       {@code -c}: chroot to {@code queue_directory}
 * @param foreground   {@code -d}: the master runs in the foreground; jmaster's services then also log to standard error
 * @param debugger     {@code -D}: run {@code debugger_command} at start
 * @param solitary     {@code -l}: the service's process limit is 1 (no accept lock)
 * @param serviceName  {@code -n}: the service name; null when absent (the program name then)
 * @param overrides    {@code -o name=value}, {@code -i}, {@code -m}, in order (later ones win)
 * @param retireSeconds {@code -r}: leave after this many seconds (single servers), 0 when absent
 * @param socketCount  {@code -s}: the number of listeners at 6, 7, … (1 when absent)
 * @param standalone   {@code -S}: serve one client on standard input and output, without a master
 * @param transport    {@code -t}: inet, unix, unix-dgram, fifo or pass; null when absent
 * @param unprivileged {@code -u}: drop to {@code mail_owner}
 * @param verbose      how many {@code -v}
 * @param stderrLog    {@code -V}: log to standard error as well
 * @param unlimited    {@code -z}: the service has no process limit
 * @param arguments    the service's own arguments, after the options
 */
public record ServerOptions(boolean chroot, boolean foreground, boolean debugger, boolean solitary,
                            String serviceName, Map<String, String> overrides, int retireSeconds,
                            int socketCount, boolean standalone, String transport, boolean unprivileged,
                            int verbose, boolean stderrLog, boolean unlimited, List<String> arguments) {

    /** Postfix's single_server options. */
    public static final String SINGLE = "cdDi:lm:n:o:r:s:St:uvVz";
    /** Postfix's multi_server options. */
    public static final String MULTI = "cdDi:lm:n:o:s:St:uvVz";
    /** Postfix's trigger_server options. */
    public static final String TRIGGER = "cdDi:lm:n:o:s:St:uvVz";

    /** A command line the skeleton cannot run with; the message is what Postfix would log as fatal. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** Parses {@code args} (without argv[0]) against a getopt option string such as {@link #SINGLE}. */
    public static ServerOptions parse(String[] args, String optstring) throws UsageException {
        boolean chroot = false;
        boolean foreground = false;
        boolean debugger = false;
        boolean solitary = false;
        String name = null;
        Map<String, String> overrides = new LinkedHashMap<>();
        int retire = 0;
        int sockets = 1;
        boolean standalone = false;
        String transport = null;
        boolean unprivileged = false;
        int verbose = 0;
        boolean stderrLog = false;
        boolean unlimited = false;
        int i = 0;
        while (i < args.length) {
            String a = args[i];
            if (a.equals("--")) {
                i++;
                break;
            }
            if (a.length() < 2 || a.charAt(0) != '-') {
                break;
            }
            i++;
            for (int k = 1; k < a.length(); k++) {
                char c = a.charAt(k);
                int at = optstring.indexOf(c);
                if (c == ':' || at < 0) {
                    throw new UsageException("invalid option: -" + c);
                }
                String value = null;
                if (at + 1 < optstring.length() && optstring.charAt(at + 1) == ':') {
                    if (k + 1 < a.length()) {
                        value = a.substring(k + 1);
                    } else if (i < args.length) {
                        value = args[i++];
                    } else {
                        throw new UsageException("option requires an argument: -" + c);
                    }
                    k = a.length();
                }
                switch (c) {
                    case 'c': chroot = true; break;
                    case 'd': foreground = true; break;
                    case 'D': debugger = true; break;
                    case 'i': put(overrides, "max_idle", value); break;
                    case 'l': solitary = true; break;
                    case 'm': put(overrides, "max_use", value); break;
                    case 'n': name = value; break;
                    case 'o': override(overrides, value); break;
                    case 'r': retire = positive(value, "invalid retire time: "); break;
                    case 's': sockets = positive(value, "invalid socket_count: "); break;
                    case 'S': standalone = true; break;
                    case 't': transport = value; break;
                    case 'u': unprivileged = true; break;
                    case 'v': verbose++; break;
                    case 'V': stderrLog = true; break;
                    case 'z': unlimited = true; break;
                    default: throw new UsageException("invalid option: -" + c);
                }
            }
        }
        List<String> rest = new ArrayList<>();
        for (; i < args.length; i++) {
            rest.add(args[i]);
        }
        if (transport == null && !standalone) {
            throw new UsageException("no transport type specified");
        }
        return new ServerOptions(chroot, foreground, debugger, solitary, name,
                Collections.unmodifiableMap(overrides), retire, sockets, standalone, transport, unprivileged,
                verbose, stderrLog, unlimited, List.copyOf(rest));
    }

    /** {@code name=value} or {@code name = value}, as Postfix's split_nameval reads it. */
    private static void override(Map<String, String> overrides, String text) throws UsageException {
        int eq = text.indexOf('=');
        String name = eq < 0 ? "" : text.substring(0, eq).trim();
        if (eq < 0) {
            throw new UsageException("invalid \"-o " + text + "\" option value: missing '=' after attribute name");
        }
        if (name.isEmpty()) {
            throw new UsageException("invalid \"-o " + text + "\" option value: missing attribute name");
        }
        put(overrides, name, text.substring(eq + 1).trim());
    }

    private static void put(Map<String, String> overrides, String name, String value) {
        overrides.remove(name); // re-insert so that iteration order is the order of the last setting
        overrides.put(name, value);
    }

    private static int positive(String value, String error) throws UsageException {
        try {
            int n = Integer.parseInt(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(error + value);
    }
}
