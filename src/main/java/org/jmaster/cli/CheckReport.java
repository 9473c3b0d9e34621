package org.jmaster.cli;

import java.io.PrintStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.MainConfig;
import org.jmaster.conf.Protocol;
import org.jmaster.conf.ServiceEntry;
import org.jmaster.conf.ServiceTable;
import org.jmaster.conf.ServiceType;
import org.jmaster.nativ.UncheckedNativeException;
import org.jmaster.nativ.Users;
import org.jmaster.net.AddressResolver;
import org.jmaster.supervisor.ChildIdentity;

/**
 * {@code --check}: the effective service table, one service per line, with the endpoints, the
 * exact argv each child would get and the user it runs as (as the master would start it: as root
 * when {@code --check} runs as root). Nothing is opened or bound.
 */
final class CheckReport {
    private CheckReport() {}

    /** Prints the table; returns problems found while resolving endpoints. */
    static List<String> print(PrintStream out, MainConfig main, ServiceTable table, boolean debug, boolean verbose) {
        List<String> problems = new ArrayList<>();
        AddressResolver resolver = null;
        try {
            resolver = AddressResolver.forProtocols(main.getList("inet_protocols"));
        } catch (AddressResolver.ResolveException e) {
            problems.add(main.get("config_directory") + "/main.cf: " + e.getMessage());
        }
        Path daemonDir = Path.of(main.get("daemon_directory"));
        boolean root = Users.geteuid() == 0;
        Users.Passwd mailOwner = null;
        String mailOwnerProblem = null;
        try {
            mailOwner = ChildIdentity.mailOwner(main.get("mail_owner"));
        } catch (IllegalArgumentException | UncheckedNativeException e) {
            mailOwnerProblem = e.getMessage();
        }
        out.printf("%-20s %-10s %-7s %-7s %-32s %s%n", "service", "type", "maxproc", "wakeup", "endpoints", "argv");
        for (ServiceEntry e : table.services()) {
            List<String> endpoints = new ArrayList<>();
            boolean localOnly = e.type() != ServiceType.PASS;
            if (e.type() == ServiceType.INET && resolver != null) {
                try {
                    List<InetAddress> addrs = e.inetHost() != null ? resolver.host(e.inetHost())
                            : resolver.interfaces(main.getList("inet_interfaces"));
                    for (InetAddress a : addrs) {
                        String h = a instanceof Inet6Address ? "[" + a.getHostAddress() + "]" : a.getHostAddress();
                        endpoints.add(h + ":" + e.inetPort());
                    }
                    localOnly = AddressResolver.allLoopback(addrs);
                } catch (AddressResolver.ResolveException ex) {
                    problems.add(e.file() + ", line " + e.line() + ": " + ex.getMessage());
                }
            } else {
                endpoints.add(e.name());
            }
            int fds = Math.max(1, endpoints.size());
            List<String> argv;
            if (e.protocol() == Protocol.POSTFIX) {
                argv = e.childArgv(debug, verbose, fds, !localOnly && e.maxProc() > 1, false);
            } else {
                // inetd and systemd children get master.cf's command line as written (no -u, -c, ...)
                argv = new ArrayList<>();
                argv.add(e.command());
                argv.addAll(e.args());
            }
            String runsAs;
            try {
                ChildIdentity identity = ChildIdentity.of(e);
                if (identity.needsMailOwner() && root && mailOwner == null) {
                    problems.add(e.file() + ", line " + e.line() + ": the unprivileged column is y: " + mailOwnerProblem);
                    runsAs = "(none: mail_owner has no usable entry, the child cannot start)";
                } else {
                    runsAs = identity.describe(mailOwner, root);
                }
            } catch (ConfigException ex) {
                ex.errors().forEach(err -> problems.add(err.toString()));
                runsAs = "(none: unknown user or group, the child cannot start)";
            }
            String wakeup = e.wakeupSeconds() == 0 ? "-" : e.wakeupSeconds() + (e.conditionalWakeup() ? "?" : "");
            String maxproc = e.maxProc() == 0 ? "0" : Integer.toString(e.maxProc());
            out.printf("%-20s %-10s %-7s %-7s %-32s %s%n", e.extName(), e.type().wireName(), maxproc, wakeup,
                    String.join(",", endpoints), String.join(" ", quoted(argv)) + "    # " + e.execPath(daemonDir) + ", as " + runsAs + jail(main, e));
        }
        return problems;
    }

    /**
     * The root directory the exec step gives the child: {@code -M chroot}, or for inetd/systemd
     * children the chroot column's {@code queue_directory} (Postfix daemons chroot themselves: {@code -c}).
     */
    private static String jail(MainConfig main, ServiceEntry e) {
        String dir = e.settings().exec().chroot()
                .orElse(e.chroot() && e.protocol() != Protocol.POSTFIX ? main.get("queue_directory") : null);
        return dir == null ? "" : ", chroot " + dir;
    }

    private static List<String> quoted(List<String> argv) {
        List<String> out = new ArrayList<>();
        for (String a : argv) {
            out.add(a.isEmpty() || a.matches(".*[\\s'\"\\\\].*") ? "'" + a.replace("'", "'\\''") + "'" : a);
        }
        return out;
    }
}
