package org.jmaster.supervisor;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.jmaster.conf.ConfigError;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.MainConfig;
import org.jmaster.conf.Protocol;
import org.jmaster.conf.ServiceEntry;
import org.jmaster.conf.ServiceKey;
import org.jmaster.conf.ServiceTable;
import org.jmaster.conf.ServiceType;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.Signals;
import org.jmaster.nativ.Users;
import org.jmaster.net.AddressResolver;
import org.jmaster.net.Listener;
import org.jmaster.net.Listeners;
import org.jmaster.net.SocketActivation;
import org.jmaster.supervisor.policy.Admission;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resident master: owns the service table's run-time state, the event loop and the modules
 * that act on it (availability, spawning, status, reaping, throttling, wakeups), and carries out
 * start-up, reload on SIGHUP and shutdown on SIGTERM/SIGINT. Single-threaded: only the loop thread
 * calls into it after {@link #start}.
 */
public final class Supervisor {
    private static final Logger log = LoggerFactory.getLogger("master");

    /** What the supervisor needs from the command line and its caller. */
    public record Config(boolean foreground, boolean verbose, boolean initMode, String version,
                         Supplier<Loaded> reloader, Hooks hooks, java.nio.file.Path execShim) {}

    /** Moments the caller acts on (service manager notifications, logging); all run on the loop thread. */
    public interface Hooks {
        /** A reload is about to read the files. */
        default void reloading() {}

        /** A reload finished (successfully or not); {@code summary} is a one-line status. */
        default void reloaded(MainConfig main, String summary) {}

        /** Shutdown has begun. */
        default void stopping() {}

        /** SIGUSR1: reopen log files. */
        default void reopenLogs() {}

        /** How to start a new master and what to hand it; null when this master cannot be upgraded. */
        default Upgrade.Host upgradeHost() {
            return null;
        }
    }

    /** How a request that takes time (a canary reload, an upgrade) ended; called once, on the loop thread. */
    public interface Outcome {
        void done(boolean ok, String text);
    }

    /** A freshly read pair of files, or the errors that stopped reading them. */
    public record Loaded(MainConfig main, ServiceTable table, List<ConfigError> errors) {
        public static Loaded failed(ConfigException e) {
            return new Loaded(null, null, e.errors());
        }
    }

    final EventLoop loop;
    final Events events;
    final Canary canary;
    final Upgrade upgrade;
    final boolean foreground;
    final boolean verbose;
    // the modules that act on the books; made after the loop, which some of them hold
    final Availability availability;
    final Spawner spawner;
    final StatusEvents statusEvents;
    final Reaper reaper;
    final Throttler throttler;
    final Wakeups wakeups;
    final Acceptor acceptor;
    final Admission admission = new Admission();
    final Prefork prefork;
    final Map<Integer, Child> children = new HashMap<>();
    private final Map<ServiceKey, Service> services = new LinkedHashMap<>();
    private final Config config;
    MasterSettings settings;
    ChildEnvironment environment;
    int[] flowPipe;
    private AddressResolver resolver;
    private SocketActivation activation = SocketActivation.fromEnvironment(Map.of());
    private List<String> frozenInterfaces;
    boolean shuttingDown;
    private int exitStatus = -1;
    long spawns;
    long reloads;
    private final long startedAtMillis = System.currentTimeMillis();
    /** The files in force (to return to after a canary reload); set at start and by each reload. */
    private Loaded current;
    /** In place (PID 1): children of the replaced program not reaped yet. */
    private final java.util.Set<Integer> seeingOff = new java.util.HashSet<>();
    /** 1 for a master started by hand, one more with each upgrade. */
    long binaryGeneration = 1;

    public Supervisor(Config config) {
        this(config, EventLoop.Clock.SYSTEM);
    }

    /** A supervisor whose loop and decisions read {@code clock} (tests drive a fake one). */
    Supervisor(Config config, EventLoop.Clock clock) {
        this.loop = new EventLoop(clock);
        this.events = new Events(loop);
        this.canary = new Canary(this);
        this.upgrade = new Upgrade(this);
        this.availability = new Availability(this);
        this.spawner = new Spawner(this);
        this.statusEvents = new StatusEvents(this);
        this.reaper = new Reaper(this);
        this.throttler = new Throttler(this);
        this.wakeups = new Wakeups(this);
        this.acceptor = new Acceptor(this);
        this.prefork = new Prefork(this);
        this.config = config;
        this.foreground = config.foreground();
        this.verbose = config.verbose();
    }

    /**
     * Opens every listener and status channel of {@code table} and arms the first wakeups. Throws
     * with the reason when a listener cannot be opened; nothing is left open then.
     */
    public void start(MainConfig main, ServiceTable table, SocketActivation passed) throws IOException, ConfigException {
        start(main, table, passed, true);
    }

    /**
     * {@link #start}; without {@code signals} the process's signal handlers and its subreaper flag
     * are left alone (an in-process test harness: the test JVM's signals are not the master's).
     */
    void start(MainConfig main, ServiceTable table, SocketActivation passed, boolean signals)
            throws IOException, ConfigException {
        activation = passed;
        settings = MasterSettings.from(main);
        environment = ChildEnvironment.startup(System.getenv(), settings);
        frozenInterfaces = settings.inetInterfaces();
        try {
            resolver = AddressResolver.forProtocols(settings.inetProtocols());
        } catch (AddressResolver.ResolveException e) {
            throw new IOException(e.getMessage());
        }
        flowPipe = Fds.pipe(true);
        spawner.warmUp();
        List<Service> started = new ArrayList<>();
        try {
            for (ServiceEntry e : table.services()) {
                started.add(open(e));
            }
        } catch (IOException e) {
            for (Service s : started) {
                Listeners.close(s.listeners);
                s.channel.close();
            }
            throw e;
        }
        for (Service s : started) {
            services.put(s.entry.key(), s);
            activate(s);
        }
        for (String unclaimed : activation.closeUnclaimed()) {
            log.warn("passed listener {} matches no service: closed", unclaimed);
        }
        current = new Loaded(main, table, List.of());
        events.emit(Events.Code.MASTER_STARTED, (String) null, ProcessHandle.current().pid(), "version",
                config.version(), "binary_generation", binaryGeneration, "services", services.size());
        if (!signals) {
            return;
        }
        boolean reapOrphans = config.initMode();
        if (!reapOrphans) {
            try {
                // orphans of our children become ours, so none of them is left a zombie
                Processes.setChildSubreaper();
                reapOrphans = true;
            } catch (org.jmaster.nativ.NativeException e) {
                log.warn("cannot become the reaper of orphaned descendants: {}", e.strerror());
            }
        }
        new SignalRelay(loop, new SignalRelay.Listener() {
            @Override
            public void reload() {
                Supervisor.this.reload();
            }

            @Override
            public void terminate(int signal) {
                Supervisor.this.terminate(signal);
            }

            @Override
            public void reopenLogs() {
                config.hooks().reopenLogs();
            }

            @Override
            public void childExited() {
                reapOrphans();
            }

            @Override
            public void upgrade() {
                Supervisor.this.upgrade(null);
            }
        }, reapOrphans);
    }

    /** An upgraded master: its binary generation, before {@link #start}. */
    public void binaryGeneration(long generation) {
        binaryGeneration = generation;
    }

    /** This master took over from the master {@code previousPid} (the upgrade's last step, on this side). */
    public void tookOver(long previousPid) {
        log.info("upgrade: took over from master pid {} (binary generation {})", previousPid, binaryGeneration);
        events.emit(Events.Code.UPGRADE_TOOK_OVER, (String) null, ProcessHandle.current().pid(), "from",
                previousPid, "binary_generation", binaryGeneration);
    }

    /**
     * In place (PID 1): the children of the program this one replaced saw their status channel close
     * at the exec and finish their current client; they are reaped as orphans. Those still running
     * after {@code master_shutdown_grace_time} get SIGTERM, and SIGKILL after as long again. Their
     * pids cannot be reused meanwhile: they are our children until we reap them.
     */
    public void seeOff(int[] pids) {
        for (int pid : pids) {
            seeingOff.add(pid);
        }
        if (seeingOff.isEmpty()) {
            return;
        }
        log.info("upgrade: {} child(ren) of the previous program finish their clients", seeingOff.size());
        long grace = settings.shutdownGraceSeconds() * 1000L;
        loop.schedule(grace, () -> signalSeeingOff(Signals.SIGTERM));
        loop.schedule(2 * grace, () -> signalSeeingOff(Signals.SIGKILL));
    }

    private void signalSeeingOff(int signal) {
        reapOrphans();
        for (int pid : seeingOff) {
            log.warn("upgrade: child pid {} of the previous program still running: sending {}", pid,
                    Signals.name(signal));
            Processes.kill(pid, signal);
        }
    }

    /** The event stream, for the control socket (on the loop thread). */
    public Events events() {
        return events;
    }

    Config config() {
        return config;
    }

    /**
     * {@code upgrade} (control socket) or SIGUSR2: start a new master from what is installed now and
     * hand it everything ({@link Upgrade}); {@code outcome} (may be null) hears the result.
     */
    public void upgrade(Outcome outcome) {
        upgrade.begin(outcome == null ? (ok, text) -> { } : outcome);
    }

    java.nio.file.Path execShim() {
        return config.execShim();
    }

    /** The running service named {@code extName}, or null (for tests on the loop thread). */
    Service service(String extName) {
        for (Service s : services.values()) {
            if (s.entry.extName().equals(extName)) {
                return s;
            }
        }
        return null;
    }

    /** The loop, for servers that share it (control socket, metrics). */
    public EventLoop loop() {
        return loop;
    }

    /**
     * SIGCHLD with the subreaper flag (or as PID 1): reap every exited process that is not one of
     * ours; ours that have exited are handed to the reaper at once (their pidfd would say the same).
     */
    private void reapOrphans() {
        int pid;
        while ((pid = Processes.waitableChild()) > 0) {
            Child c = children.get(pid);
            if (c != null) {
                reaper.reap(c);
            } else if (upgrade.reapIfOurs(pid)) {
                continue;
            } else if (Processes.reapNoHang(pid)) {
                log.debug("reaped orphan pid {}", pid);
                seeingOff.remove(pid);
            } else {
                break;
            }
        }
    }

    /** Arms {@code -e}: exit after {@code seconds}, leaving children to notice on their own. */
    public void exitAfter(int seconds) {
        loop.schedule(seconds * 1000L, () -> {
            log.info("master exit time has arrived");
            exitStatus = 0;
            loop.stop();
        });
    }

    /**
     * Runs the loop until shutdown; returns the exit status (128 + signal after SIGTERM/SIGINT). The
     * loop contains every failure of a handler; should the JVM itself break (an error the loop
     * refuses to contain), the children are sent SIGTERM before the master goes, so none is left
     * running without it.
     */
    public int run() {
        try {
            loop.run();
        } catch (Throwable t) {
            try {
                log.error(org.jmaster.log.Severity.PANIC, "{}: sending SIGTERM to {} children and exiting", t,
                        children.size());
                for (Child c : children.values()) {
                    Processes.kill(c.pid, Signals.SIGTERM);
                }
            } catch (Throwable ignored) {
                // going down anyway
            }
            throw t;
        }
        return exitStatus;
    }

    private Service open(ServiceEntry e) throws IOException {
        List<InetAddress> addresses = List.of();
        boolean localOnly = true;
        if (e.type() == ServiceType.INET) {
            try {
                addresses = e.inetHost() != null ? resolver.host(e.inetHost()) : resolver.interfaces(frozenInterfaces);
            } catch (AddressResolver.ResolveException ex) {
                throw new IOException(e.file() + ": line " + e.line() + ": " + ex.getMessage());
            }
            localOnly = AddressResolver.allLoopback(addresses);
        } else if (e.type() == ServiceType.PASS) {
            localOnly = false;
        }
        int backlog = Math.max(e.maxProc(), settings.defaultProcessLimit());
        List<Listener> listeners;
        try {
            listeners = Listeners.open(e, addresses, backlog, settings.tcpWindowSize(),
                    settings.queueDirectory(), owner(), activation);
        } catch (IOException ex) {
            throw new IOException("service " + e.extName() + "(" + e.name() + "): " + ex.getMessage(), ex);
        }
        Service s = new Service(e, listeners, addresses, localOnly);
        try {
            s.inheritance = Inheritance.of(e, e.protocol() == Protocol.SYSTEMD);
            s.channel = StatusChannel.open();
        } catch (ConfigException ex) {
            Listeners.close(listeners);
            throw new IOException(ex.getMessage());
        } catch (RuntimeException ex) {
            // socketpair: no descriptor left (EMFILE, ENFILE)
            Listeners.close(listeners);
            throw new IOException("service " + e.extName() + "(" + e.name() + "): " + Failure.describe(ex), ex);
        }
        return s;
    }

    private Listeners.Owner owner() {
        if (Users.geteuid() != 0) {
            return null;
        }
        return Users.getpwnam(settings.mailOwner()).map(p -> new Listeners.Owner(p.uid(), p.gid())).orElse(null);
    }

    /** master_start_service after the listeners exist: status channel, wakeups, listen policy. */
    private void activate(Service s) {
        statusEvents.watch(s, s.channel);
        s.conditionalWakeupPending = s.entry.conditionalWakeup();
        wakeups.start(s);
        availability.listen(s);
        if (log.isDebugEnabled()) {
            log.debug("service {}: started, {} listener(s) {}", s.label(), s.listeners.size(),
                    s.listeners.stream().map(Listener::endpoint).toList());
        }
    }

    /**
     * Master_restart_service: a new status channel, so the current children leave when idle while
     * the listeners stay open; wakeups start again. Unlike Postfix, the retiring children stop
     * counting as idle at once.
     */
    void restartChannel(Service s) {
        StatusChannel fresh = openChannel(s);
        if (fresh != null) {
            restartChannel(s, fresh);
        }
    }

    /** A new status channel for {@code s}, or null (logged) when no descriptor is left for one. */
    private StatusChannel openChannel(Service s) {
        try {
            return StatusChannel.open();
        } catch (RuntimeException e) {
            log.warn("service {}: cannot open a new status channel: {}; keeping the current one", s.label(),
                    Failure.describe(e));
            return null;
        }
    }

    /** {@link #restartChannel(Service)} with the new channel already open, so nothing can fail halfway. */
    private void restartChannel(Service s, StatusChannel fresh) {
        wakeups.cancel(s);
        loop.unwatch(s.channel.masterFd);
        s.channel.close();
        // children of the closed channel can no longer report and are on their way out: counting them
        // as idle would keep new clients waiting until they exit (they still count against the limit)
        s.retireIdle();
        s.channel = fresh;
        statusEvents.watch(s, s.channel);
        wakeups.start(s);
        availability.listen(s);
    }

    /**
     * SIGHUP: re-read both files; keep the running table when either is broken. A canary reload when
     * the new main.cf says {@code master_reload_canary_time}.
     */
    void reload() {
        reload(-1, null);
    }

    /**
     * Re-reads both files and applies them; keeps the running table when either is broken. With
     * {@code canarySeconds} above 0 the previous table is kept for that long and comes back by itself
     * when a changed or added service fails to start ({@link Canary}); below 0, the new main.cf's
     * {@code master_reload_canary_time} says. {@code outcome} (may be null) hears the result: at once,
     * or at the end of the canary window.
     */
    public void reload(long canarySeconds, Outcome outcome) {
        Outcome tell = outcome == null ? (ok, text) -> { } : outcome;
        if (shuttingDown || upgrade.committed()) {
            tell.done(false, "the master is shutting down");
            return;
        }
        log.info("reload -- version {}, configuration {}", config.version(), settings.configDirectory());
        config.hooks().reloading();
        events.emit(Events.Code.RELOAD_BEGIN, (String) null, 0, "canary_s", canarySeconds > 0 ? canarySeconds : null);
        Loaded loaded;
        try {
            loaded = config.reloader().get();
        } catch (Throwable t) {
            // reading is a whole: out of memory on a huge file, a parser bug, no descriptor to open a
            // file; nothing has changed yet, so the running table simply stays
            Failure.rethrowIfFatal(t);
            log.warn("reload failed: {}{}; still running the previous configuration",
                    t instanceof OutOfMemoryError ? "out of memory reading the configuration: " : "",
                    Failure.describe(t));
            reloadFailed(tell, Failure.describe(t));
            return;
        }
        if (!loaded.errors().isEmpty()) {
            for (ConfigError err : loaded.errors()) {
                log.warn("{}", err);
            }
            log.warn("reload failed: {} error(s); still running the previous configuration", loaded.errors().size());
            reloadFailed(tell, loaded.errors().size() + " error(s), the first: " + loaded.errors().get(0));
            return;
        }
        MasterSettings fresh;
        try {
            fresh = MasterSettings.from(loaded.main());
        } catch (ConfigException e) {
            e.errors().forEach(err -> log.warn("{}", err));
            log.warn("reload failed; still running the previous configuration");
            reloadFailed(tell, e.errors().isEmpty() ? "bad main.cf" : e.errors().get(0).toString());
            return;
        }
        if (canarySeconds < 0) {
            canarySeconds = fresh.canarySeconds();
        }
        canary.supersede("a new reload");
        Loaded before = current;
        MasterSettings settingsBefore = settings;
        Applied applied = apply(loaded, fresh);
        config.hooks().reloaded(loaded.main(), summary());
        java.util.Set<ServiceKey> watched = new java.util.LinkedHashSet<>(applied.changed());
        if (!settingsBefore.equals(keepFrozen(settingsBefore, fresh, false))) {
            // a main.cf change reaches every service (paths, environment, limits): watch them all
            watched.addAll(services.keySet());
        }
        if (canarySeconds <= 0 || (watched.isEmpty() && applied.failures().isEmpty())) {
            tell.done(true, applied.failures().isEmpty() ? "reloaded"
                    : "reloaded; " + String.join("; ", applied.failures()));
            return;
        }
        canary.begin(before, watched, canarySeconds, tell);
        for (String failure : applied.failures()) {
            int colon = failure.indexOf(": ");
            canary.serviceFailed(failure.substring(0, colon), failure.substring(colon + 2));
        }
    }

    private void reloadFailed(Outcome tell, String why) {
        events.emit(Events.Code.RELOAD_FAILED, (String) null, 0, "reason", why);
        config.hooks().reloaded(null, summary());
        tell.done(false, "reload failed: " + why + "; still running the previous configuration");
    }

    /** What a reload did: the services it added or changed, and those it could not start ("name: why"). */
    private record Applied(java.util.Set<ServiceKey> changed, List<String> failures) {}

    /** A canary reload failed within its window: the previous table comes back (the files are not read). */
    void rollBack(Loaded previous) {
        if (shuttingDown || upgrade.committed()) {
            return;
        }
        MasterSettings back;
        try {
            back = MasterSettings.from(previous.main());
        } catch (ConfigException e) {
            // it was running a moment ago; cannot happen
            throw new IllegalStateException(e);
        }
        config.hooks().reloading();
        apply(previous, back);
        config.hooks().reloaded(previous.main(), summary());
    }

    /** Postfix's mark and sweep: {@code loaded} becomes the running table. */
    private Applied apply(Loaded loaded, MasterSettings fresh) {
        reloads++;
        settings = keepFrozen(settings, fresh);
        environment = environment.refreshed(settings);
        for (Service s : services.values()) {
            s.removed = true; // Postfix's MASTER_FLAG_MARK
        }
        java.util.Set<ServiceKey> changed = new java.util.LinkedHashSet<>();
        List<String> failures = new ArrayList<>();
        int added = 0;
        Map<ServiceKey, Service> next = new LinkedHashMap<>();
        for (ServiceEntry e : loaded.table().services()) {
            Service s = services.get(e.key());
            if (s != null) {
                // each service is updated whole or not at all
                s.removed = false;
                next.put(e.key(), s);
                if (!sameService(s.entry, e)) {
                    changed.add(e.key());
                }
                try {
                    update(s, e, fresh);
                } catch (Throwable t) {
                    Failure.rethrowIfFatal(t);
                    log.warn("service {}: reload: {}; keeping its previous settings", s.label(), Failure.describe(t));
                    serviceFailed(failures, e, Failure.describe(t));
                }
            } else {
                Service n = null;
                changed.add(e.key());
                added++;
                try {
                    n = open(e);
                    activate(n);
                    next.put(e.key(), n);
                } catch (IOException ex) {
                    log.warn("{}: not started: {}", e.extName(), ex.getMessage());
                    serviceFailed(failures, e, ex.getMessage());
                } catch (Throwable t) {
                    Failure.rethrowIfFatal(t);
                    log.warn("{}: not started: {}", e.extName(), Failure.describe(t));
                    serviceFailed(failures, e, Failure.describe(t));
                    if (n != null) {
                        stop(n);
                    }
                }
            }
        }
        int removed = 0;
        for (Service s : services.values()) {
            if (s.removed) {
                stop(s);
                removed++;
            }
        }
        services.clear();
        services.putAll(next);
        current = loaded;
        events.emit(Events.Code.RELOAD_DONE, (String) null, 0, "services", services.size(), "added", added,
                "changed", changed.size() - added, "removed", removed, "failed", failures.size());
        return new Applied(changed, failures);
    }

    private void serviceFailed(List<String> failures, ServiceEntry e, String why) {
        failures.add(e.extName() + ": " + why);
        events.emit(Events.Code.RELOAD_SERVICE_FAILED, e.extName(), 0, "reason", why);
    }

    /** Whether two entries of one service say the same, wherever they stand in master.cf. */
    private static boolean sameService(ServiceEntry a, ServiceEntry b) {
        return a.equals(new ServiceEntry(a.file(), a.line(), b.extName(), b.type(), b.name(), b.privateAccess(),
                b.unprivileged(), b.chroot(), b.wakeupSeconds(), b.conditionalWakeup(), b.maxProc(), b.command(),
                b.args(), b.attributes(), b.inetHost(), b.inetPort(), b.settings()));
    }

    /**
     * Gives the running service {@code s} its new entry {@code e} and a new status channel. What
     * can fail (the entry's settings, a descriptor for the channel) is done before anything changes.
     */
    private void update(Service s, ServiceEntry e, MasterSettings fresh) {
        Inheritance inheritance;
        try {
            inheritance = Inheritance.of(e, e.protocol() == Protocol.SYSTEMD);
        } catch (ConfigException ex) {
            ex.errors().forEach(err -> log.warn("{}", err));
            log.warn("service {}: keeping its previous settings", s.label());
            return;
        }
        StatusChannel channel = openChannel(s);
        if (channel == null) {
            log.warn("service {}: keeping its previous settings", s.label());
            return;
        }
        s.inheritance = inheritance;
        if (e.type() == ServiceType.INET && e.inetHost() == null
                && !Objects.equals(fresh.inetInterfaces(), frozenInterfaces)) {
            log.warn("service {}: ignoring inet_interfaces change", e.extName());
            log.warn("to change inet_interfaces, stop and start Postfix");
        }
        boolean commandChanged = !s.entry.command().equals(e.command()) || !s.entry.args().equals(e.args());
        s.configure(e, loop.nanoTime());
        if (commandChanged) {
            // what failed before says nothing about the new command
            throttler.commandChanged(s);
        }
        s.conditionalWakeupPending = e.conditionalWakeup();
        restartChannel(s, channel);
    }

    /** One line for a service manager's status display. */
    public String summary() {
        int idle = 0;
        for (Service s : services.values()) {
            idle += s.availProc();
        }
        return services.size() + " services, " + children.size() + " children (" + idle + " idle), " + spawns
                + " spawned";
    }

    /** Logs and undoes changes of the parameters that only a restart may change. */
    private static MasterSettings keepFrozen(MasterSettings old, MasterSettings fresh) {
        return keepFrozen(old, fresh, true);
    }

    private static MasterSettings keepFrozen(MasterSettings old, MasterSettings fresh, boolean warn) {
        if (warn) {
            warnFrozen("config_directory", old.configDirectory().toString(), fresh.configDirectory().toString());
            warnFrozen("queue_directory", old.queueDirectory().toString(), fresh.queueDirectory().toString());
            warnFrozen("inet_protocols", String.join(" ", old.inetProtocols()),
                    String.join(" ", fresh.inetProtocols()));
        }
        return new MasterSettings(old.configDirectory(), old.queueDirectory(), fresh.daemonDirectory(),
                fresh.defaultProcessLimit(), fresh.throttleSeconds(), fresh.throttleMaxSeconds(),
                fresh.shutdownGraceSeconds(), fresh.inetInterfaces(),
                old.inetProtocols(), fresh.tcpWindowSize(), fresh.mailOwner(), fresh.syslogName(),
                fresh.maillogFile(), fresh.postlogServiceName(), fresh.myhostname(), old.importEnvironment(),
                fresh.maxUse(), fresh.canarySeconds(), fresh.upgradeTimeoutSeconds());
    }

    private static void warnFrozen(String name, String old, String fresh) {
        if (!old.equals(fresh)) {
            log.warn("ignoring {} parameter value change", name);
            log.warn("old value: \"{}\", new value: \"{}\"", old, fresh);
            log.warn("to change {}, stop and start Postfix", name);
        }
    }

    /** Master_stop_service without blocking: listeners closed now, children told to go and reaped later. */
    private void stop(Service s) {
        stop(s, true);
    }

    /**
     * {@link #stop(Service)}; without {@code terminate} the children are not signalled: they see
     * their status channel close and leave when their current client is done (an upgrade).
     */
    private void stop(Service s, boolean terminate) {
        s.removed = true;
        wakeups.cancel(s);
        throttler.stopped(s);
        availability.listen(s);
        loop.unwatch(s.channel.masterFd);
        s.channel.close();
        if (terminate) {
            for (Child c : s.children()) {
                Processes.kill(c.pid, Signals.SIGTERM);
            }
        }
        Listeners.close(s.listeners);
        if (log.isDebugEnabled()) {
            log.debug("service {}: removed, {} child(ren) told to terminate", s.label(), s.totalProc());
        }
    }

    /**
     * An upgrade committed: the new master serves. Every service stops spawning, closes its status
     * channel (its children finish their current client and leave) and its copies of the listeners.
     */
    void retire() {
        canary.supersede("an upgrade");
        for (Service s : services.values()) {
            stop(s, false);
        }
    }

    /**
     * Every service's listeners, in table order, for an upgrade's descriptor plan, each named
     * {@code <type>@<endpoint>} ({@code unix@private/cleanup}, {@code inet@127.0.0.1:25}), the name
     * {@link SocketActivation#takeListener} matches.
     */
    Map<String, Integer> listeners() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Service s : services.values()) {
            for (Listener l : s.listeners) {
                out.put(s.entry.type().wireName() + "@" + l.endpoint(), l.fd());
            }
        }
        return out;
    }

    /** SIGTERM/SIGINT: pass SIGTERM on to every child, give them a grace period, then SIGKILL. */
    void terminate(int signal) {
        if (shuttingDown) {
            return;
        }
        upgrade.abandon("the master is shutting down");
        shuttingDown = true;
        events.emit(Events.Code.MASTER_STOPPING, (String) null, 0, "signal", signal);
        // as PID 1 (init mode) a TERM is the normal way to stop the container: exit 0
        exitStatus = config.initMode() ? 0 : 128 + signal;
        config.hooks().stopping();
        for (Service s : services.values()) {
            s.removed = true;
            wakeups.cancel(s);
            availability.listen(s);
        }
        for (Child c : children.values()) {
            Processes.kill(c.pid, Signals.SIGTERM);
        }
        log.info("terminating on signal {}", signal);
        if (children.isEmpty()) {
            loop.stop();
            return;
        }
        loop.schedule(settings.shutdownGraceSeconds() * 1000L, () -> {
            for (Child c : children.values()) {
                log.warn("process {} pid {} did not exit within {}s of SIGTERM: sending SIGKILL",
                        c.service.entry.execPath(settings.daemonDirectory()), c.pid, settings.shutdownGraceSeconds());
                Processes.kill(c.pid, Signals.SIGKILL);
            }
        });
    }

    /** {@code abort}: SIGKILL to every child now, exit once they are reaped. */
    public void abort() {
        if (!shuttingDown) {
            upgrade.abandon("the master is shutting down");
            shuttingDown = true;
            events.emit(Events.Code.MASTER_STOPPING, (String) null, 0, "abort", true);
            exitStatus = 1;
            config.hooks().stopping();
            for (Service s : services.values()) {
                s.removed = true;
                wakeups.cancel(s);
                availability.listen(s);
            }
            log.warn("abort requested: killing {} children", children.size());
        }
        for (Child c : children.values()) {
            Processes.kill(c.pid, Signals.SIGKILL);
        }
        if (children.isEmpty()) {
            loop.stop();
        }
    }

    /** Called by the reaper after a child is gone. */
    void childGone(Service s) {
        if (shuttingDown && children.isEmpty()) {
            loop.stop();
        } else if (upgrade.committed() && children.isEmpty()) {
            upgrade.retired();
        }
    }

    /** The old master's work is done after an upgrade: leave with status 0. */
    void exitRetired() {
        exitStatus = 0;
        loop.stop();
    }

    /** The books as they are now; call on the loop thread. */
    public Snapshot snapshot() {
        long now = System.currentTimeMillis();
        List<Snapshot.ServiceView> views = new ArrayList<>();
        for (Service s : services.values()) {
            int busy = 0;
            for (Child c : s.children()) {
                busy += c.avail || c.channel != s.channel ? 0 : 1;
            }
            ServiceEntry e = s.entry;
            views.add(new Snapshot.ServiceView(e.extName(), e.name(), e.type().wireName(),
                    s.listeners.stream().map(Listener::endpoint).toList(), e.maxProc(), e.wakeupSeconds(),
                    s.totalProc(), s.availProc(), busy, s.spawns, s.exitsNormal, s.exitsStatus, s.exitsSignal,
                    s.throttles, s.statusFrames, s.throttle.throttled(), s.throttle.retryAtMillis(),
                    s.lastError, s.lastErrorMillis, e.execPath(settings.daemonDirectory()).toString(),
                    e.protocol().wireName(), s.throttle.probing(), Map.copyOf(s.refusals)));
        }
        List<Snapshot.ChildView> kids = new ArrayList<>();
        for (Child c : children.values()) {
            boolean retiring = c.retiring();
            kids.add(new Snapshot.ChildView(c.pid, c.service.entry.extName(), c.avail ? "idle" : retiring
                    ? "retiring" : "busy", c.useCount, (loop.nanoTime() - c.startNanos) / 1_000_000L,
                    c.generation, retiring));
        }
        return new Snapshot(ProcessHandle.current().pid(), startedAtMillis, (now - startedAtMillis) / 1000,
                config.version(), settings.configDirectory().toString(), spawner.generation(), reloads, spawns,
                shuttingDown, views, kids, binaryGeneration, upgrade.state(), canary.endsAtMillis());
    }
}
