package org.jmaster.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jmaster.conf.ConfigDirectory;
import org.jmaster.conf.ConfigError;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.MainConfig;
import org.jmaster.conf.ServiceTable;
import org.jmaster.control.ControlServer;
import org.jmaster.control.MetricsServer;
import org.jmaster.control.Notifier;
import org.jmaster.log.MasterLog;
import org.jmaster.log.LogSink;
import org.jmaster.log.Severity;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Users;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.Signals;
import org.jmaster.nativ.SyslogSocket;
import org.jmaster.net.SocketActivation;
import org.jmaster.supervisor.Supervisor;
import org.jmaster.supervisor.Upgrade;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code master} command: parses the command line, reads the configuration, takes the lock
 * files, detaches (or not), and hands over to the {@link Supervisor}. Exit status 0 on success,
 * 1 on any fatal error, 128 + signal after SIGTERM/SIGINT.
 */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger("master");

    private final Options opts;
    private final Path configDir;
    private final boolean defaultConfigDir;
    private final Map<String, String> compiledDefaults;
    // binary upgrade: what this master was handed (null when started by hand), and what it hands on
    private Handover handover;
    private PidLock pidLock;
    private PidLock dataLock;
    private ControlServer control;
    private MetricsServer metrics;
    /**
     * Whether this process reports through the log ({@code <syslog_name>/master[pid]: fatal: ...}): a
     * master in the foreground, whose standard error is a log destination, or the detached daemon.
     * Otherwise it is a command on the operator's terminal ({@link Terminal}).
     */
    private final boolean logChannel;

    private Main(Options opts, Path configDir, boolean defaultConfigDir) {
        this.opts = opts;
        this.configDir = configDir;
        this.defaultConfigDir = defaultConfigDir;
        this.compiledDefaults = Map.of(
                "daemon_directory", System.getProperty("jmaster.daemon_directory", home().resolve("services").toString()),
                "mail_version", Version.VERSION);
        this.logChannel = opts.command().isEmpty() && !opts.check() && !opts.test()
                && (foreground(opts) || opts.daemonPipe() >= 0);
    }

    public static void main(String[] args) {
        Options opts;
        try {
            opts = Options.parse(args);
        } catch (Options.UsageException e) {
            Terminal.say(e.getMessage());
            System.err.println(Options.USAGE.replace("master ", Terminal.program() + " "));
            System.err.println("Try '" + Terminal.program() + " --help' for what each option and command does.");
            System.exit(1);
            return;
        }
        if (opts.help()) {
            System.out.print(Options.help(Terminal.program()));
            System.exit(0);
        }
        if (opts.version()) {
            System.out.println("jmaster " + Version.VERSION);
            System.exit(0);
        }
        String mailConfig = System.getenv("MAIL_CONFIG");
        boolean byDefault = opts.configDir().isEmpty() && (mailConfig == null || mailConfig.isEmpty());
        String dir = opts.configDir().orElseGet(() -> ConfigDirectory.fromMailConfig(mailConfig));
        Path configDir = Path.of(dir).toAbsolutePath().normalize();
        int rc = new Main(opts, configDir, byDefault).run();
        if (Boolean.getBoolean("jmaster.training")) {
            OperatorCommands.rehearse();
        }
        System.exit(rc);
    }

    /** Whether the master stays in the foreground: {@code -d}, {@code -i}, or {@code -s} without {@code -w}. */
    private static boolean foreground(Options opts) {
        return opts.foreground() || opts.initMode() || opts.keepStdout() && !opts.waitInit();
    }

    private int run() {
        if (opts.command().isEmpty() && !opts.test() && !opts.check()) {
            // before anything else opens a descriptor, and before the first fatal line to report
            handover = Handover.fromEnvironment(System.getenv());
        }
        boolean verbose = opts.verbose() > 0 || System.getenv("MAIL_VERBOSE") != null;
        MasterLog.setVerbose(verbose);
        // until main.cf is read, the tag is what Postfix's mail_task would use
        String logtag = System.getenv("MAIL_LOGTAG");
        MasterLog.setTag(MasterLog.masterTag(logtag == null || logtag.isEmpty() ? "postfix" : logtag));
        if (opts.daemonPipe() >= 0) {
            watchStartup(opts.daemonPipe());
        }
        if (!opts.test() && !Files.isDirectory(configDir)) {
            return fatal(missingConfigDirectory());
        }
        MainConfig.Read read = MainConfig.read(configDir, compiledDefaults);
        MainConfig main = read.config();
        MasterLog.setTag(MasterLog.masterTag(main.get("syslog_name")));
        Path pidFile = Path.of(main.get("queue_directory"), "pid", "master.pid");
        if (opts.test()) {
            return !read.ok() || OperatorCommands.controlSocketAccepts(main.get("master_control_socket"))
                    || PidLock.isHeld(pidFile) ? 1 : 0;
        }
        if (opts.check() || opts.command().filter("check"::equals).isPresent()) {
            return CheckReport.print(System.out, validate(read));
        }
        if (opts.command().isPresent()) {
            String command = opts.command().get();
            if (!read.ok() && !command.equals("reload")) {
                // a broken setting is at its default here, which may name another master's pid file
                read.errors().forEach(e -> Terminal.error(e.toString()));
                return 1;
            }
            java.util.function.Supplier<Validation.Result> validation =
                    () -> validate(MainConfig.read(configDir, compiledDefaults));
            if (ChangeCommands.handles(opts)) {
                return new ChangeCommands(main, pidFile, validation).run(opts);
            }
            return new OperatorCommands(main, pidFile, validation).run(command, opts.json());
        }
        Validation.Result checked = validate(read);
        if (!checked.ok()) {
            checked.errors().forEach(e -> fatal(e.toString()));
            return 1;
        }
        if (opts.initMode() && Processes.getpid() != 1) {
            return fatal("-i is allowed only for PID 1 process");
        }
        if (!foreground(opts) && opts.daemonPipe() < 0 && handover == null) {
            if (PidLock.isHeld(pidFile)) {
                return alreadyRunning(pidFile);
            }
            return Daemon.detach(whereTheLogIs(main));
        }
        return serve(checked, verbose, pidFile);
    }

    private Validation.Result validate(MainConfig.Read read) {
        return Validation.run(read, Users.geteuid() == 0, opts.foreground(), opts.verbose() > 0);
    }

    /**
     * In the detached daemon: until it serves, its warnings and fatal errors also go to the command
     * waiting on the operator's terminal (over the report pipe, as {@link Daemon} reads them), and
     * nothing else reaches that terminal, so no line is said twice.
     */
    private static void watchStartup(int fd) {
        MasterLog.silence();
        startupWatcher = (severity, tag, pid, text) -> {
            if (severity <= 4 && !MasterLog.writesToStderr()) {
                Fds.writeQuietly(fd, (text.replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8));
            }
        };
        MasterLog.observe(startupWatcher);
    }

    /** {@link #watchStartup}'s observer, until the daemon serves. */
    private static LogSink startupWatcher;

    /** Where a detached daemon's log goes, for the terminal when it fails. */
    private static String whereTheLogIs(MainConfig main) {
        String file = main.get("maillog_file");
        if (!file.isEmpty() && !file.equals("/dev/stdout") && !file.equals("/dev/stderr")) {
            return Path.of(file).toAbsolutePath().normalize().toString();
        }
        return "the system log (tag " + MasterLog.masterTag(main.get("syslog_name")) + ")";
    }

    /** The text for a configuration directory that does not exist, with what to do about it. */
    private String missingConfigDirectory() {
        if (!defaultConfigDir) {
            return "configuration directory " + configDir + ": No such file or directory";
        }
        String hint = "give one with -c DIR (or MAIL_CONFIG=DIR)";
        for (String sample : new String[] {"conf", "etc"}) {
            Path here = home().resolve(sample);
            if (Files.isRegularFile(here.resolve("master.cf"))) {
                hint += ", e.g. this tree's own: " + Terminal.program() + " -c " + here;
                break;
            }
        }
        return "no configuration directory " + configDir + " (the default): " + hint;
    }

    private int serve(Validation.Result checked, boolean verbose, Path pidFile) {
        MainConfig main = checked.main();
        ServiceTable table = checked.table();
        // take over listeners a service manager passed, before anything else opens descriptors
        SocketActivation passed = handover != null ? handover.listeners()
                : SocketActivation.fromEnvironment(System.getenv());
        Processes.umask(077);
        Signals.ignoreSigpipe();
        try {
            int nice = main.getInt("master_nice");
            if (nice != 0) {
                Processes.setNice(nice);
            }
        } catch (ConfigException | NativeException e) {
            log.warn("master_nice: {}", e.getMessage());
        }
        Processes.raiseNofileLimit();
        if (Users.geteuid() != 0) {
            log.info("not running as root (uid {}): local sockets stay owned by that user and children run as it",
                    Users.geteuid());
        }
        Path queueDir = Path.of(main.get("queue_directory"));
        Path dataDir = Path.of(main.get("data_directory"));
        long pid = ProcessHandle.current().pid();
        try {
            Directories.prepare(queueDir, dataDir, main.get("mail_owner"));
            if (handover != null) {
                // the old master's locks, held by the descriptors it handed over; the pid comes at "go"
                pidLock = PidLock.adopt(handover.take(Handover.PID_LOCK), pidFile);
                dataLock = PidLock.adopt(handover.take(Handover.DATA_LOCK), dataDir.resolve("master.lock"));
            } else {
                pidLock = PidLock.acquire(pidFile, pid);
                dataLock = PidLock.acquire(dataDir.resolve("master.lock"), pid,
                        Users.geteuid() == 0 ? Users.getpwnam(main.get("mail_owner")).orElse(null) : null);
            }
        } catch (PidLock.HeldException e) {
            log.error(Severity.FATAL, "{}", e.getMessage());
            return alreadyRunning(pidFile);
        } catch (IOException e) {
            log.error(Severity.FATAL, "{}", e.getMessage());
            return 1;
        }
        // as Postfix's master after its data lock, set_ugid(getuid(), getgid()): the supplementary
        // groups become just the primary group, and every child starts from that
        if (Users.getuid() == 0 && Users.geteuid() == 0) {
            try {
                int gid = Users.getgid();
                Users.setgid(gid);
                Users.setgroups(new int[] {gid});
                Users.setuid(0);
            } catch (NativeException e) {
                log.error(Severity.FATAL, "{}", e.getMessage());
                return 1;
            }
        }
        if (opts.debugger() || System.getenv("MAIL_DEBUG") != null) {
            String failure = Debugger.run(main);
            if (failure != null) {
                log.error(Severity.FATAL, "{}", failure);
                return 1;
            }
        }
        configureLogging(main, verbose);
        for (ConfigError w : checked.warnings()) {
            log.warn("{}", w);
        }
        Notifier notifier = Notifier.fromEnvironment();
        Supervisor supervisor = new Supervisor(new Supervisor.Config(opts.foreground(), verbose, opts.initMode(),
                Version.VERSION, this::reloadFiles, new Supervisor.Hooks() {
                    @Override
                    public void reloading() {
                        notifier.reloading();
                    }

                    @Override
                    public void reloaded(MainConfig fresh, String summary) {
                        if (fresh != null) {
                            configureLogging(fresh, verbose);
                        }
                        notifier.ready(summary);
                    }

                    @Override
                    public void stopping() {
                        notifier.stopping();
                    }

                    @Override
                    public void reopenLogs() {
                        MasterLog.reopen().forEach(w -> log.warn("{}", w));
                    }

                    @Override
                    public Upgrade.Host upgradeHost() {
                        return Main.this.upgradeHost(notifier, main.get("master_control_socket"),
                                main.get("master_metrics_listen"));
                    }
                }, Path.of(System.getProperty("jmaster.exec", home().resolve("target").resolve("jmaster-exec").toString()))));
        int passedControl = -1;
        int passedMetrics = -1;
        if (handover != null) {
            supervisor.binaryGeneration(handover.generation());
            // adopted when they listen where this configuration says; else this master opens its own
            passedControl = handover.take(Handover.CONTROL, main.get("master_control_socket"));
            passedMetrics = handover.take(Handover.METRICS, main.get("master_metrics_listen"));
        }
        try {
            supervisor.start(main, table, passed);
            control = ControlServer.open(supervisor, main.get("master_control_socket"),
                    main.get("master_control_group"), passedControl);
            if (!main.get("master_metrics_listen").isEmpty()) {
                metrics = MetricsServer.open(supervisor, main.get("master_metrics_listen"),
                        main.get("master_control_group"), passedMetrics);
            } else {
                org.jmaster.nativ.Fds.closeQuietly(passedMetrics);
            }
        } catch (IOException | ConfigException e) {
            log.error(Severity.FATAL, "{}", e.getMessage());
            return 1;
        }
        if (handover != null && !takeOver(supervisor, pid)) {
            return 1;
        }
        opts.exitTime().ifPresent(supervisor::exitAfter);
        log.info("daemon started -- version {}, configuration {}", Version.VERSION, configDir);
        notifier.ready(supervisor.summary());
        notifier.startWatchdog(supervisor.loop());
        if (opts.daemonPipe() >= 0) {
            MasterLog.unobserve(startupWatcher);
            Daemon.reportStarted(opts.daemonPipe());
        }
        return supervisor.run();
    }

    /**
     * An upgraded master, everything open: says ready, waits for the old master to let go, then takes
     * the pid file. False when the old master did not answer (it keeps serving; this one exits).
     */
    private boolean takeOver(Supervisor supervisor, long pid) {
        if (!handover.awaitGo()) {
            log.error(Severity.FATAL, "upgrade: the master pid {} did not answer \"ready\"; leaving it in charge",
                    handover.previousPid());
            return false;
        }
        try {
            pidLock.writePid(pid);
            dataLock.writePid(pid);
        } catch (NativeException e) {
            log.warn("upgrade: writing the pid to the lock files: {}", e.getMessage());
        }
        supervisor.tookOver(handover.previousPid());
        if (handover.inPlace()) {
            supervisor.seeOff(handover.retiring());
        }
        return true;
    }

    /**
     * What an upgrade starts (the launcher as installed now, with this master's options) and hands
     * over besides the listeners; null when this process was not started by the launcher.
     */
    private Upgrade.Host upgradeHost(Notifier notifier, String controlPath, String metricsListen) {
        return new Upgrade.Host() {
            @Override
            public List<String> command() {
                String launcher = System.getProperty("jmaster.launcher", "");
                if (launcher.isEmpty()) {
                    return null;
                }
                List<String> argv = new ArrayList<>(List.of(launcher, "-c", configDir.toString()));
                if (opts.foreground()) {
                    argv.add("-d");
                }
                if (opts.initMode()) {
                    argv.add("-i");
                }
                if (opts.keepStdout() && !opts.waitInit()) {
                    argv.add("-s");
                }
                for (int i = 0; i < opts.verbose(); i++) {
                    argv.add("-v");
                }
                return argv;
            }

            @Override
            public Map<String, Integer> descriptors() {
                Map<String, Integer> fds = new java.util.LinkedHashMap<>();
                fds.put(Handover.PID_LOCK, pidLock.fd());
                fds.put(Handover.DATA_LOCK, dataLock.fd());
                fds.put(Handover.CONTROL + "=" + controlPath, control.fd());
                if (metrics != null) {
                    fds.put(Handover.METRICS + "=" + metricsListen, metrics.fd());
                }
                return fds;
            }

            @Override
            public Map<String, String> environment() {
                // the launcher's default daemon_directory (jmaster-postfix sets it), which it does not pass on
                String daemons = System.getProperty("jmaster.daemon_directory", "");
                return daemons.isEmpty() ? Map.of() : Map.of("JMASTER_DAEMON_DIRECTORY", daemons);
            }

            @Override
            public void committed(long newPid) {
                // before the new master hears "go": this one may exit at once (no child left), and
                // whoever reads the pid file then must find the new master, not a pid that is gone
                try {
                    pidLock.writePid(newPid);
                    dataLock.writePid(newPid);
                } catch (NativeException e) {
                    log.warn("upgrade: writing the new master's pid to the lock files: {}", e.getMessage());
                }
                control.handedOver();
                if (metrics != null) {
                    metrics.handedOver();
                }
                notifier.mainPid(newPid);
            }
        };
    }

    /** SIGHUP: the same validation as start-up; the supervisor keeps its table when there are errors. */
    private Supervisor.Loaded reloadFiles() {
        Validation.Result checked = Validation.run(MainConfig.read(configDir, compiledDefaults),
                Users.geteuid() == 0, opts.foreground(), opts.verbose() > 0, false);
        if (!checked.ok()) {
            return new Supervisor.Loaded(null, null, checked.errors());
        }
        for (ConfigError w : checked.warnings()) {
            log.warn("{}", w);
        }
        return new Supervisor.Loaded(checked.main(), checked.table(), List.of());
    }

    private void configureLogging(MainConfig main, boolean verbose) {
        MasterLog.Settings s = new MasterLog.Settings(main.get("syslog_name") + "/master", verbose,
                opts.foreground(), main.get("maillog_file"), main.get("syslog_facility"), main.get("myhostname"));
        for (String w : MasterLog.configure(s, SyslogSocket::open)) {
            log.warn("{}", w);
        }
    }

    private int alreadyRunning(Path pidFile) {
        long pid = PidLock.recordedPid(pidFile);
        String who = pid > 0 ? " with pid " + pid : "";
        return fatal("the master is already running" + who + " (lock " + pidFile + " is held)");
    }

    /** A fatal error, said where this process reports (the log or the terminal); returns 1. */
    private int fatal(String text) {
        if (logChannel) {
            log.error(Severity.FATAL, "{}", text);
        } else {
            Terminal.fatal(text);
        }
        return 1;
    }

    /**
     * The installation directory: {@code -Djmaster.home}, else the parent of the jar's directory. The
     * launcher also names the exec helper ({@code -Djmaster.exec}) and the default daemon directory
     * ({@code -Djmaster.daemon_directory}); without them, a source tree's are used.
     */
    static Path home() {
        String prop = System.getProperty("jmaster.home");
        if (prop != null && !prop.isEmpty()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        try {
            Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path dir = Files.isDirectory(jar) ? jar : jar.getParent();
            return dir.getParent().toAbsolutePath().normalize();
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of(".").toAbsolutePath().normalize();
        }
    }

}
