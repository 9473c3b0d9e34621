package org.jmaster.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jmaster.conf.ConfigDirectory;
import org.jmaster.conf.ConfigError;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.MainConfig;
import org.jmaster.conf.ServiceEntry;
import org.jmaster.conf.ServiceTable;
import org.jmaster.control.ControlServer;
import org.jmaster.control.MetricsServer;
import org.jmaster.control.Notifier;
import org.jmaster.log.MasterLog;
import org.jmaster.log.Severity;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.Signals;
import org.jmaster.nativ.SyslogSocket;
import org.jmaster.nativ.Users;
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
    private final Map<String, String> compiledDefaults;
    // binary upgrade: what this master was handed (null when started by hand), and what it hands on
    private Handover handover;
    private PidLock pidLock;
    private PidLock dataLock;
    private ControlServer control;
    private MetricsServer metrics;

    private Main(Options opts, Path configDir) {
        this.opts = opts;
        this.configDir = configDir;
        this.compiledDefaults = Map.of(
                "daemon_directory", System.getProperty("jmaster.daemon_directory", home().resolve("services").toString()),
                "mail_version", Version.VERSION);
    }

    public static void main(String[] args) {
        Options opts;
        try {
            opts = Options.parse(args);
        } catch (Options.UsageException e) {
            System.err.println("master: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(1);
            return;
        }
        if (opts.help()) {
            System.out.println(Options.USAGE);
            System.out.println("Runs the services of $config_directory/master.cf; see docs/master.8.md.");
            System.exit(0);
        }
        if (opts.version()) {
            System.out.println("jmaster " + Version.VERSION);
            System.exit(0);
        }
        String dir = opts.configDir().orElseGet(() -> ConfigDirectory.fromMailConfig(System.getenv("MAIL_CONFIG")));
        Path configDir = Path.of(dir).toAbsolutePath().normalize();
        System.exit(new Main(opts, configDir).run());
    }

    private int run() {
        if (opts.command().isEmpty() && !opts.test() && !opts.check()) {
            // before anything else opens a descriptor, and before the first fatal line to report
            handover = Handover.fromEnvironment(System.getenv());
        }
        boolean verbose = opts.verbose() > 0 || System.getenv("MAIL_VERBOSE") != null;
        MasterLog.setVerbose(verbose);
        MainConfig main;
        try {
            main = MainConfig.load(configDir, compiledDefaults);
        } catch (ConfigException e) {
            if (opts.test()) {
                return 1;
            }
            return fatal(e.errors());
        }
        Path pidFile = Path.of(main.get("queue_directory"), "pid", "master.pid");
        if (opts.command().isPresent()) {
            if (ChangeCommands.handles(opts)) {
                return new ChangeCommands(main, pidFile).run(opts);
            }
            return new OperatorCommands(main, pidFile, this::check).run(opts.command().get(), opts.json());
        }
        if (opts.test()) {
            return PidLock.isHeld(pidFile) ? 1 : 0;
        }
        if (opts.check()) {
            return check(main);
        }
        ServiceTable table;
        try {
            table = ServiceTable.load(configDir, main);
        } catch (ConfigException e) {
            return fatal(e.errors());
        }
        if (Users.geteuid() != 0) {
            for (ServiceEntry e : table.services()) {
                if (e.chroot()) {
                    return fatal(List.of(new ConfigError(e.file(), e.line(),
                            "service " + e.extName() + " wants chroot, which needs the superuser;"
                                    + " set the chroot column to n or run as root")));
                }
            }
        }
        if (opts.initMode() && Processes.getpid() != 1) {
            log.error(Severity.FATAL, "-i is allowed only for PID 1 process");
            return 1;
        }
        boolean stayInForeground = opts.foreground() || opts.initMode() || opts.keepStdout() && !opts.waitInit();
        if (!stayInForeground && opts.daemonPipe() < 0 && handover == null) {
            if (PidLock.isHeld(pidFile)) {
                return alreadyRunning(pidFile);
            }
            return Daemon.detach(opts);
        }
        return serve(main, table, verbose, pidFile);
    }

    private int serve(MainConfig main, ServiceTable table, boolean verbose, Path pidFile) {
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
        for (ConfigError w : main.warnings()) {
            log.warn("{}", w);
        }
        for (ConfigError w : table.warnings()) {
            log.warn("{}", w);
        }
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
                control.handedOver();
                if (metrics != null) {
                    metrics.handedOver();
                }
                notifier.mainPid(newPid);
            }
        };
    }

    private Supervisor.Loaded reloadFiles() {
        List<ConfigError> errors = new ArrayList<>();
        MainConfig main = null;
        ServiceTable table = null;
        try {
            main = MainConfig.load(configDir, compiledDefaults);
            table = ServiceTable.load(configDir, main);
        } catch (ConfigException e) {
            errors.addAll(e.errors());
        }
        return new Supervisor.Loaded(main, table, errors);
    }

    private void configureLogging(MainConfig main, boolean verbose) {
        MasterLog.Settings s = new MasterLog.Settings(main.get("syslog_name") + "/master", verbose,
                opts.foreground(), main.get("maillog_file"), main.get("syslog_facility"), main.get("myhostname"));
        for (String w : MasterLog.configure(s, SyslogSocket::open)) {
            log.warn("{}", w);
        }
    }

    int check(MainConfig main) {
        PrintStream out = System.out;
        List<String> problems = new ArrayList<>();
        main.warnings().forEach(w -> System.err.println("warning: " + w));
        ServiceTable table = null;
        try {
            table = ServiceTable.load(configDir, main);
        } catch (ConfigException e) {
            e.errors().forEach(err -> problems.add(err.toString()));
        }
        try {
            for (String p : new String[] {"default_process_limit", "tcp_windowsize"}) {
                main.getInt(p);
            }
            for (String p : new String[] {"service_throttle_time", "service_throttle_max_time",
                    "master_shutdown_grace_time"}) {
                main.getTimeSeconds(p);
            }
        } catch (ConfigException e) {
            e.errors().forEach(err -> problems.add(err.toString()));
        }
        if (table != null) {
            table.warnings().forEach(w -> System.err.println("warning: " + w));
            problems.addAll(CheckReport.print(out, main, table, opts.foreground(), opts.verbose() > 0));
        }
        out.flush();
        for (String p : problems) {
            System.err.println("error: " + p);
        }
        return problems.isEmpty() ? 0 : 1;
    }

    private int alreadyRunning(Path pidFile) {
        long pid = PidLock.recordedPid(pidFile);
        String who = pid > 0 ? " with pid " + pid : "";
        log.error(Severity.FATAL, "the master is already running{} (lock {} is held)", who, pidFile);
        return 1;
    }

    private static int fatal(List<ConfigError> errors) {
        for (ConfigError e : errors) {
            log.error(Severity.FATAL, "{}", e);
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
