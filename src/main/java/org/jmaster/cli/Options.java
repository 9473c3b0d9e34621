package org.jmaster.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The master's command line: {@code master [-Ddtvw] [-c config_dir] [-e exit_time]} with Postfix's
 * meaning, plus {@code --check}, {@code -h}/{@code --help} and {@code --version}. Parsing stops at the first
 * operand, which is an error, as with Postfix's {@code +} getopt.
 *
 * @param configDir  {@code -c}, empty when not given
 * @param debugger   {@code -D}: run {@code debugger_command} on the master
 * @param foreground {@code -d}: stay in the foreground, children get {@code -d}
 * @param exitTime   {@code -e}: seconds after start-up at which the master exits, empty when not given
 * @param test       {@code -t}: exit 0 when no master runs, 1 when one does
 * @param verbose    number of {@code -v}
 * @param waitInit   {@code -w}: wait for the daemon's initialisation (jmaster always does when detaching)
 * @param check      {@code --check}: validate both files, print the table, exit
 * @param daemonPipe internal: the detached daemon's start-up report descriptor (set by the launcher process)
 * @param initMode   {@code -i}: run as PID 1 (init of a container)
 * @param command    an operator command ({@code status}, {@code children}, {@code reload}, {@code stop},
 *                   {@code abort}, {@code check}) instead of running a master
 * @param json       {@code --json}: machine-readable output of {@code status} and {@code children}
 * @param keepStdout {@code -s}: as Postfix's {@code master -s} (what {@code postfix start-fg} runs): stay in the
 *                   foreground with standard output kept, unless {@code -w} asks for detaching
 */
public record Options(Optional<String> configDir, boolean debugger, boolean foreground, Optional<Integer> exitTime,
                      boolean test, int verbose, boolean waitInit, boolean check, boolean help, boolean version,
                      int daemonPipe, boolean initMode, Optional<String> command, boolean json,
                      boolean keepStdout) {

    /** The operator commands, talking to a running master. */
    public static final java.util.Set<String> COMMANDS = java.util.Set.of("status", "children", "reload", "stop",
            "abort", "check");

    /** A command line that cannot be obeyed; the message is printed with the usage line. */
    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    public static final String USAGE = "usage: master [-Ddistvw] [-c config_dir] [-e exit_time]\n"
            + "       master [-c config_dir] --check\n"
            + "       master [-c config_dir] status [--json] | children [--json] | reload | stop | abort | check\n"
            + "       master -h | --help | --version";

    /** {@code -h}, {@code --help}: every option and command in a line; {@code program} is the name run. */
    static String help(String program) {
        return USAGE.replace("master ", program + " ") + "\n\n"
                + "Runs the services of master.cf (Postfix's syntax) and keeps their children, as Postfix's master(8).\n"
                + "\n"
                + "Options:\n"
                + "  -c DIR      configuration directory with main.cf and master.cf (default: $MAIL_CONFIG,\n"
                + "              else " + org.jmaster.conf.ConfigDirectory.DEFAULT + ")\n"
                + "  -d          stay in the foreground; the log also goes to standard error; children get -d\n"
                + "  -D          run main.cf's debugger_command on the master once it holds its lock files\n"
                + "  -e SECONDS  exit that many seconds after start-up (children leave when idle)\n"
                + "  -i          init mode: PID 1 of a container; foreground, reaps orphans, SIGTERM exits 0\n"
                + "  -s          stay in the foreground with standard output kept (what postfix start-fg runs)\n"
                + "  -t          test: exit 0 when no master runs for this configuration, 1 when one does\n"
                + "  -v          verbose log (debug lines); children get -v\n"
                + "  -w          wait until the detached daemon serves (always done; accepted as in Postfix)\n"
                + "  --check     validate both files: print every error and warning, then each service with\n"
                + "              the argv, executable, user and descriptors its children get; exit 1 on errors\n"
                + "  --json      with status or children: JSON instead of a table\n"
                + "  -h, --help  this text;  --version  the version\n"
                + "Without -d, -i or -s the master detaches, and exits 0 once it serves (1 with the reason).\n"
                + "\n"
                + "Commands (to the master running with this configuration):\n"
                + "  status      the master and each service: children idle/busy, spawns, exits, throttle\n"
                + "  children    every child: pid, service, state, uses, age, generation\n"
                + "  reload      validate both files; when they are valid, make the master re-read them\n"
                + "  stop        stop the master: children get SIGTERM, SIGKILL after master_shutdown_grace_time\n"
                + "  abort       kill every child at once and stop the master\n"
                + "  check       the same as --check\n"
                + "\n"
                + "Manual: man jmaster (docs/master.8.md); the files: man jmaster.cf (docs/master.5.md).\n";
    }

    /** Internal option naming the descriptor on which a detached daemon reports start-up. */
    static final String DAEMON_PIPE = "--daemon-pipe";

    public static Options parse(String[] args) throws UsageException {
        Optional<String> configDir = Optional.empty();
        boolean debugger = false, foreground = false, test = false, waitInit = false;
        boolean check = false, help = false, version = false, initMode = false, json = false, keepStdout = false;
        Optional<Integer> exitTime = Optional.empty();
        int verbose = 0;
        int daemonPipe = -1;
        List<String> operands = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-") || a.equals("-")) {
                operands.add(a);
                continue;
            }
            if (a.equals("--")) {
                for (int j = i + 1; j < args.length; j++) {
                    operands.add(args[j]);
                }
                break;
            }
            if (a.startsWith("--")) {
                switch (a) {
                    case "--check": check = true; break;
                    case "--help": help = true; break;
                    case "--version": version = true; break;
                    case "--json": json = true; break;
                    case DAEMON_PIPE:
                        daemonPipe = parseInt(a, value(args, ++i, a));
                        break;
                    default: throw new UsageException("unknown option: " + a);
                }
                continue;
            }
            for (int k = 1; k < a.length(); k++) {
                char c = a.charAt(k);
                switch (c) {
                    case 'D': debugger = true; break;
                    case 'h': help = true; break;
                    case 'd': foreground = true; break;
                    case 't': test = true; break;
                    case 'i': initMode = true; break;
                    case 's': keepStdout = true; break;
                    case 'v': verbose++; break;
                    case 'w': waitInit = true; break;
                    case 'c':
                    case 'e': {
                        String v = k + 1 < a.length() ? a.substring(k + 1) : value(args, ++i, "-" + c);
                        if (c == 'c') {
                            configDir = Optional.of(v);
                        } else {
                            exitTime = Optional.of(parseInt("-e", v));
                        }
                        k = a.length();
                        break;
                    }
                    default: throw new UsageException("invalid option -- '" + c + "'");
                }
            }
        }
        Optional<String> command = Optional.empty();
        if (!operands.isEmpty()) {
            if (operands.size() > 1 || !COMMANDS.contains(operands.get(0))) {
                throw new UsageException("unexpected argument: " + operands.get(operands.size() > 1
                        && COMMANDS.contains(operands.get(0)) ? 1 : 0));
            }
            command = Optional.of(operands.get(0));
        }
        if (test && waitInit) {
            throw new UsageException("the -t and -w options cannot be used together");
        }
        if (initMode && (debugger || foreground || waitInit)) {
            throw new UsageException("the -i option cannot be used with -D, -d, or -w");
        }
        if (json && command.filter(c -> c.equals("status") || c.equals("children")).isEmpty()) {
            throw new UsageException("--json goes with status or children");
        }
        return new Options(configDir, debugger, foreground, exitTime, test, verbose, waitInit, check, help,
                version, daemonPipe, initMode, command, json, keepStdout);
    }

    private static String value(String[] args, int i, String option) throws UsageException {
        if (i >= args.length) {
            throw new UsageException("option requires an argument -- '" + option + "'");
        }
        return args[i];
    }

    private static int parseInt(String option, String v) throws UsageException {
        if (!v.matches("\\d{1,9}")) {
            throw new UsageException(option + ": bad value: \"" + v + "\"");
        }
        return Integer.parseInt(v);
    }
}
