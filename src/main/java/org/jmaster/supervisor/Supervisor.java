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
    }

    /** A freshly read pair of files, or the errors that stopped reading them. */
    public record Loaded(MainConfig main, ServiceTable table, List<ConfigError> errors) {
        public static Loaded failed(ConfigException e) {
            return new Loaded(null, null, e.errors());
        }
    }

    final EventLoop loop;
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

    public Supervisor(Config config) {
        this(config, EventLoop.Clock.SYSTEM);
    }

    /** A supervisor whose loop and decisions read {@code clock} (tests drive a fake one). */
    Supervisor(Config config, EventLoop.Clock clock) {
        this.loop = new EventLoop(clock);
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
        }, reapOrphans);
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
            } else if (Processes.reapNoHang(pid)) {
                log.debug("reaped orphan pid {}", pid);
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

    /** SIGHUP: re-read both files; keep the running table when either is broken. */
    void reload() {
        if (shuttingDown) {
            return;
        }
        log.info("reload -- version {}, configuration {}", config.version(), settings.configDirectory());
        config.hooks().reloading();
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
            config.hooks().reloaded(null, summary());
            return;
        }
        if (!loaded.errors().isEmpty()) {
            for (ConfigError err : loaded.errors()) {
                log.warn("{}", err);
            }
            log.warn("reload failed: {} error(s); still running the previous configuration", loaded.errors().size());
            config.hooks().reloaded(null, summary());
            return;
        }
        MasterSettings fresh;
        try {
            fresh = MasterSettings.from(loaded.main());
        } catch (ConfigException e) {
            e.errors().forEach(err -> log.warn("{}", err));
            log.warn("reload failed; still running the previous configuration");
            config.hooks().reloaded(null, summary());
            return;
        }
        reloads++;
        settings = keepFrozen(settings, fresh);
        environment = environment.refreshed(settings);
        for (Service s : services.values()) {
            s.removed = true; // Postfix's MASTER_FLAG_MARK
        }
        Map<ServiceKey, Service> next = new LinkedHashMap<>();
        for (ServiceEntry e : loaded.table().services()) {
            Service s = services.get(e.key());
            if (s != null) {
                // each service is updated whole or not at all
                s.removed = false;
                next.put(e.key(), s);
                try {
                    update(s, e, fresh);
                } catch (Throwable t) {
                    Failure.rethrowIfFatal(t);
                    log.warn("service {}: reload: {}; keeping its previous settings", s.label(), Failure.describe(t));
                }
            } else {
                Service n = null;
                try {
                    n = open(e);
                    activate(n);
                    next.put(e.key(), n);
                } catch (IOException ex) {
                    log.warn("{}: not started: {}", e.extName(), ex.getMessage());
                } catch (Throwable t) {
                    Failure.rethrowIfFatal(t);
                    log.warn("{}: not started: {}", e.extName(), Failure.describe(t));
                    if (n != null) {
                        stop(n);
                    }
                }
            }
        }
        for (Service s : services.values()) {
            if (s.removed) {
                stop(s);
            }
        }
        services.clear();
        services.putAll(next);
        config.hooks().reloaded(loaded.main(), summary());
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
        warnFrozen("config_directory", old.configDirectory().toString(), fresh.configDirectory().toString());
        warnFrozen("queue_directory", old.queueDirectory().toString(), fresh.queueDirectory().toString());
        warnFrozen("inet_protocols", String.join(" ", old.inetProtocols()), String.join(" ", fresh.inetProtocols()));
        return new MasterSettings(old.configDirectory(), old.queueDirectory(), fresh.daemonDirectory(),
                fresh.defaultProcessLimit(), fresh.throttleSeconds(), fresh.throttleMaxSeconds(),
                fresh.shutdownGraceSeconds(), fresh.inetInterfaces(),
                old.inetProtocols(), fresh.tcpWindowSize(), fresh.mailOwner(), fresh.syslogName(),
                fresh.maillogFile(), fresh.postlogServiceName(), fresh.myhostname(), old.importEnvironment(),
                fresh.maxUse());
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
        s.removed = true;
        wakeups.cancel(s);
        throttler.stopped(s);
        availability.listen(s);
        loop.unwatch(s.channel.masterFd);
        s.channel.close();
        for (Child c : s.children()) {
            Processes.kill(c.pid, Signals.SIGTERM);
        }
        Listeners.close(s.listeners);
        if (log.isDebugEnabled()) {
            log.debug("service {}: removed, {} child(ren) told to terminate", s.label(), s.totalProc());
        }
    }

    /** SIGTERM/SIGINT: pass SIGTERM on to every child, give them a grace period, then SIGKILL. */
    void terminate(int signal) {
        if (shuttingDown) {
            return;
        }
        shuttingDown = true;
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
            shuttingDown = true;
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
        }
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
                shuttingDown, views, kids);
    }
}
