package org.jmaster.supervisor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jmaster.nativ.PeerAddress;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.Sockets;
import org.jmaster.nativ.Spawn;
import org.jmaster.nativ.Users;
import org.jmaster.nativ.SpawnPlan;
import org.jmaster.conf.ServiceSettings;
import org.jmaster.supervisor.policy.Listening;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates children (Postfix's {@code master_spawn}) with {@code posix_spawn} and the fixed descriptor
 * plan of protocol doc §3.1: 3 and 4 the flow pipe, 5 the service's status channel, 6.. the listeners;
 * 0–2 are the master's own; nothing else crosses. Each child gets a pidfd that the reaper watches.
 */
final class Spawner {
    private static final Logger log = LoggerFactory.getLogger("master");
    static final int FLOW_READ_FD = 3;
    static final int FLOW_WRITE_FD = 4;
    static final int STATUS_FD = 5;
    static final int LISTEN_FD = 6;

    private final Supervisor master;
    private long generation;
    /** mail_owner's entry (or why it has none), looked up once per settings, i.e. per (re)load. */
    private MasterSettings ownerSettings;
    private Users.Passwd owner;
    private String ownerProblem;

    Spawner(Supervisor master) {
        this.master = master;
    }

    /**
     * One Postfix-protocol child: for a readable listener (Postfix's master_spawn) or ahead of demand
     * (prefork). Calling it while the process limit or the throttle forbids a start is a bug, as
     * Postfix's master_spawn insists; false when the child could not be started (logged, throttled).
     */
    boolean spawnPostfix(Service s) {
        return spawnPostfix(s, Events.Code.SPAWN_DEMAND);
    }

    /** {@link #spawnPostfix(Service)}, saying why in the event stream ({@code spawn.demand}, {@code spawn.prefork}). */
    boolean spawnPostfix(Service s, Events.Code why) {
        if (!Listening.mayStart(s.listeningState(master.shuttingDown))) {
            throw new IllegalStateException("master_spawn: at process limit " + s.totalProc()
                    + " or throttled (" + s.label() + ")");
        }
        long gen = ++generation;
        boolean stressed = master.availability.stressed(s);
        Template t = s.settings.maxUseJitter() > 0 ? jittered(s, stressed) : template(s, stressed);
        if (t == null) {
            return false;
        }
        SpawnPlan plan = t.generationIndex < 0 ? t.plan
                : t.plan.withEnv(t.generationIndex, "GENERATION=" + Long.toOctalString(gen));
        int pid = launch(s, plan, t.path);
        if (pid < 0) {
            return false;
        }
        track(s, pid, gen, t.argv, why);
        if (s.conditionalWakeupPending) {
            s.conditionalWakeupPending = false;
            master.wakeups.start(s);
        }
        master.availability.listen(s);
        return true;
    }

    /**
     * What a Postfix-protocol child of {@code s} gets, all but its {@code GENERATION}: made once per
     * service, stress state and generation of what it is made from (the entry, main.cf's settings,
     * the base environment, the status channel, what children inherit), and made again after a
     * reload or a channel restart replaced any of those. Null, logged and throttled, when it cannot
     * be made (see {@link #builder}).
     */
    private Template template(Service s, boolean stressed) {
        int k = stressed ? 1 : 0;
        Template t = s.spawnTemplates[k];
        if (t != null && t.entry == s.entry && t.settings == master.settings && t.environment == master.environment
                && t.channel == s.channel && t.inheritance == s.inheritance) {
            return t;
        }
        t = makeTemplate(s, stressed, s.entry.childArgv(master.foreground, master.verbose, s.listeners.size(),
                s.stressEligible(), stressed));
        s.spawnTemplates[k] = t;
        return t;
    }

    /** {@code -M max_use_jitter}: argv differs per child, so the plan is made for each one. */
    private Template jittered(Service s, boolean stressed) {
        return makeTemplate(s, stressed, jitter(s, s.entry.childArgv(master.foreground, master.verbose,
                s.listeners.size(), s.stressEligible(), stressed)));
    }

    private Template makeTemplate(Service s, boolean stressed, List<String> argv) {
        String path = s.entry.execPath(master.settings.daemonDirectory()).toString();
        List<String> env = environment(s, Map.of("GENERATION", "0"));
        SpawnPlan.Builder plan = builder(s, path, argv, env);
        if (plan == null) {
            return null;
        }
        plan.dup2(master.flowPipe[0], FLOW_READ_FD)
                .dup2(master.flowPipe[1], FLOW_WRITE_FD)
                .dup2(s.channel.childFd, STATUS_FD);
        for (int i = 0; i < s.listeners.size(); i++) {
            plan.dup2(s.listeners.get(i).fd(), LISTEN_FD + i);
        }
        stderrNull(s, plan);
        // -M env=GENERATION=... wins over ours, as it always has
        int index = s.settings.exec().env().containsKey("GENERATION") ? -1 : indexOf(env, "GENERATION=");
        return new Template(plan.build(), path, List.copyOf(argv), index, s.entry, master.settings,
                master.environment, s.channel, s.inheritance);
    }

    private static int indexOf(List<String> env, String prefix) {
        for (int i = 0; i < env.size(); i++) {
            if (env.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    /** A Postfix-protocol child's plan without its GENERATION, and what it was made from. */
    static final class Template {
        final SpawnPlan plan;
        final String path;
        final List<String> argv;
        /** Where GENERATION goes in the environment, or -1 when -M env sets it. */
        final int generationIndex;
        final Object entry;
        final Object settings;
        final Object environment;
        final Object channel;
        final Object inheritance;

        Template(SpawnPlan plan, String path, List<String> argv, int generationIndex, Object entry, Object settings,
                 Object environment, Object channel, Object inheritance) {
            this.plan = plan;
            this.path = path;
            this.argv = argv;
            this.generationIndex = generationIndex;
            this.entry = entry;
            this.settings = settings;
            this.environment = environment;
            this.channel = channel;
            this.inheritance = inheritance;
        }
    }

    /**
     * systemd socket activation: one child gets every listener of the service at fd 3, 4, … with
     * {@code LISTEN_FDS}, {@code LISTEN_FDNAMES} and (set by the exec step, as it must be the child's
     * own pid) {@code LISTEN_PID}; argv as master.cf writes it. It is busy for as long as it lives.
     */
    void spawnSystemd(Service s) {
        long gen = ++generation;
        List<String> argv = plainArgv(s);
        String path = s.entry.execPath(master.settings.daemonDirectory()).toString();
        int n = s.listeners.size();
        List<String> names = new ArrayList<>(s.settings.fdNames());
        while (names.size() < n) {
            names.add(names.get(names.size() - 1));
        }
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("LISTEN_FDS", Integer.toString(n));
        extra.put("LISTEN_FDNAMES", String.join(":", names.subList(0, n)));
        SpawnPlan.Builder plan = builder(s, path, argv, environment(s, extra));
        if (plan == null) {
            return;
        }
        for (int i = 0; i < n; i++) {
            plan.dup2(s.listeners.get(i).fd(), 3 + i);
        }
        int pid = launch(s, stderrNull(s, plan).build(), path);
        if (pid < 0) {
            return;
        }
        track(s, pid, gen, argv, Events.Code.SPAWN_ACTIVATION);
        master.availability.listen(s);
    }

    private static List<String> plainArgv(Service s) {
        List<String> argv = new ArrayList<>();
        argv.add(s.entry.command());
        argv.addAll(s.entry.args());
        return argv;
    }

    /** The child's environment: the base, {@code extra}, then the service's {@code -M env=}. */
    private List<String> environment(Service s, Map<String, String> extra) {
        Map<String, String> all = new LinkedHashMap<>(extra);
        all.putAll(s.settings.exec().env());
        return master.environment.plus(all);
    }

    /**
     * A plan for {@code path argv}, through {@code jmaster-exec} when the service asks for what
     * posix_spawn cannot do (user, limits, umask, chroot, LISTEN_PID, and the drop to
     * {@code mail_owner} of an unprivileged child that does not speak Postfix's protocol). Null,
     * logged and throttled, when that drop is due and {@code mail_owner} has no usable entry: such a
     * child is never started as root instead.
     */
    private SpawnPlan.Builder builder(Service s, String path, List<String> argv, List<String> env) {
        String queue = master.settings.queueDirectory().toString();
        String cwd = Inheritance.cwd(s.entry, queue);
        Users.Passwd mailOwner = null;
        if (s.inheritance.needsMailOwner() && Users.geteuid() == 0) {
            mailOwner = mailOwner();
            if (mailOwner == null) {
                log.warn("master_spawn: service {}: cannot drop privileges: {}", s.label(), ownerProblem);
                master.throttler.cannotStart(s, path, "cannot drop privileges: " + ownerProblem);
                return null;
            }
        }
        List<String> shim = s.inheritance.shimArgs(mailOwner, queue);
        if (shim.isEmpty()) {
            return SpawnPlan.builder(path).argv(argv).env(env).cwd(cwd);
        }
        List<String> wrapped = new ArrayList<>();
        wrapped.add("jmaster-exec");
        wrapped.addAll(shim);
        wrapped.add("--");
        wrapped.add(path);
        wrapped.addAll(argv);
        return SpawnPlan.builder(master.execShim().toString()).argv(wrapped).env(env).cwd(cwd);
    }

    /** mail_owner's entry for the current settings, or null with {@link #ownerProblem} set. */
    private Users.Passwd mailOwner() {
        if (ownerSettings != master.settings) {
            ownerSettings = master.settings;
            try {
                owner = ChildIdentity.mailOwner(ownerSettings.mailOwner());
                ownerProblem = null;
            } catch (IllegalArgumentException e) {
                owner = null;
                ownerProblem = e.getMessage();
            } catch (org.jmaster.nativ.UncheckedNativeException e) {
                // the user database failed (not "no such user"): ask again at the next spawn
                ownerSettings = null;
                owner = null;
                ownerProblem = "mail_owner lookup: " + e.getMessage();
            }
        }
        return owner;
    }

    /**
     * Accept mode: a child for one accepted connection, on its descriptors 0 and 1, with the
     * UCSPI/inetd environment and master.cf's command line exactly as written; it counts against
     * {@code sourceKey} in admission control until it is reaped. The caller closes {@code conn}
     * afterwards, and releases {@code sourceKey} when no child was started.
     */
    void spawnConnection(Service s, int conn, PeerAddress peer, String sourceKey) {
        long gen = ++generation;
        List<String> argv = plainArgv(s);
        String path = s.entry.execPath(master.settings.daemonDirectory()).toString();
        SpawnPlan.Builder plan = builder(s, path, argv, environment(s, connectionEnvironment(conn, peer)));
        int pid = plan == null ? -1 : launch(s, stderrNull(s, plan.dup2(conn, 0).dup2(conn, 1)).build(), path);
        if (pid < 0) {
            return;
        }
        track(s, pid, gen, argv, Events.Code.SPAWN_CONNECTION).sourceKey = sourceKey;
        master.availability.listen(s);
    }

    /** PROTO and the TCP/UNIX variables of UCSPI (tcpserver, ucspi-unix), and systemd's REMOTE_*. */
    private static Map<String, String> connectionEnvironment(int conn, PeerAddress peer) {
        Map<String, String> env = new LinkedHashMap<>();
        if (peer != null && !peer.isUnix()) {
            env.put("PROTO", peer.family() == Sockets.AF_INET6 ? "TCP6" : "TCP");
            env.put("TCPREMOTEIP", peer.address().getHostAddress());
            env.put("TCPREMOTEPORT", Integer.toString(peer.port()));
            try {
                PeerAddress local = Sockets.getsockname(conn);
                env.put("TCPLOCALIP", local.address().getHostAddress());
                env.put("TCPLOCALPORT", Integer.toString(local.port()));
            } catch (NativeException e) {
                // the client is already gone; the child will find out
            }
            env.put("REMOTE_ADDR", peer.address().getHostAddress());
            env.put("REMOTE_PORT", Integer.toString(peer.port()));
        } else {
            env.put("PROTO", "UNIX");
            try {
                Sockets.PeerCred cred = Sockets.getsockoptPeercred(conn);
                env.put("UNIXREMOTEPID", Integer.toString(cred.pid()));
                env.put("UNIXREMOTEEUID", Integer.toString(cred.uid()));
                env.put("UNIXREMOTEEGID", Integer.toString(cred.gid()));
            } catch (NativeException e) {
                // no credentials to report
            }
        }
        return env;
    }

    /**
     * {@code -M max_use_jitter=N}: the child gets {@code -o max_use=} its service's max_use plus or
     * minus up to N (at least 1), so that siblings do not all retire at the same moment.
     */
    private List<String> jitter(Service s, List<String> argv) {
        int n = s.settings.maxUseJitter();
        if (n <= 0) {
            return argv;
        }
        int base;
        try {
            base = Integer.parseInt(s.entry.parameterOverrides().getOrDefault("max_use",
                    Integer.toString(master.settings.maxUse())).trim());
        } catch (NumberFormatException e) {
            base = master.settings.maxUse();
        }
        int value = Math.max(1, base + java.util.concurrent.ThreadLocalRandom.current().nextInt(-n, n + 1));
        List<String> out = new ArrayList<>(argv);
        out.add("-o");
        out.add("max_use=" + value);
        return out;
    }

    /**
     * posix_spawn of {@code plan} (with {@code -M stderr=null} already in it), plus the stderr pipe of
     * {@code -M stderr=log}; on failure logs, throttles the service and returns -1.
     */
    private int launch(Service s, SpawnPlan plan, String path) {
        int[] pipe = s.settings.stderr() == ServiceSettings.Stderr.LOG ? Fds.pipe(false) : null;
        try {
            int pid = Spawn.spawn(pipe == null ? plan : plan.withDup2(pipe[1], 2));
            if (pipe != null) {
                Fds.closeQuietly(pipe[1]);
                Fds.setNonBlocking(pipe[0], true);
                ChildOutput.watch(master.loop, pipe[0], s.entry.extName(), pid, s.stderrBudget);
            }
            return pid;
        } catch (NativeException e) {
            if (pipe != null) {
                Fds.closeQuietly(pipe[0]);
                Fds.closeQuietly(pipe[1]);
            }
            log.warn("master_spawn: exec {}: {}", path, e.strerror());
            master.throttler.cannotStart(s, path, "exec " + path + ": " + e.strerror());
            return -1;
        }
    }

    private Child track(Service s, int pid, long gen, List<String> argv, Events.Code why) {
        Child c = new Child(pid, pidfd(pid), gen, s, s.channel, master.loop.nanoTime());
        master.events.emit(why, s, pid, "generation", gen, "children", s.totalProc() + 1);
        s.adopt(c, s.protocol.startsIdle);
        master.children.put(pid, c);
        master.spawns++;
        master.loop.watchRead(c.pidfd, (fd, rev) -> master.reaper.reap(c));
        if (s.throttle.probing() && s.protocol.provenByLiving()) {
            // a probe of a protocol without status frames proves the command by staying alive
            c.proofTimer = master.loop.schedule(ChildProtocol.QUICK_EXIT_NANOS / 1_000_000L, () -> {
                c.proofTimer = null;
                if (s.prove(c)) {
                    master.throttler.proven(s);
                    master.availability.listen(s);
                }
            });
        }
        if (log.isDebugEnabled()) {
            log.debug("spawn: service {} pid {} generation {} argv {}", s.label(), pid, gen, argv);
        }
        return c;
    }

    private static int pidfd(int pid) {
        try {
            return Processes.pidfdOpen(pid);
        } catch (NativeException | RuntimeException e) {
            // no descriptor left (EMFILE): without a pidfd the child could never be reaped by us, so
            // it must not run untracked; the subreaper flag collects it
            Processes.kill(pid, org.jmaster.nativ.Signals.SIGKILL);
            throw new IllegalStateException("pidfd_open " + pid + ": " + e.getMessage(), e);
        }
    }

    /**
     * Where the child's stderr goes ({@code -M stderr=}, default inherit for Postfix's protocol, else
     * log): {@code null} is part of the plan; {@code log} is a pipe per child ({@link #launch}).
     */
    private static SpawnPlan.Builder stderrNull(Service s, SpawnPlan.Builder plan) {
        if (s.settings.stderr() == ServiceSettings.Stderr.NULL) {
            plan.open(2, "/dev/null", Fds.O_WRONLY);
        }
        return plan;
    }

    /**
     * Runs the spawn and reap path once at start-up ({@code /bin/true} with a child-like descriptor
     * plan), so that the native call stubs exist before the first client waits for a child: the
     * first spawn of a JVM costs ~10 ms, later ones well under one.
     */
    void warmUp() {
        try {
            int pid = Spawn.spawn(SpawnPlan.builder("/bin/true").argv("true")
                    .dup2(master.flowPipe[0], FLOW_READ_FD).dup2(master.flowPipe[1], FLOW_WRITE_FD)
                    .open(STATUS_FD, "/dev/null", Fds.O_RDONLY).build());
            int pidfd = Processes.pidfdOpen(pid);
            try {
                Processes.waitidPidfd(pidfd, false);
            } finally {
                Fds.closeQuietly(pidfd);
            }
        } catch (NativeException e) {
            log.debug("spawn warm-up: {}", e.getMessage());
        }
    }

    long generation() {
        return generation;
    }
}
