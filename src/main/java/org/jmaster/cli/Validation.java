package org.jmaster.cli;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jmaster.conf.ConfigError;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.MainConfig;
import org.jmaster.conf.Protocol;
import org.jmaster.conf.ServiceEntry;
import org.jmaster.conf.ServiceSettings;
import org.jmaster.conf.ServiceTable;
import org.jmaster.conf.ServiceType;
import org.jmaster.nativ.Users;
import org.jmaster.nativ.UncheckedNativeException;
import org.jmaster.net.AddressResolver;
import org.jmaster.supervisor.ChildIdentity;

/**
 * The one validation of a configuration directory. Start-up, reload (SIGHUP), {@code --check} and the
 * {@code reload} command all run it, so they accept and refuse the same files with the same words.
 *
 * <p>It reads main.cf and master.cf and reports every error of both (after a broken main.cf, master.cf
 * is still read, against main.cf with its broken settings at their defaults), then checks what
 * start-up would otherwise only find while starting: the host names of inet services, the users and
 * groups a child runs as, {@code master_control_group}, a chroot column without root. Errors stop a
 * start (and keep the running table at a reload); warnings do not: a command missing from
 * {@code daemon_directory} or not executable, an unusable {@code mail_owner} for a child the master
 * must drop to it. Those children cannot start, and their service throttles, but the master runs.
 *
 * <p>For each service it also works out what a child really gets (argv, executable, user,
 * descriptors), which {@code --check} prints. Nothing is opened or bound.
 */
final class Validation {
    private Validation() {}

    /** What one service's children get. */
    record Child(ServiceEntry entry, List<String> endpoints, List<String> argv, Path exec, String user,
                 String jail, String fds) {}

    /**
     * The outcome: {@code main} is always usable for reporting (see {@link MainConfig.Read});
     * {@code table} is null when master.cf is broken; {@code children} lists the services that
     * could be worked out.
     */
    record Result(MainConfig main, ServiceTable table, List<ConfigError> errors, List<ConfigError> warnings,
                  List<Child> children) {
        boolean ok() {
            return errors.isEmpty();
        }
    }

    /**
     * Validates {@code read} (main.cf, already read) and the master.cf beside it, for a master that
     * runs as root when {@code root}, with {@code -d} ({@code debug}) and {@code -v} ({@code verbose}).
     */
    static Result run(MainConfig.Read read, boolean root, boolean debug, boolean verbose) {
        return run(read, root, debug, verbose, true);
    }

    /**
     * {@link #run}; without {@code resolveHosts} the host names of inet services are not looked up
     * (the master's own reload, on its event loop, which must not wait for DNS: it resolves a new
     * service's name when it opens it, and keeps an existing service's addresses).
     */
    static Result run(MainConfig.Read read, boolean root, boolean debug, boolean verbose, boolean resolveHosts) {
        MainConfig main = read.config();
        List<ConfigError> errors = new ArrayList<>(read.errors());
        List<ConfigError> warnings = new ArrayList<>(main.warnings());
        ServiceTable table = null;
        try {
            table = ServiceTable.load(main.configDirectory(), main);
            warnings.addAll(table.warnings());
        } catch (ConfigException e) {
            errors.addAll(e.errors());
        }
        String group = main.get("master_control_group");
        if (!group.isEmpty() && lookupGroup(group)) {
            errors.add(new ConfigError(main.file(), main.line("master_control_group"),
                    "master_control_group: unknown group \"" + group + "\""));
        }
        List<Child> children = new ArrayList<>();
        if (table == null) {
            return new Result(main, null, errors, warnings, children);
        }
        AddressResolver resolver = null;
        try {
            resolver = AddressResolver.forProtocols(main.getList("inet_protocols"));
        } catch (AddressResolver.ResolveException e) {
            errors.add(new ConfigError(main.file(), main.line("inet_protocols"), e.getMessage()));
        }
        Users.Passwd mailOwner = null;
        String mailOwnerProblem = null;
        try {
            mailOwner = ChildIdentity.mailOwner(main.get("mail_owner"));
        } catch (IllegalArgumentException | UncheckedNativeException e) {
            mailOwnerProblem = e.getMessage();
        }
        Path daemonDir = Path.of(main.get("daemon_directory"));
        int errorsBefore = errors.size();
        for (ServiceEntry e : table.services()) {
            if (e.chroot() && !root) {
                errors.add(new ConfigError(e.file(), e.line(), "service " + e.extName()
                        + " wants chroot, which needs the superuser; set the chroot column to n or run as root"));
            }
            List<String> endpoints = new ArrayList<>();
            boolean localOnly = e.type() != ServiceType.PASS;
            if (e.type() == ServiceType.INET) {
                if (resolver == null) {
                    continue;
                }
                if (!resolveHosts && e.inetHost() != null) {
                    endpoints.add(e.name());
                    localOnly = false;
                } else {
                    try {
                        List<InetAddress> addrs = e.inetHost() != null ? resolver.host(e.inetHost())
                                : resolver.interfaces(main.getList("inet_interfaces"));
                        for (InetAddress a : addrs) {
                            String h = a instanceof Inet6Address ? "[" + a.getHostAddress() + "]" : a.getHostAddress();
                            endpoints.add(h + ":" + e.inetPort());
                        }
                        localOnly = AddressResolver.allLoopback(addrs);
                    } catch (AddressResolver.ResolveException ex) {
                        errors.add(new ConfigError(e.file(), e.line(), ex.getMessage()));
                        continue;
                    }
                }
            } else {
                endpoints.add(e.name());
            }
            String user;
            try {
                ChildIdentity identity = ChildIdentity.of(e);
                if (identity.needsMailOwner() && root && mailOwner == null) {
                    warnings.add(new ConfigError(e.file(), e.line(), "service " + e.extName()
                            + ": the unprivileged column is y: " + mailOwnerProblem + "; its children cannot start"));
                    user = "(none: mail_owner has no usable entry, the child cannot start)";
                } else {
                    user = identity.describe(mailOwner, root);
                }
            } catch (ConfigException ex) {
                errors.addAll(ex.errors());
                continue;
            }
            int listeners = Math.max(1, endpoints.size());
            List<String> argv;
            if (e.protocol() == Protocol.POSTFIX) {
                argv = e.childArgv(debug, verbose, listeners, e.stressEligible(localOnly), false);
            } else {
                // inetd and systemd children get master.cf's command line as written (no -u, -c, ...)
                argv = new ArrayList<>();
                argv.add(e.command());
                argv.addAll(e.args());
            }
            Path exec = e.execPath(daemonDir);
            String jail = jail(main, e);
            commandProblem(jail == null ? exec : Path.of(jail, exec.toString()))
                    .ifPresent(p -> warnings.add(new ConfigError(e.file(), e.line(), "service " + e.extName()
                            + ": cannot execute " + (jail == null ? "" : "(in the jail " + jail + ") ") + exec
                            + ": " + p + "; its children cannot start")));
            children.add(new Child(e, endpoints, List.copyOf(argv), exec, user, jail, descriptors(e, listeners)));
        }
        // errors in file order, whatever check found them
        List<ConfigError> late = new ArrayList<>(errors.subList(errorsBefore, errors.size()));
        errors.subList(errorsBefore, errors.size()).clear();
        late.sort((a, b) -> Integer.compare(a.line(), b.line()));
        errors.addAll(late);
        return new Result(main, table, errors, warnings, children);
    }

    /** True when {@code group} has no entry (the master could not give it the control socket). */
    private static boolean lookupGroup(String group) {
        try {
            return Users.getgrnam(group).isEmpty();
        } catch (RuntimeException e) {
            return true;
        }
    }

    /** Why {@code path} cannot be executed, if it cannot. */
    private static java.util.Optional<String> commandProblem(Path path) {
        if (!Files.exists(path)) {
            return java.util.Optional.of("No such file or directory");
        }
        if (!Files.isRegularFile(path)) {
            return java.util.Optional.of("not a regular file");
        }
        if (!Files.isExecutable(path)) {
            return java.util.Optional.of("Permission denied (not executable)");
        }
        return java.util.Optional.empty();
    }

    /**
     * The root directory the exec step gives the child, or null: {@code -M chroot}, or for
     * inetd/systemd children the chroot column's {@code queue_directory}. Postfix daemons chroot
     * themselves after exec ({@code -c}), so their command is found outside.
     */
    private static String jail(MainConfig main, ServiceEntry e) {
        return e.settings().exec().chroot()
                .orElse(e.chroot() && e.protocol() != Protocol.POSTFIX ? main.get("queue_directory") : null);
    }

    /** The descriptors a child starts with, by protocol (protocol.md, accept-mode.md, prefork-systemd.md). */
    static String descriptors(ServiceEntry e, int listeners) {
        String stderr = switch (e.settings().stderr()) {
            case LOG -> "2 to the log";
            case NULL -> "2 /dev/null";
            case INHERIT -> "2 the master's";
        };
        String std = e.settings().stderr() == ServiceSettings.Stderr.INHERIT ? "0-2 the master's"
                : "0-1 the master's, " + stderr;
        return switch (e.protocol()) {
            case POSTFIX -> std + ", 3-4 flow pipe, 5 status channel, "
                    + range(6, listeners) + (listeners > 1 ? " listeners" : " listener");
            case INETD -> "0-1 the connection, " + stderr;
            case SYSTEMD -> std + ", " + range(3, listeners)
                    + (listeners > 1 ? " listeners" : " listener") + " (LISTEN_FDS=" + listeners + ")";
        };
    }

    private static String range(int first, int count) {
        return count > 1 ? first + "-" + (first + count - 1) : Integer.toString(first);
    }
}
