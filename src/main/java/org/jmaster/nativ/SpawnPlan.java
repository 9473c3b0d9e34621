package org.jmaster.nativ;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Everything a child gets from {@link Spawn#spawn}: the program, argv, the environment, the
 * descriptor plan, the working directory and session/process-group. Immutable; made with
 * {@link #builder(String)}.
 *
 * <p>The descriptor plan says what each <em>target</em> descriptor of the child is: a dup of one
 * of the parent's descriptors ({@link Dup2}), a file opened in the child ({@link Open}) or closed
 * ({@link Close}). The child has exactly the targets of the plan and, unless the plan says
 * otherwise, the parent's 0, 1 and 2; every other descriptor is closed. Targets are unique.
 *
 * <p>Defaults: argv is {@code [path]}, the environment is empty (the child gets exactly what is
 * given, nothing of the parent's), the working directory is the parent's, same session and
 * process group as the parent, no signal blocked. The path is used as is (no PATH search); a relative path is
 * resolved against the child's working directory.
 */
public final class SpawnPlan {
    /** One entry of the descriptor plan. */
    public sealed interface FdAction permits Dup2, Open, Close {
        /** The child's descriptor this action defines. */
        int target();
    }

    /** The child's {@code target} is a copy of the parent's {@code source}, without close-on-exec. */
    public record Dup2(int source, int target) implements FdAction {
        public Dup2 {
            if (source < 0 || target < 0) {
                throw new IllegalArgumentException("dup2 " + source + " -> " + target);
            }
        }
    }

    /** The child opens {@code path} with {@code flags} and {@code mode} at {@code target}. */
    public record Open(int target, String path, int flags, int mode) implements FdAction {
        public Open {
            Objects.requireNonNull(path, "path");
            if (target < 0) {
                throw new IllegalArgumentException("open target " + target);
            }
            // an O_CLOEXEC target would vanish at exec when open(2) happens to return the target itself
            flags &= ~Fds.O_CLOEXEC;
        }
    }

    /** The child's {@code target} is closed (only meaningful for 0, 1, 2: all others are closed anyway). */
    public record Close(int target) implements FdAction {
        public Close {
            if (target < 0) {
                throw new IllegalArgumentException("close " + target);
            }
        }
    }

    private final String path;
    private final List<String> argv;
    private final List<String> env;
    private final List<FdAction> fdActions;
    private final String cwd;
    private final boolean newSession;
    private final Integer processGroup;
    private final Set<Integer> targets;
    private final int highestTarget;
    private final long blockedSignals;

    private SpawnPlan(Builder b) {
        this.path = b.path;
        this.argv = List.copyOf(b.argv == null ? List.of(b.path) : b.argv);
        this.env = List.copyOf(b.env);
        this.fdActions = List.copyOf(b.fdActions);
        this.cwd = b.cwd;
        this.newSession = b.newSession;
        this.processGroup = b.processGroup;
        this.blockedSignals = b.blockedSignals;
        TreeSet<Integer> t = new TreeSet<>();
        for (FdAction a : fdActions) {
            if (!t.add(a.target())) {
                throw new IllegalArgumentException("descriptor " + a.target() + " planned twice");
            }
        }
        this.targets = Collections.unmodifiableSet(t);
        this.highestTarget = t.isEmpty() ? 2 : Math.max(2, t.last());
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must have at least argv[0]");
        }
        if (newSession && processGroup != null) {
            throw new IllegalArgumentException("newSession and processGroup exclude each other");
        }
        for (String s : argv) {
            Scratch.utf8(s); // refuse NUL now, not at spawn time
        }
        for (String s : env) {
            Scratch.utf8(s);
        }
    }

    /** This plan with environment entry {@code index} replaced by {@code entry}; the rest is shared, not checked again. */
    private SpawnPlan(SpawnPlan p, List<String> env, List<FdAction> fdActions, Set<Integer> targets, int highestTarget) {
        this.path = p.path;
        this.argv = p.argv;
        this.env = env;
        this.fdActions = fdActions;
        this.cwd = p.cwd;
        this.newSession = p.newSession;
        this.processGroup = p.processGroup;
        this.targets = targets;
        this.highestTarget = highestTarget;
        this.blockedSignals = p.blockedSignals;
    }

    public static Builder builder(String path) {
        return new Builder(path);
    }

    /**
     * This plan with environment entry {@code index} replaced by {@code entry}: for a plan made once
     * and spawned many times with one value that differs per child (Postfix's {@code GENERATION}).
     * Only the new entry is checked.
     */
    public SpawnPlan withEnv(int index, String entry) {
        Objects.checkIndex(index, env.size());
        Scratch.utf8(entry);
        String[] e = env.toArray(new String[0]);
        e[index] = entry;
        return new SpawnPlan(this, List.of(e), fdActions, targets, highestTarget);
    }

    /** This plan with one more descriptor, a dup of {@code source} at the unplanned {@code target}. */
    public SpawnPlan withDup2(int source, int target) {
        Dup2 d = new Dup2(source, target);
        if (targets.contains(target)) {
            throw new IllegalArgumentException("descriptor " + target + " planned twice");
        }
        List<FdAction> actions = new ArrayList<>(fdActions);
        actions.add(d);
        TreeSet<Integer> t = new TreeSet<>(targets);
        t.add(target);
        return new SpawnPlan(this, env, List.copyOf(actions), Collections.unmodifiableSet(t), Math.max(highestTarget, target));
    }

    public String path() {
        return path;
    }

    public List<String> argv() {
        return argv;
    }

    /** {@code NAME=value} strings, exactly what the child's environ will be. */
    public List<String> env() {
        return env;
    }

    /** The descriptor plan in the order given. */
    public List<FdAction> fdActions() {
        return fdActions;
    }

    /** The child's working directory, or null for the parent's. */
    public String cwd() {
        return cwd;
    }

    /** Whether the child starts a new session ({@code setsid}). */
    public boolean newSession() {
        return newSession;
    }

    /** The process group to put the child in (0: a new one led by the child), or null for the parent's. */
    public Integer processGroup() {
        return processGroup;
    }

    /** The signals the child starts with blocked: bit {@code sig - 1} for signal {@code sig} (1..64). */
    public long blockedSignals() {
        return blockedSignals;
    }

    /** The planned descriptors. */
    public Set<Integer> targets() {
        return targets;
    }

    /** The highest planned descriptor, at least 2: everything above it is closed in the child. */
    public int highestTarget() {
        return highestTarget;
    }

    /**
     * The descriptors below {@link #highestTarget()} and above 2 that are not planned: the child
     * closes them explicitly (everything above the highest target goes with one closefrom).
     */
    public List<Integer> gaps() {
        List<Integer> out = new ArrayList<>();
        for (int fd = 3; fd < highestTarget; fd++) {
            if (!targets.contains(fd)) {
                out.add(fd);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "SpawnPlan[" + path + " argv=" + argv + " env=" + env.size() + " vars fds=" + fdActions
                + (cwd != null ? " cwd=" + cwd : "") + (newSession ? " setsid" : "")
                + (processGroup != null ? " pgroup=" + processGroup : "") + "]";
    }

    /** Collects a plan; not thread-safe; {@link #build()} validates and copies. */
    public static final class Builder {
        private final String path;
        private List<String> argv;
        private List<String> env = List.of();
        private final List<FdAction> fdActions = new ArrayList<>();
        private String cwd;
        private boolean newSession;
        private Integer processGroup;
        private long blockedSignals;

        private Builder(String path) {
            this.path = Objects.requireNonNull(path, "path");
        }

        public Builder argv(List<String> argv) {
            this.argv = List.copyOf(argv);
            return this;
        }

        public Builder argv(String... argv) {
            return argv(List.of(argv));
        }

        /** The complete environment as {@code NAME=value} strings. */
        public Builder env(List<String> env) {
            this.env = List.copyOf(env);
            return this;
        }

        /** The parent's descriptor {@code source} becomes the child's {@code target}. */
        public Builder dup2(int source, int target) {
            fdActions.add(new Dup2(source, target));
            return this;
        }

        /** The child opens {@code path} at {@code target} (mode 0 unless O_CREAT). */
        public Builder open(int target, String path, int flags) {
            return open(target, path, flags, 0);
        }

        public Builder open(int target, String path, int flags, int mode) {
            fdActions.add(new Open(target, path, flags, mode));
            return this;
        }

        /** The child's {@code target} is closed (for 0, 1 or 2). */
        public Builder close(int target) {
            fdActions.add(new Close(target));
            return this;
        }

        public Builder cwd(String cwd) {
            this.cwd = cwd;
            return this;
        }

        public Builder newSession(boolean newSession) {
            this.newSession = newSession;
            return this;
        }

        /** Puts the child in process group {@code pgid}; 0 makes it the leader of a new group. */
        public Builder processGroup(int pgid) {
            this.processGroup = pgid;
            return this;
        }

        /** The child starts with {@code signals} blocked (for a JVM that reads SIGCHLD from a signalfd). */
        public Builder blockSignals(int... signals) {
            for (int sig : signals) {
                if (sig < 1 || sig > 64 || sig == Signals.SIGKILL || sig == Signals.SIGSTOP) {
                    throw new IllegalArgumentException("cannot block signal " + sig);
                }
                blockedSignals |= 1L << (sig - 1);
            }
            return this;
        }

        public SpawnPlan build() {
            return new SpawnPlan(this);
        }
    }
}
