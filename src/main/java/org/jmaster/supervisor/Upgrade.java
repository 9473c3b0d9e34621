package org.jmaster.supervisor;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jmaster.nativ.Exec;
import org.jmaster.nativ.ExitStatus;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.Signals;
import org.jmaster.nativ.Sockets;
import org.jmaster.nativ.Spawn;
import org.jmaster.nativ.SpawnPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binary upgrade, the old master's side: {@code jmaster upgrade} or SIGUSR2 starts a new master from
 * the launcher and jar installed now, hands it every listening socket, the lock files (an flock is
 * held by the open file description, so the passed descriptors keep the locks), the control socket
 * and the metrics endpoint, and waits for it to say it is ready. Then this master lets go: it stops
 * spawning, closes its status channels (its children finish their current client and leave,
 * Postfix's reload semantics) and its copies of the listeners, tells the new master to go on, and
 * exits once its last child is gone. If the new master dies, reports a failure or is not ready
 * within {@code master_upgrade_timeout}, this master kills it, logs why and keeps serving: nothing
 * changed.
 *
 * <h2>The hand-over</h2>
 * The new master is spawned with the descriptors at 3, 4, … and the environment
 * {@code JMASTER_UPGRADE_PID} (this pid), {@code JMASTER_UPGRADE_GENERATION} (its binary
 * generation), {@code JMASTER_UPGRADE_FDS} (the descriptor numbers, {@code :}-separated) and
 * {@code JMASTER_UPGRADE_FDNAMES} (their names: {@code jmaster.handshake}, {@code jmaster.pid},
 * {@code jmaster.lock}, {@code jmaster.control}, {@code jmaster.metrics}, empty for a listener,
 * which it matches to its services by address as it matches {@code LISTEN_FDS}). On the handshake
 * socket it writes {@code ready <pid>} once everything is open (or {@code failed <reason>}), and
 * waits for {@code go}; only then it takes the pid file, the control socket and {@code MAINPID}.
 *
 * <h2>PID 1</h2>
 * In init mode ({@code -i}) the pid must stay 1, so the master first runs the new launcher's
 * {@code --check} (configuration and installation), then replaces its own program in place
 * ({@link Exec#replace}) with the same descriptors. The old children see their status channel
 * close at the exec and leave when idle; the new program reaps them as orphans. A failed
 * {@code --check} or {@code execve} changes nothing; a new program that fails after the exec cannot
 * fall back.
 *
 * <p>Owned by the loop thread.
 */
public final class Upgrade {
    private static final Logger log = LoggerFactory.getLogger("master");
    /** The handshake's lines are short; more than this is a broken new master. */
    private static final int MAX_HANDSHAKE = 4096;
    static final String HANDSHAKE = "jmaster.handshake";

    /** What the caller (the command line's side) provides for an upgrade. */
    public interface Host {
        /** The program and arguments of a new master, as installed now; the first is the program. */
        List<String> command();

        /** Descriptors a new master takes besides the listeners, by name (lock files, control socket, metrics). */
        Map<String, Integer> descriptors();

        /** The new master {@code pid} took over: tell the service manager, stop answering on the control socket. */
        void committed(long pid);

        /** Variables the new master's launcher needs besides this process's environment. */
        default Map<String, String> environment() {
            return Map.of();
        }
    }

    private enum State { IDLE, STARTING, COMMITTED }

    private final Supervisor master;
    private State state = State.IDLE;
    private Attempt attempt;
    private final List<Supervisor.Outcome> waiting = new ArrayList<>();
    private long startedNanos;

    Upgrade(Supervisor master) {
        this.master = master;
    }

    boolean committed() {
        return state == State.COMMITTED;
    }

    /** For status: empty, {@code starting pid N}, or {@code retiring}. */
    String state() {
        switch (state) {
            case STARTING:
                return attempt != null && attempt.pid > 0 ? "starting pid " + attempt.pid : "starting";
            case COMMITTED:
                return "retiring";
            default:
                return "";
        }
    }

    void begin(Supervisor.Outcome outcome) {
        if (state == State.COMMITTED) {
            outcome.done(false, "upgrade refused: this master has handed over already and is retiring");
            return;
        }
        if (state == State.STARTING) {
            waiting.add(outcome);
            return;
        }
        if (master.shuttingDown) {
            outcome.done(false, "upgrade refused: the master is shutting down");
            return;
        }
        if (master.canary.active()) {
            refuse(outcome, "a canary reload is in its window; wait for its outcome");
            return;
        }
        Host host = master.config().hooks().upgradeHost();
        if (host == null || host.command() == null) {
            refuse(outcome, "this master was not started by the launcher, so it does not know what to run");
            return;
        }
        long generation = master.binaryGeneration + 1;
        List<String> command = host.command();
        state = State.STARTING;
        startedNanos = master.loop.nanoTime();
        waiting.add(outcome);
        log.info("upgrade: starting a new master ({}), binary generation {}", command.get(0), generation);
        master.events.emit(Events.Code.UPGRADE_BEGIN, (String) null, 0, "program", command.get(0),
                "binary_generation", generation, "mode", master.config().initMode() ? "exec" : "spawn");
        Map<String, Integer> fds = new LinkedHashMap<>(host.descriptors());
        attempt = new Attempt(host, command, generation);
        try {
            if (master.config().initMode()) {
                attempt.check(fds);
            } else {
                attempt.spawn(fds);
            }
        } catch (NativeException | RuntimeException e) {
            fail(e.getMessage());
        }
    }

    private void refuse(Supervisor.Outcome outcome, String why) {
        log.warn("upgrade refused: {}", why);
        master.events.emit(Events.Code.UPGRADE_FAILED, (String) null, 0, "reason", why);
        outcome.done(false, "upgrade refused: " + why);
    }

    /** The master is shutting down: a new master that has not taken over is stopped. */
    void abandon(String why) {
        if (state == State.STARTING) {
            fail(why);
        }
    }

    /** After the hand-over: this master's last child is gone. */
    void retired() {
        log.info("upgrade: the last child of this master is gone; exiting");
        master.events.emit(Events.Code.UPGRADE_RETIRED, (String) null, 0, "after_ms",
                (master.loop.nanoTime() - startedNanos) / 1_000_000L);
        master.exitRetired();
    }

    private void fail(String why) {
        if (state != State.STARTING) {
            return;
        }
        state = State.IDLE;
        Attempt a = attempt;
        attempt = null;
        if (a != null) {
            a.abort();
        }
        log.warn("upgrade failed: {}; this master (pid {}) keeps serving", why, ProcessHandle.current().pid());
        master.events.emit(Events.Code.UPGRADE_FAILED, (String) null, a == null ? 0 : a.pid, "reason", why);
        tell(false, "upgrade failed: " + why + "; master pid " + ProcessHandle.current().pid() + " keeps serving");
    }

    private void tell(boolean ok, String text) {
        List<Supervisor.Outcome> all = new ArrayList<>(waiting);
        waiting.clear();
        for (Supervisor.Outcome o : all) {
            o.done(ok, text);
        }
    }

    /** The environment of a new master: ours, without what was meant for us alone, plus the hand-over's. */
    private static List<String> environment(Host host, Map<String, String> upgrade) {
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            String k = e.getKey();
            // LISTEN_* were this process's (consumed); WATCHDOG_PID names this pid, not the new one
            if (k.startsWith("LISTEN_") || k.equals("WATCHDOG_PID") || k.startsWith("JMASTER_UPGRADE_")) {
                continue;
            }
            env.add(k + "=" + e.getValue());
        }
        host.environment().forEach((k, v) -> env.add(k + "=" + v));
        upgrade.forEach((k, v) -> env.add(k + "=" + v));
        return env;
    }

    /**
     * The orphan reaper found {@code pid} waitable: when it is the new master (or its check) this
     * upgrade still watches, its exit is handled here, as its pidfd would have, and true; the
     * reaper must not take its status first.
     */
    boolean reapIfOurs(int pid) {
        Attempt a = attempt;
        if (a == null || a.pid != pid || a.pidfd < 0) {
            return false;
        }
        a.exited();
        return true;
    }

    /** One try: the new master (or, as PID 1, the check before the exec) and what watches it. */
    private final class Attempt {
        final Host host;
        final List<String> command;
        final long generation;
        int pid = -1;
        int pidfd = -1;
        int handshake = -1;
        /** The check's standard error, for the reason it failed. */
        int stderr = -1;
        final StringBuilder input = new StringBuilder();
        EventLoop.Timer timeout;
        String reported;

        Attempt(Host host, List<String> command, long generation) {
            this.host = host;
            this.command = command;
            this.generation = generation;
        }

        void spawn(Map<String, Integer> named) throws NativeException {
            int[] pair = Sockets.socketpair();
            handshake = pair[0];
            Fds.setNonBlocking(handshake, true);
            List<String> names = new ArrayList<>();
            List<Integer> sources = new ArrayList<>();
            names.add(HANDSHAKE);
            sources.add(pair[1]);
            named.forEach((n, fd) -> {
                if (fd >= 0) {
                    names.add(n);
                    sources.add(fd);
                }
            });
            master.listeners().forEach((n, fd) -> {
                names.add(n);
                sources.add(fd);
            });
            SpawnPlan.Builder plan = SpawnPlan.builder(command.get(0)).argv(command)
                    .dup2(0, 0).dup2(1, 1).dup2(2, 2);
            List<String> numbers = new ArrayList<>();
            for (int i = 0; i < sources.size(); i++) {
                plan.dup2(sources.get(i), 3 + i);
                numbers.add(Integer.toString(3 + i));
            }
            Map<String, String> vars = new LinkedHashMap<>();
            vars.put("JMASTER_UPGRADE_PID", Long.toString(ProcessHandle.current().pid()));
            vars.put("JMASTER_UPGRADE_GENERATION", Long.toString(generation));
            vars.put("JMASTER_UPGRADE_FDS", String.join(":", numbers));
            vars.put("JMASTER_UPGRADE_FDNAMES", names(names));
            plan.env(environment(host, vars));
            try {
                pid = Spawn.spawn(plan.build());
            } finally {
                Fds.closeQuietly(pair[1]);
            }
            watch();
            master.loop.watchRead(handshake, (fd, rev) -> handshakeReadable());
            log.info("upgrade: new master pid {} started with {} descriptor(s); waiting for it to be ready", pid,
                    sources.size());
        }

        /** PID 1: run the new launcher's {@code --check} first; exec in place when it passes. */
        void check(Map<String, Integer> named) throws NativeException {
            List<String> argv = new ArrayList<>(List.of(command.get(0), "-c",
                    master.settings.configDirectory().toString(), "--check"));
            int[] pipe = Fds.pipe(false);
            stderr = pipe[0];
            Fds.setNonBlocking(stderr, true);
            try {
                pid = Spawn.spawn(SpawnPlan.builder(command.get(0)).argv(argv).env(environment(host, Map.of()))
                        .open(0, "/dev/null", Fds.O_RDONLY).open(1, "/dev/null", Fds.O_WRONLY)
                        .dup2(pipe[1], 2).build());
            } finally {
                Fds.closeQuietly(pipe[1]);
            }
            master.loop.watchRead(stderr, (fd, rev) -> stderrReadable());
            watch();
            checkedNamed = named;
        }

        Map<String, Integer> checkedNamed;

        private void watch() throws NativeException {
            try {
                pidfd = Processes.pidfdOpen(pid);
            } catch (NativeException e) {
                Processes.kill(pid, Signals.SIGKILL);
                throw e;
            }
            master.loop.watchRead(pidfd, (fd, rev) -> exited());
            timeout = master.loop.schedule(master.settings.upgradeTimeoutSeconds() * 1000L, () -> {
                timeout = null;
                if (attempt == this) {
                    fail((stderr >= 0 ? "the configuration check of the new master (pid " : "new master pid ")
                            + pid + (stderr >= 0 ? ") did not finish" : " was not ready") + " within "
                            + master.settings.upgradeTimeoutSeconds() + "s (master_upgrade_timeout)");
                }
            });
        }

        private void handshakeReadable() {
            byte[] buf = new byte[512];
            int n = Fds.readNonBlocking(handshake, buf, 0, buf.length);
            if (n < 0) {
                return;
            }
            if (n == 0) {
                // the new master closed its end: it is gone or going; its exit says how
                master.loop.unwatch(handshake);
                return;
            }
            input.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            int nl;
            while (attempt == this && (nl = input.indexOf("\n")) >= 0) {
                String line = input.substring(0, nl);
                input.delete(0, nl + 1);
                if (line.startsWith("ready")) {
                    commit();
                } else if (line.startsWith("failed ")) {
                    reported = line.substring(7);
                    fail("new master pid " + pid + ": " + reported);
                }
            }
            if (input.length() > MAX_HANDSHAKE) {
                fail("new master pid " + pid + " sent garbage on the handshake socket");
            }
        }

        private void stderrReadable() {
            byte[] buf = new byte[1024];
            int n;
            while ((n = Fds.readNonBlocking(stderr, buf, 0, buf.length)) > 0) {
                input.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                if (input.length() > MAX_HANDSHAKE) {
                    input.delete(0, input.length() - MAX_HANDSHAKE);
                }
            }
            if (n == 0) {
                master.loop.unwatch(stderr);
            }
        }

        /** The new master (or the check) exited. */
        private void exited() {
            ExitStatus st = Processes.waitidPidfd(pidfd, true);
            if (st.kind() == ExitStatus.Kind.NONE || st.kind() == ExitStatus.Kind.STOPPED) {
                return;
            }
            master.loop.unwatch(pidfd);
            Fds.closeQuietly(pidfd);
            pidfd = -1;
            if (attempt != this) {
                return;
            }
            if (stderr >= 0) {
                stderrReadable();
                if (st.success()) {
                    exec();
                } else {
                    fail("the configuration check of the new master failed (" + describe(st) + ")"
                            + lastLine(input.toString()));
                }
                return;
            }
            fail("new master " + st + " before it was ready" + (reported != null ? ": " + reported : ""));
        }

        private String describe(ExitStatus st) {
            return st.toString().replaceFirst("^pid \\d+ ", "");
        }

        private void commit() {
            state = State.COMMITTED;
            cancelTimeout();
            long ms = (master.loop.nanoTime() - startedNanos) / 1_000_000L;
            master.events.emit(Events.Code.UPGRADE_READY, (String) null, pid, "after_ms", ms);
            master.retire();
            host.committed(pid);
            Fds.writeQuietly(handshake, "go\n".getBytes(StandardCharsets.US_ASCII));
            master.loop.unwatch(handshake);
            Fds.closeQuietly(handshake);
            handshake = -1;
            // the new master is the master now: never reaped or signalled by us (it outlives us)
            master.loop.unwatch(pidfd);
            Fds.closeQuietly(pidfd);
            pidfd = -1;
            int left = master.children.size();
            log.info("upgrade: new master pid {} (binary generation {}) took over after {}ms; waiting for {} child(ren)"
                    + " to finish", pid, generation, ms, left);
            master.events.emit(Events.Code.UPGRADE_COMMITTED, (String) null, pid, "binary_generation", generation,
                    "children", left);
            tell(true, "upgraded: master pid " + ProcessHandle.current().pid() + " handed over to pid " + pid
                    + ", binary generation " + generation);
            if (left == 0) {
                retired();
                return;
            }
            long grace = master.settings.shutdownGraceSeconds() * 1000L;
            master.loop.schedule(grace, () -> stragglers(Signals.SIGTERM, grace));
        }

        /** Children still busy after the grace time get SIGTERM, and SIGKILL after another. */
        private void stragglers(int signal, long grace) {
            if (master.children.isEmpty()) {
                return;
            }
            log.warn("upgrade: {} child(ren) of the old master still running after {}s: sending {}",
                    master.children.size(), grace / 1000, Signals.name(signal));
            for (Child c : master.children.values()) {
                Processes.kill(c.pid, signal);
            }
            if (signal == Signals.SIGTERM) {
                master.loop.schedule(grace, () -> stragglers(Signals.SIGKILL, grace));
            }
        }

        /** PID 1, after a good check: the new program in place of this one. */
        private void exec() {
            cancelTimeout();
            if (stderr >= 0) {
                master.loop.unwatch(stderr);
                Fds.closeQuietly(stderr);
                stderr = -1;
            }
            List<String> names = new ArrayList<>();
            List<Integer> keep = new ArrayList<>();
            checkedNamed.forEach((n, fd) -> {
                if (fd >= 0) {
                    names.add(n);
                    keep.add(fd);
                }
            });
            master.listeners().forEach((n, fd) -> {
                names.add(n);
                keep.add(fd);
            });
            Map<String, String> vars = new LinkedHashMap<>();
            vars.put("JMASTER_UPGRADE_PID", Long.toString(ProcessHandle.current().pid()));
            vars.put("JMASTER_UPGRADE_GENERATION", Long.toString(generation));
            vars.put("JMASTER_UPGRADE_FDS", String.join(":", keep.stream().map(String::valueOf).toList()));
            vars.put("JMASTER_UPGRADE_FDNAMES", names(names));
            List<String> retiring = new ArrayList<>();
            for (Child c : master.children.values()) {
                retiring.add(Integer.toString(c.pid));
            }
            vars.put("JMASTER_UPGRADE_RETIRING", String.join(":", retiring));
            log.info("upgrade: configuration check passed; re-executing {} in place as pid {} (binary generation {})",
                    command.get(0), ProcessHandle.current().pid(), generation);
            master.events.emit(Events.Code.UPGRADE_COMMITTED, (String) null, ProcessHandle.current().pid(),
                    "binary_generation", generation, "mode", "exec", "children", master.children.size());
            tell(true, "upgrading in place: pid " + ProcessHandle.current().pid() + " re-executes " + command.get(0)
                    + ", binary generation " + generation);
            int[] fds = keep.stream().mapToInt(Integer::intValue).toArray();
            try {
                Exec.replace(command.get(0), command, environment(host, vars), fds);
            } catch (NativeException e) {
                // nothing changed: this program goes on
                state = State.STARTING;
                attempt = this;
                fail(e.getMessage());
            }
        }

        private void cancelTimeout() {
            if (timeout != null) {
                timeout.cancel();
                timeout = null;
            }
        }

        /** Stops this try: the new master (or the check) is killed and reaped when its exit shows. */
        void abort() {
            cancelTimeout();
            if (pidfd >= 0) {
                Processes.kill(pid, Signals.SIGKILL);
            }
            if (handshake >= 0) {
                master.loop.unwatch(handshake);
                Fds.closeQuietly(handshake);
                handshake = -1;
            }
            if (stderr >= 0) {
                master.loop.unwatch(stderr);
                Fds.closeQuietly(stderr);
                stderr = -1;
            }
        }
    }

    /** The names of the descriptors, blank-separated, each with {@code %} and blanks escaped ({@code %25}, {@code %20}). */
    static String names(List<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            out.add(n.replace("%", "%25").replace(" ", "%20"));
        }
        return String.join(" ", out);
    }

    private static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        String last = lines.length == 0 ? "" : lines[lines.length - 1].strip();
        return last.isEmpty() ? "" : ": " + last;
    }
}
