package org.jmaster.nativ;

import static org.jmaster.nativ.Errno.ECHILD;
import static org.jmaster.nativ.Errno.EINTR;
import static org.jmaster.nativ.Errno.EPERM;
import static org.jmaster.nativ.Errno.ESRCH;
import static org.jmaster.nativ.Native.MEM;

import jnr.ffi.annotations.IgnoreError;

/**
 * Processes and pidfds: a child's pidfd, reaping through it, signals to processes, and this
 * process's own state (pid, umask, nice value, subreaper, open-file limit). Has its own small
 * binding, loaded on first use. Signal dispositions are in {@link Signals}.
 *
 * <h2>Promises</h2>
 * <ul>
 *   <li>Pidfds are close-on-exec by kernel rule.</li>
 *   <li>Children are reaped only through their pidfd ({@link #waitidPidfd}), or one named pid
 *       ({@link #reapNoHang}); nothing here calls {@code waitpid(-1)}.</li>
 *   <li>EINTR is retried inside every call.</li>
 *   <li>Non-blocking results are values, not exceptions: {@link #kill} returns false when the
 *       process is gone; {@link #waitidPidfd} with {@code noHang} returns
 *       {@link ExitStatus#NOT_YET} while the child runs.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * A failure that the caller must expect (a pid that is gone, a refused nice value) throws the
 * checked {@link NativeException} with the call, its subject and errno. A failure that only a bug
 * explains (ECHILD from waitid on our own pidfd, EBADF) throws {@link UncheckedNativeException};
 * such methods are marked "unchecked" below.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe in the sense of the underlying system calls; per-call native memory
 * is per thread. {@link #umask} and {@link #raiseNofileLimit} change the whole process.
 */
public final class Processes {
    /** A resource limit; -1 (rlim_t's all-ones RLIM_INFINITY) for unlimited. */
    record Rlimit(long soft, long hard) {}

    static final int RLIMIT_CORE = Abi.RLIMIT_CORE;
    static final int RLIMIT_NOFILE = Abi.RLIMIT_NOFILE;

    private Processes() {}

    /** The calls this file makes, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            // glibc >= 2.36 has the pidfd wrappers
            int pidfd_open(int pid, int flags);

            int waitid(int idtype, int id, long siginfo, int options);

            int waitpid(int pid, long status, int options);

            int kill(int pid, int sig);

            @IgnoreError
            int getpid();

            @IgnoreError
            int umask(int mask);

            int prctl(int option, long arg2, long arg3, long arg4, long arg5);

            int setpriority(int which, int who, int prio);

            int getrlimit(int resource, long rlimit);

            int setrlimit(int resource, long rlimit);
        }
    }

    // =====================================================================================
    // children: pidfd, waitid, signals to processes

    /** A pidfd for {@code pid} (close-on-exec by kernel rule); readable once the process has exited. */
    public static int pidfdOpen(int pid) throws NativeException {
        int fd = Lib.C.pidfd_open(pid, 0);
        if (fd < 0) {
            throw new NativeException("pidfd_open", Integer.toString(pid), Native.errno());
        }
        return fd;
    }

    /**
     * Reaps the child behind {@code pidfd} with {@code waitid(P_PIDFD, pidfd, WEXITED[|WNOHANG])}.
     * With {@code noHang}, returns {@link ExitStatus.Kind#NONE} while the child runs; without,
     * waits. Unchecked: ECHILD (already reaped, or not our child) and EBADF are bugs.
     */
    public static ExitStatus waitidPidfd(int pidfd, boolean noHang) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long info = s.calloc(Abi.SIGINFO_SIZE);
            int options = Abi.WEXITED | (noHang ? Abi.WNOHANG : 0);
            while (Lib.C.waitid(Abi.P_PIDFD, pidfd, info, options) < 0) {
                int err = Native.errno();
                if (err != EINTR) {
                    throw new UncheckedNativeException("waitid", "pidfd " + pidfd, err);
                }
            }
            int pid = MEM.getInt(info + Abi.SIGINFO_PID);
            if (pid == 0) {
                return ExitStatus.NOT_YET;
            }
            int code = MEM.getInt(info + Abi.SIGINFO_CODE);
            int status = MEM.getInt(info + Abi.SIGINFO_STATUS);
            switch (code) {
                case Abi.CLD_EXITED:
                    return new ExitStatus(pid, ExitStatus.Kind.EXITED, status);
                case Abi.CLD_KILLED:
                    return new ExitStatus(pid, ExitStatus.Kind.KILLED, status);
                case Abi.CLD_DUMPED:
                    return new ExitStatus(pid, ExitStatus.Kind.DUMPED, status);
                case Abi.CLD_STOPPED:
                case Abi.CLD_TRAPPED:
                    return new ExitStatus(pid, ExitStatus.Kind.STOPPED, status);
                default:
                    throw new IllegalStateException("waitid: unexpected si_code " + code + " for pid " + pid);
            }
        } finally {
            s.release(mark);
        }
    }

    /**
     * The pid of some child that has exited and is waiting to be reaped, without reaping it
     * ({@code waitid(P_ALL, WEXITED|WNOHANG|WNOWAIT)}); 0 when there is none (or no child at all).
     */
    public static int waitableChild() {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long info = s.calloc(Abi.SIGINFO_SIZE);
            while (Lib.C.waitid(Abi.P_ALL, 0, info, Abi.WEXITED | Abi.WNOHANG | Abi.WNOWAIT) < 0) {
                int err = Native.errno();
                if (err == ECHILD) {
                    return 0;
                }
                if (err != EINTR) {
                    throw new UncheckedNativeException("waitid", "P_ALL", err);
                }
            }
            return MEM.getInt(info + Abi.SIGINFO_PID);
        } finally {
            s.release(mark);
        }
    }

    /** Reaps child {@code pid} if it has exited ({@code waitpid(pid, WNOHANG)}); true when it was reaped. */
    public static boolean reapNoHang(int pid) {
        int r;
        while ((r = Lib.C.waitpid(pid, 0L, Abi.WNOHANG)) < 0 && Native.errno() == EINTR) {
            // retry
        }
        return r == pid;
    }

    /** {@code kill(pid, sig)}; false when there is no such process (ESRCH) or no permission (EPERM). */
    public static boolean kill(int pid, int sig) {
        if (Lib.C.kill(pid, sig) == 0) {
            return true;
        }
        int err = Native.errno();
        if (err == ESRCH || err == EPERM) {
            return false;
        }
        throw new UncheckedNativeException("kill", Integer.toString(pid), err);
    }

    // =====================================================================================
    // this process

    public static int getpid() {
        return Lib.C.getpid();
    }

    /** Sets the file creation mask and returns the old one (posix_spawn cannot: children inherit it). */
    public static int umask(int mask) {
        return Lib.C.umask(mask);
    }

    /**
     * Sets the nice value of every thread of this process (on Linux, {@code setpriority(PRIO_PROCESS)}
     * acts on one thread; threads started later inherit it from the thread that starts them).
     */
    public static void setNice(int nice) throws NativeException {
        String[] tids = new java.io.File("/proc/self/task").list();
        for (String tid : tids == null ? new String[] {"0"} : tids) {
            if (Lib.C.setpriority(0, Integer.parseInt(tid), nice) != 0 && Native.errno() != ESRCH) {
                throw new NativeException("setpriority", tid + " " + nice, Native.errno());
            }
        }
    }

    /**
     * Makes this process the reaper of its descendants' orphans ({@code PR_SET_CHILD_SUBREAPER}), so
     * they become its children instead of init's.
     */
    public static void setChildSubreaper() throws NativeException {
        if (Lib.C.prctl(Abi.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
            throw new NativeException("prctl", "PR_SET_CHILD_SUBREAPER", Native.errno());
        }
    }

    /** Unchecked: only EINVAL (a bad resource number) can fail. */
    static Rlimit getrlimit(int resource) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long r = s.calloc(Abi.RLIMIT_SIZE);
            if (Lib.C.getrlimit(resource, r) != 0) {
                throw new UncheckedNativeException("getrlimit", Integer.toString(resource), Native.errno());
            }
            return new Rlimit(MEM.getLong(r), MEM.getLong(r + 8));
        } finally {
            s.release(mark);
        }
    }

    static void setrlimit(int resource, long soft, long hard) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long r = s.alloc(Abi.RLIMIT_SIZE);
            MEM.putLong(r, soft);
            MEM.putLong(r + 8, hard);
            if (Lib.C.setrlimit(resource, r) != 0) {
                throw new NativeException("setrlimit", Integer.toString(resource), Native.errno());
            }
        } finally {
            s.release(mark);
        }
    }

    /**
     * Raises the soft RLIMIT_NOFILE to the hard limit (Postfix's master does; children inherit it)
     * and returns the soft limit now in force. Never throws: on failure the old limit stays.
     */
    public static long raiseNofileLimit() {
        Rlimit r = getrlimit(RLIMIT_NOFILE);
        if (r.soft() != r.hard()) {
            try {
                setrlimit(RLIMIT_NOFILE, r.hard(), r.hard());
                return r.hard();
            } catch (NativeException e) {
                return r.soft();
            }
        }
        return r.soft();
    }
}
