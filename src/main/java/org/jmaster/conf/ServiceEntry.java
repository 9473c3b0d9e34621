package org.jmaster.conf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One validated master.cf service entry: everything a spawner needs, as written and as
 * interpreted (protocol doc §1.2–§1.7).
 *
 * @param file              master.cf path
 * @param line              first physical line of the entry
 * @param extName           field 1 exactly as written (logs, {@code -n})
 * @param type              field 2
 * @param name              canonical name: {@code private/x} or {@code public/x} for unix,
 *                          unix-dgram, fifo and pass; for inet {@code 25}, {@code [127.0.0.1]:25},
 *                          {@code [host]:25}
 * @param privateAccess     field 3
 * @param unprivileged      field 4
 * @param chroot            field 5
 * @param wakeupSeconds     field 6; 0 = no wakeup
 * @param conditionalWakeup field 6 was {@code N?} with N &gt; 0
 * @param maxProc           field 7; 0 = unlimited ({@code -} is {@code default_process_limit})
 * @param command           field 8 as written
 * @param args              the arguments after brace stripping, without {@code -M} pairs
 * @param attributes        the {@code -M} attributes
 * @param inetHost          inet only: the host without brackets or {@code ipv6:} prefix; null
 *                          when there is none (listen per {@code inet_interfaces}) and for
 *                          other types
 * @param inetPort          inet only: the numeric port; -1 for other types
 * @param settings          the {@code -M} attributes resolved and typed, defaults filled in
 */
public record ServiceEntry(
        Path file, int line,
        String extName,
        ServiceType type,
        String name,
        boolean privateAccess, boolean unprivileged, boolean chroot,
        int wakeupSeconds,
        boolean conditionalWakeup,
        int maxProc,
        String command,
        List<String> args,
        ServiceAttributes attributes,
        String inetHost,
        int inetPort,
        ServiceSettings settings) {

    /** An entry whose settings are resolved from {@code attributes}. */
    public ServiceEntry(Path file, int line, String extName, ServiceType type, String name, boolean privateAccess,
                        boolean unprivileged, boolean chroot, int wakeupSeconds, boolean conditionalWakeup,
                        int maxProc, String command, List<String> args, ServiceAttributes attributes,
                        String inetHost, int inetPort) {
        this(file, line, extName, type, name, privateAccess, unprivileged, chroot, wakeupSeconds, conditionalWakeup,
                maxProc, command, args, attributes, inetHost, inetPort, ServiceSettings.of(extName, attributes));
    }

    public ServiceEntry {
        Objects.requireNonNull(extName, "extName");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(command, "command");
        args = List.copyOf(args);
        Objects.requireNonNull(attributes, "attributes");
        Objects.requireNonNull(settings, "settings");
    }

    /** {@code -M protocol}. */
    public Protocol protocol() {
        return settings.protocol();
    }

    /** The service's identity: canonical name and type. */
    public ServiceKey key() {
        return new ServiceKey(name, type);
    }

    /**
     * {@code daemonDirectory + "/" + command}, as Postfix builds it (no PATH search); jmaster uses an
     * absolute command (an ordinary program such as {@code /bin/cat}) as it is.
     */
    public Path execPath(Path daemonDirectory) {
        return command.startsWith("/") ? Path.of(command) : Path.of(daemonDirectory.toString() + "/" + command);
    }

    /** Whether the child may be told about stress: not local-only and more than one process. */
    public boolean stressEligible(boolean localOnly) {
        return !localOnly && maxProc > 1;
    }

    /**
     * The child's argv, exactly by protocol doc §3.6: command, {@code -l}/{@code -z},
     * {@code -n ext} when the command's basename differs, {@code -t type}, {@code -d},
     * {@code -v}, {@code -u}, {@code -c}, {@code -o stress=} or {@code -o stress=yes},
     * {@code -s N} when N &gt; 1, then the arguments.
     *
     * @param includeStressArg {@code !localOnly && maxProc > 1}; the caller knows localOnly
     *                         after resolving addresses (see {@link #stressEligible})
     * @param stressed         the child runs under stress: {@code stress=yes} instead of
     *                         {@code stress=}
     */
    public List<String> childArgv(boolean debug, boolean verbose, int listenFdCount,
                                  boolean includeStressArg, boolean stressed) {
        List<String> argv = new ArrayList<>();
        argv.add(command);
        if (maxProc == 1) {
            argv.add("-l");
        }
        if (maxProc == 0) {
            argv.add("-z");
        }
        if (!basename(command).equals(extName)) {
            argv.add("-n");
            argv.add(extName);
        }
        argv.add("-t");
        argv.add(type.wireName());
        if (debug) {
            argv.add("-d");
        }
        if (verbose) {
            argv.add("-v");
        }
        if (unprivileged) {
            argv.add("-u");
        }
        if (chroot) {
            argv.add("-c");
        }
        if (includeStressArg) {
            argv.add("-o");
            argv.add(stressed ? "stress=yes" : "stress=");
        }
        if (listenFdCount > 1) {
            argv.add("-s");
            argv.add(Integer.toString(listenFdCount));
        }
        argv.addAll(args);
        return List.copyOf(argv);
    }

    /**
     * The {@code -o name=value} settings among the arguments, both forms, split like the child
     * does (whitespace around name and {@code =} removed); malformed ones are skipped.
     */
    public Map<String, String> parameterOverrides() {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.size(); i++) {
            if (args.get(i).equals("-o")) {
                NameValue.Parsed p = NameValue.split(args.get(i + 1));
                if (p.pair() != null) {
                    out.put(p.pair().name(), p.pair().value());
                }
                i++;
            }
        }
        return out;
    }

    private static String basename(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }
}
