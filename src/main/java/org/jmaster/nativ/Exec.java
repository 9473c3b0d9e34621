package org.jmaster.nativ;

import java.util.List;

/**
 * Replacing this process's program in place ({@code execve}), for an upgrade of a master that must
 * keep its pid (PID 1 of a container). Has its own small binding, loaded on first use.
 *
 * <h2>Promises</h2>
 * <ul>
 *   <li>The new program gets exactly the descriptors {@code keep} besides 0–2: every other
 *       descriptor of the process (the JVM's own included) is made close-on-exec first
 *       ({@code close_range(3, ~0, CLOSE_RANGE_CLOEXEC)}, or one {@code F_SETFD} per entry of
 *       {@code /proc/self/fd} on kernels before 5.11), and {@code keep} loses close-on-exec.</li>
 *   <li>The new program starts with an empty signal mask (the JVM's thread blocks some).</li>
 *   <li>When {@code execve} fails, {@code keep} is close-on-exec again and the mask restored, so
 *       the caller goes on as before; the other descriptors stay close-on-exec, which changes
 *       nothing for a process that spawns with an exact descriptor plan.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * {@link #replace} returns only on failure, throwing the checked {@link NativeException}
 * ({@code execve PATH: ...}).
 *
 * <h2>Threads</h2>
 * {@code execve} ends every other thread of the process; call it from the thread that owns
 * everything worth keeping.
 */
public final class Exec {
    private static final int CLOSE_RANGE_CLOEXEC = 1 << 2;
    private static final int SIG_SETMASK = 2;
    private static final int FD_CLOEXEC = 1;

    private Exec() {}

    /** The calls this file makes, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            int execve(long path, long argv, long envp);

            int close_range(int first, int last, int flags);

            int sigprocmask(int how, long set, long old);

            int fcntl(int fd, int cmd, int arg);
        }
    }

    /**
     * Runs {@code path} with {@code argv} and {@code env} in place of this program, keeping the
     * descriptors {@code keep} open. Returns only when exec failed (the process is as before).
     */
    public static void replace(String path, List<String> argv, List<String> env, int[] keep) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long cpath = s.cstr(path);
            long cargv = s.cstrArray(argv);
            long cenv = s.cstrArray(env);
            long empty = s.calloc(Abi.SIGSET_SIZE);
            long old = s.calloc(Abi.SIGSET_SIZE);
            if (Lib.C.close_range(3, -1, CLOSE_RANGE_CLOEXEC) != 0) {
                everyDescriptorCloseOnExec();
            }
            for (int fd : keep) {
                if (Lib.C.fcntl(fd, Abi.F_SETFD, 0) < 0) {
                    int err = Native.errno();
                    restore(keep);
                    throw new NativeException("fcntl F_SETFD", Integer.toString(fd), err);
                }
            }
            Lib.C.sigprocmask(SIG_SETMASK, empty, old);
            Lib.C.execve(cpath, cargv, cenv);
            int err = Native.errno();
            Lib.C.sigprocmask(SIG_SETMASK, old, 0L);
            restore(keep);
            throw new NativeException("execve", path, err);
        } finally {
            s.release(mark);
        }
    }

    private static void restore(int[] keep) {
        for (int fd : keep) {
            Lib.C.fcntl(fd, Abi.F_SETFD, FD_CLOEXEC);
        }
    }

    private static void everyDescriptorCloseOnExec() {
        String[] names = new java.io.File("/proc/self/fd").list();
        for (String n : names == null ? new String[0] : names) {
            int fd = Integer.parseInt(n);
            if (fd > 2) {
                Lib.C.fcntl(fd, Abi.F_SETFD, FD_CLOEXEC);
            }
        }
    }
}
