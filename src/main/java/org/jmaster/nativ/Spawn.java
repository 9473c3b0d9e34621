package org.jmaster.nativ;

import static org.jmaster.nativ.Native.MEM;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Child creation with {@code posix_spawn} and an exact descriptor plan ({@link SpawnPlan}): no
 * fork from the JVM, no PATH search. Has its own small binding, loaded on first use (the spawn
 * calls, glibc: {@code posix_spawn_file_actions_addchdir_np} >= 2.29, {@code addclosefrom_np}
 * >= 2.34).
 *
 * <h2>Promises</h2>
 * <ul>
 *   <li>A child gets exactly the descriptors of its plan: every other one is closed in it
 *       ({@code addclose} below the highest target, {@code addclosefrom_np} above), whether or not
 *       it is close-on-exec; the temporary descriptors made here are close-on-exec and closed
 *       before {@link #spawn} returns.</li>
 *   <li>A child starts with the signal mask of its plan (empty unless it says otherwise) and every
 *       catchable signal at SIG_DFL except SIGPIPE, which keeps this process's disposition.</li>
 *   <li>Nothing here reaps: the caller opens the child's pidfd ({@link Processes#pidfdOpen}).</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * Every failure of the spawn, the exec's own included (ENOENT, EACCES, ENOEXEC, a cwd that does
 * not exist), throws the checked {@link NativeException} ({@code posix_spawn PATH: ...}).
 *
 * <h2>Threads</h2>
 * Thread-safe; per-call native memory is per thread. The child inherits the umask, the nice value
 * and the identity of the whole process at the moment of the call.
 */
public final class Spawn {
    /**
     * Every signal posix_spawn resets to SIG_DFL in the child: 1..64 but KILL, STOP and PIPE. The
     * set includes glibc's internal 32 and 33 (which sigaddset refuses, so the bits are set
     * directly): glibc's spawn helper otherwise sets them to SIG_IGN in the child, and SIG_IGN
     * survives exec (measured: SigIgn 0x180001000 instead of 0x1000). No signal can reach the
     * child between clone and exec by those numbers: glibc sends them only to its own threads.
     */
    private static final long SIGDEFAULT_WORD0;

    static {
        long w = -1L;
        for (int sig : new int[] {Signals.SIGKILL, Signals.SIGSTOP, Signals.SIGPIPE}) {
            w &= ~(1L << (sig - 1));
        }
        SIGDEFAULT_WORD0 = w;
    }

    private Spawn() {}

    /** The calls this file makes, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            /**
             * posix_spawn with one extra, ignored argument ({@code unused}, pass 0). jnr-ffi 2.2.17's
             * generated x86_64 machine-code stub passes a wrong value as the 6th integer argument
             * (jnr-ffi issue #181; seen here as EFAULT from execve with a garbage envp). Its stub
             * compilers (x86_64 and aarch64) only take functions of at most 6 integer arguments, so a
             * 7th makes jnr-ffi call through libffi instead, which is correct. The C function never
             * reads the extra argument (a register or stack slot the callee ignores under the SysV
             * x86_64 and AAPCS64 conventions).
             */
            int posix_spawn(long pidOut, long path, long fileActions, long attr, long argv, long envp, long unused);

            int posix_spawn_file_actions_init(long fileActions);

            int posix_spawn_file_actions_destroy(long fileActions);

            int posix_spawn_file_actions_adddup2(long fileActions, int fd, int newFd);

            int posix_spawn_file_actions_addclose(long fileActions, int fd);

            int posix_spawn_file_actions_addopen(long fileActions, int fd, long path, int flags, int mode);

            int posix_spawn_file_actions_addchdir_np(long fileActions, long path);

            int posix_spawn_file_actions_addclosefrom_np(long fileActions, int from);

            int posix_spawnattr_init(long attr);

            int posix_spawnattr_destroy(long attr);

            int posix_spawnattr_setflags(long attr, short flags);

            int posix_spawnattr_setsigmask(long attr, long sigset);

            int posix_spawnattr_setsigdefault(long attr, long sigset);

            int posix_spawnattr_setpgroup(long attr, int pgroup);

            int fcntl(int fd, int cmd, int arg);

            int close(int fd);
        }
    }

    /**
     * Starts {@code plan.path()} with {@code posix_spawn} (no PATH search) and returns its pid.
     *
     * <p>The child gets: the plan's descriptors ({@code adddup2} per {@link SpawnPlan.Dup2},
     * {@code addopen} per {@link SpawnPlan.Open}), explicit closes of every unplanned descriptor
     * from 3 to the highest target, {@code addclosefrom_np(highest + 1)} for the rest, and the
     * parent's 0–2 unless planned; the plan's signal mask (empty by default); every catchable
     * signal at SIG_DFL except SIGPIPE, which keeps the parent's disposition (call
     * {@link Signals#ignoreSigpipe()} once so that children inherit SIG_IGN, as Postfix's do); the
     * plan's cwd, session or process group.
     *
     * <p>A source that is also a target of the plan, or its own target, is first copied in the
     * parent to a temporary close-on-exec descriptor above the highest target; the child dup2s
     * from that, so no action clobbers a later one's source and a same-number mapping loses
     * close-on-exec. The temporaries are closed before this returns.
     *
     * <p>Errors, including the exec's own (glibc reports it through posix_spawn's return value,
     * the failed child is reaped by glibc), throw {@code NativeException("posix_spawn", path,
     * errno)}, e.g. ENOENT, EACCES, ENOEXEC; a failing file action (a cwd that does not exist, an
     * {@code open} that fails) is reported the same way.
     */
    public static int spawn(SpawnPlan plan) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        int[] temps = new int[plan.fdActions().size()];
        int nTemps = 0;
        long fa = s.alloc(Abi.SPAWN_FILE_ACTIONS_RESERVE);
        long attr = s.alloc(Abi.SPAWNATTR_RESERVE);
        boolean faReady = false;
        boolean attrReady = false;
        try {
            spawnCheck("posix_spawn_file_actions_init", Lib.C.posix_spawn_file_actions_init(fa), plan);
            faReady = true;
            spawnCheck("posix_spawnattr_init", Lib.C.posix_spawnattr_init(attr), plan);
            attrReady = true;

            int highest = plan.highestTarget();
            Set<Integer> targets = plan.targets();
            for (SpawnPlan.FdAction a : plan.fdActions()) {
                if (a instanceof SpawnPlan.Dup2 d) {
                    int source = d.source();
                    if (source == d.target() || targets.contains(source)) {
                        int tmp = Lib.C.fcntl(source, Abi.F_DUPFD_CLOEXEC, highest + 1);
                        if (tmp < 0) {
                            throw new NativeException("posix_spawn", plan.path() + ": dup of descriptor " + source,
                                    Native.errno());
                        }
                        temps[nTemps++] = tmp;
                        source = tmp;
                    }
                    spawnCheck("posix_spawn_file_actions_adddup2",
                            Lib.C.posix_spawn_file_actions_adddup2(fa, source, d.target()), plan);
                } else if (a instanceof SpawnPlan.Open o) {
                    spawnCheck("posix_spawn_file_actions_addopen",
                            Lib.C.posix_spawn_file_actions_addopen(fa, o.target(), s.cstr(o.path()), o.flags(), o.mode()),
                            plan);
                } else if (a instanceof SpawnPlan.Close c) {
                    spawnCheck("posix_spawn_file_actions_addclose",
                            Lib.C.posix_spawn_file_actions_addclose(fa, c.target()), plan);
                }
            }
            for (int fd : plan.gaps()) {
                spawnCheck("posix_spawn_file_actions_addclose", Lib.C.posix_spawn_file_actions_addclose(fa, fd), plan);
            }
            spawnCheck("posix_spawn_file_actions_addclosefrom_np",
                    Lib.C.posix_spawn_file_actions_addclosefrom_np(fa, highest + 1), plan);
            if (plan.cwd() != null) {
                spawnCheck("posix_spawn_file_actions_addchdir_np",
                        Lib.C.posix_spawn_file_actions_addchdir_np(fa, s.cstr(plan.cwd())), plan);
            }

            short flags = (short) (Abi.POSIX_SPAWN_SETSIGMASK | Abi.POSIX_SPAWN_SETSIGDEF);
            long mask = s.calloc(Abi.SIGSET_SIZE);
            MEM.putLong(mask, plan.blockedSignals());
            spawnCheck("posix_spawnattr_setsigmask", Lib.C.posix_spawnattr_setsigmask(attr, mask), plan);
            long defaults = s.calloc(Abi.SIGSET_SIZE);
            MEM.putLong(defaults, SIGDEFAULT_WORD0);
            spawnCheck("posix_spawnattr_setsigdefault", Lib.C.posix_spawnattr_setsigdefault(attr, defaults), plan);
            if (plan.newSession()) {
                flags |= Abi.POSIX_SPAWN_SETSID;
            }
            if (plan.processGroup() != null) {
                flags |= Abi.POSIX_SPAWN_SETPGROUP;
                spawnCheck("posix_spawnattr_setpgroup", Lib.C.posix_spawnattr_setpgroup(attr, plan.processGroup()), plan);
            }
            spawnCheck("posix_spawnattr_setflags", Lib.C.posix_spawnattr_setflags(attr, flags), plan);

            long pidOut = s.calloc(8);
            long path = s.cstr(plan.path());
            long argv = s.cstrArray(plan.argv());
            long envp = s.cstrArray(plan.env());
            int rc = Lib.C.posix_spawn(pidOut, path, fa, attr, argv, envp, 0L);
            if (rc != 0) {
                throw new NativeException("posix_spawn", plan.path(), rc);
            }
            return MEM.getInt(pidOut);
        } finally {
            if (faReady) {
                Lib.C.posix_spawn_file_actions_destroy(fa);
            }
            if (attrReady) {
                Lib.C.posix_spawnattr_destroy(attr);
            }
            for (int i = 0; i < nTemps; i++) {
                Lib.C.close(temps[i]);
            }
            s.release(mark);
        }
    }

    private static void spawnCheck(String call, int rc, SpawnPlan plan) throws NativeException {
        if (rc != 0) {
            throw new NativeException(call, plan.path(), rc);
        }
    }

    /**
     * Runs {@code command} through {@code /bin/sh -c} with this process's environment and standard
     * descriptors, and waits for it (for {@code debugger_command}, as Postfix's {@code system()}).
     */
    public static ExitStatus runShell(String command) throws NativeException {
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        int pid = spawn(SpawnPlan.builder("/bin/sh").argv("sh", "-c", command).env(env)
                .dup2(0, 0).dup2(1, 1).dup2(2, 2).build());
        int pidfd = Processes.pidfdOpen(pid);
        try {
            return Processes.waitidPidfd(pidfd, false);
        } finally {
            Fds.closeQuietly(pidfd);
        }
    }
}
