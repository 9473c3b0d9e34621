package org.jmaster.nativ;

import static org.jmaster.nativ.Native.C;
import static org.jmaster.nativ.Native.MEM;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The master's only door to the kernel: descriptors, processes, signals, users, sockets, all as
 * small static calls on raw {@code int} descriptors. Nothing above this package sees jnr.
 *
 * <h2>Promises</h2>
 * <ul>
 *   <li>Every descriptor created here is close-on-exec ({@code O_CLOEXEC}, {@code SOCK_CLOEXEC},
 *       {@code F_DUPFD_CLOEXEC}, {@code MSG_CMSG_CLOEXEC}, pidfds by kernel rule). Only
 *       {@link #spawn} gives a child descriptors, and exactly those of its {@link SpawnPlan}.</li>
 *   <li>Children are reaped only through their pidfd ({@link #waitidPidfd}); nothing here calls
 *       {@code waitpid(-1)}.</li>
 *   <li>EINTR is retried inside every call, except {@link PollSet#poll} which returns 0.</li>
 *   <li>Non-blocking results are values, not exceptions: {@link #read}, {@link #write},
 *       {@link #accept} and {@link #sendFd} return -1 for EAGAIN; {@link #flock} returns false for
 *       EWOULDBLOCK; {@link #kill} returns false when the process is gone.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * A failure that the caller must expect (missing path, address in use, unexecutable program,
 * refused connection) throws the checked {@link NativeException} with the call, its subject and
 * errno. A failure that only a bug or exhaustion explains (EBADF, EINVAL, EMFILE from pipe2/
 * socketpair/dup, ECHILD from waitid on our own pidfd) throws {@link UncheckedNativeException};
 * such methods are marked "unchecked" below. {@code *Quietly} methods never throw.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe in the sense of the underlying syscalls; per-call native memory
 * is per thread. {@link #seteuid} and {@link #setegid} change the identity of the whole process
 * (glibc applies them to every thread).
 */
public final class Posix {
    // ---- errno values (Linux, same on x86_64 and aarch64) ----
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENOEXEC = 8;
    public static final int EBADF = 9;
    public static final int ECHILD = 10;
    public static final int EAGAIN = 11;
    public static final int EWOULDBLOCK = EAGAIN;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EEXIST = 17;
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;
    public static final int EMFILE = 24;
    public static final int EPIPE = 32;
    public static final int ERANGE = 34;
    public static final int ENAMETOOLONG = 36;
    public static final int ELOOP = 40;
    public static final int EPROTOTYPE = 91;
    public static final int EAFNOSUPPORT = 97;
    public static final int EADDRINUSE = 98;
    public static final int EADDRNOTAVAIL = 99;
    public static final int ECONNABORTED = 103;
    public static final int ECONNRESET = 104;
    public static final int ENOTCONN = 107;
    public static final int ETIMEDOUT = 110;
    public static final int ECONNREFUSED = 111;
    public static final int EINPROGRESS = 115;

    // ---- open(2); O_CLOEXEC is always added by open(), never needed by callers ----
    public static final int O_RDONLY = Abi.O_RDONLY;
    public static final int O_WRONLY = Abi.O_WRONLY;
    public static final int O_RDWR = Abi.O_RDWR;
    public static final int O_CREAT = Abi.O_CREAT;
    public static final int O_EXCL = Abi.O_EXCL;
    public static final int O_NOCTTY = Abi.O_NOCTTY;
    public static final int O_TRUNC = Abi.O_TRUNC;
    public static final int O_APPEND = Abi.O_APPEND;
    public static final int O_NONBLOCK = Abi.O_NONBLOCK;
    public static final int O_CLOEXEC = Abi.O_CLOEXEC;
    /** Architecture-dependent value: not a compile-time constant. */
    public static final int O_NOFOLLOW = Abi.O_NOFOLLOW;
    /** Architecture-dependent value: not a compile-time constant. */
    public static final int O_DIRECTORY = Abi.O_DIRECTORY;

    // ---- flock(2) ----
    public static final int LOCK_SH = 1;
    public static final int LOCK_EX = 2;
    public static final int LOCK_NB = 4;
    public static final int LOCK_UN = 8;

    // ---- poll(2), the same values as PollSet's ----
    public static final short POLLIN = PollSet.POLLIN;
    public static final short POLLOUT = PollSet.POLLOUT;
    public static final short POLLERR = PollSet.POLLERR;
    public static final short POLLHUP = PollSet.POLLHUP;
    public static final short POLLNVAL = PollSet.POLLNVAL;

    // ---- sockets ----
    public static final int AF_UNIX = Abi.AF_UNIX;
    public static final int AF_INET = Abi.AF_INET;
    public static final int AF_INET6 = Abi.AF_INET6;
    public static final int SOL_SOCKET = Abi.SOL_SOCKET;
    public static final int IPPROTO_IPV6 = Abi.IPPROTO_IPV6;
    public static final int SO_REUSEADDR = Abi.SO_REUSEADDR;
    public static final int SO_REUSEPORT = Abi.SO_REUSEPORT;
    public static final int SO_SNDBUF = Abi.SO_SNDBUF;
    public static final int SO_RCVBUF = Abi.SO_RCVBUF;
    public static final int IPV6_V6ONLY = Abi.IPV6_V6ONLY;

    // ---- resource limits ----
    public static final int RLIMIT_FSIZE = Abi.RLIMIT_FSIZE;
    public static final int RLIMIT_CORE = Abi.RLIMIT_CORE;
    public static final int RLIMIT_NOFILE = Abi.RLIMIT_NOFILE;
    /** rlim_t's all-ones value, as a Java long. */
    public static final long RLIM_INFINITY = -1L;

    // ---- file types (st_mode & S_IFMT) ----
    public static final int S_IFMT = Abi.S_IFMT;
    public static final int S_IFIFO = Abi.S_IFIFO;
    public static final int S_IFSOCK = Abi.S_IFSOCK;
    public static final int S_IFREG = 0100000;
    public static final int S_IFDIR = 0040000;

    /** A user database entry. */
    public record Passwd(String name, int uid, int gid, String home, String shell) {}

    /** A group database entry. */
    public record Group(String name, int gid, List<String> members) {}

    /** The credentials of a unix-socket peer at connect time ({@code SO_PEERCRED}). */
    public record PeerCred(int pid, int uid, int gid) {}

    /** A resource limit; {@link #RLIM_INFINITY} (-1) for unlimited. */
    public record Rlimit(long soft, long hard) {}

    /** What {@code fstat}/{@code lstat} says about a file (the fields the master looks at). */
    public record Stat(long dev, long ino, int mode, long nlink, int uid, int gid, long size) {
        public int type() {
            return mode & Abi.S_IFMT;
        }

        public int permissions() {
            return mode & 07777;
        }

        public boolean isFifo() {
            return type() == Abi.S_IFIFO;
        }

        public boolean isSocket() {
            return type() == Abi.S_IFSOCK;
        }

        public boolean isRegular() {
            return type() == S_IFREG;
        }

        public boolean isDirectory() {
            return type() == S_IFDIR;
        }
    }

    /** The result of {@link #recvFd}: bytes received (-1: EAGAIN, 0: end of file) and the descriptor, or -1. */
    public record ReceivedFd(int bytes, int fd) {}

    private static final ThreadLocal<PollSet> POLL_ONE = ThreadLocal.withInitial(() -> new PollSet(4));
    private static final String[] ERRNO_TEXT = new String[256];
    private static final String[] SIGNAL_TEXT = new String[Abi.NSIG];
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

    private Posix() {}

    // =====================================================================================
    // errors

    private static NativeException fail(String call, String subject) {
        return new NativeException(call, subject, Native.errno());
    }

    private static UncheckedNativeException bug(String call, String subject) {
        return new UncheckedNativeException(call, subject, Native.errno());
    }

    /** {@code strerror(errno)}, e.g. "No such file or directory"; cached. */
    public static String strerror(int errno) {
        if (errno >= 0 && errno < ERRNO_TEXT.length) {
            String s = ERRNO_TEXT[errno];
            if (s == null) {
                s = Scratch.string(C.strerror(errno));
                ERRNO_TEXT[errno] = s;
            }
            return s;
        }
        return Scratch.string(C.strerror(errno));
    }

    /** {@code strsignal(sig)}, e.g. "Hangup"; cached. */
    public static String strsignal(int sig) {
        if (sig > 0 && sig < SIGNAL_TEXT.length) {
            String s = SIGNAL_TEXT[sig];
            if (s == null) {
                s = Scratch.string(C.strsignal(sig));
                SIGNAL_TEXT[sig] = s;
            }
            return s;
        }
        return Scratch.string(C.strsignal(sig));
    }

    // =====================================================================================
    // spawning

    /**
     * Starts {@code plan.path()} with {@code posix_spawn} (no PATH search) and returns its pid.
     *
     * <p>The child gets: the plan's descriptors ({@code adddup2} per {@link SpawnPlan.Dup2},
     * {@code addopen} per {@link SpawnPlan.Open}), explicit closes of every unplanned descriptor
     * from 3 to the highest target, {@code addclosefrom_np(highest + 1)} for the rest, and the
     * parent's 0–2 unless planned; an empty signal mask; every catchable signal at SIG_DFL except
     * SIGPIPE, which keeps the parent's disposition (call {@link #ignoreSigpipe()} once so that
     * children inherit SIG_IGN, as Postfix's do); the plan's cwd, session or process group.
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
            spawnCheck("posix_spawn_file_actions_init", C.posix_spawn_file_actions_init(fa), plan);
            faReady = true;
            spawnCheck("posix_spawnattr_init", C.posix_spawnattr_init(attr), plan);
            attrReady = true;

            int highest = plan.highestTarget();
            Set<Integer> targets = plan.targets();
            for (SpawnPlan.FdAction a : plan.fdActions()) {
                if (a instanceof SpawnPlan.Dup2 d) {
                    int source = d.source();
                    if (source == d.target() || targets.contains(source)) {
                        int tmp = C.fcntl(source, Abi.F_DUPFD_CLOEXEC, highest + 1);
                        if (tmp < 0) {
                            throw fail("posix_spawn", plan.path() + ": dup of descriptor " + source);
                        }
                        temps[nTemps++] = tmp;
                        source = tmp;
                    }
                    spawnCheck("posix_spawn_file_actions_adddup2",
                            C.posix_spawn_file_actions_adddup2(fa, source, d.target()), plan);
                } else if (a instanceof SpawnPlan.Open o) {
                    spawnCheck("posix_spawn_file_actions_addopen",
                            C.posix_spawn_file_actions_addopen(fa, o.target(), s.cstr(o.path()), o.flags(), o.mode()),
                            plan);
                } else if (a instanceof SpawnPlan.Close c) {
                    spawnCheck("posix_spawn_file_actions_addclose",
                            C.posix_spawn_file_actions_addclose(fa, c.target()), plan);
                }
            }
            for (int fd : plan.gaps()) {
                spawnCheck("posix_spawn_file_actions_addclose", C.posix_spawn_file_actions_addclose(fa, fd), plan);
            }
            spawnCheck("posix_spawn_file_actions_addclosefrom_np",
                    C.posix_spawn_file_actions_addclosefrom_np(fa, highest + 1), plan);
            if (plan.cwd() != null) {
                spawnCheck("posix_spawn_file_actions_addchdir_np",
                        C.posix_spawn_file_actions_addchdir_np(fa, s.cstr(plan.cwd())), plan);
            }

            short flags = (short) (Abi.POSIX_SPAWN_SETSIGMASK | Abi.POSIX_SPAWN_SETSIGDEF);
            long emptyMask = s.calloc(Abi.SIGSET_SIZE);
            spawnCheck("posix_spawnattr_setsigmask", C.posix_spawnattr_setsigmask(attr, emptyMask), plan);
            long defaults = s.calloc(Abi.SIGSET_SIZE);
            MEM.putLong(defaults, SIGDEFAULT_WORD0);
            spawnCheck("posix_spawnattr_setsigdefault", C.posix_spawnattr_setsigdefault(attr, defaults), plan);
            if (plan.newSession()) {
                flags |= Abi.POSIX_SPAWN_SETSID;
            }
            if (plan.processGroup() != null) {
                flags |= Abi.POSIX_SPAWN_SETPGROUP;
                spawnCheck("posix_spawnattr_setpgroup", C.posix_spawnattr_setpgroup(attr, plan.processGroup()), plan);
            }
            spawnCheck("posix_spawnattr_setflags", C.posix_spawnattr_setflags(attr, flags), plan);

            long pidOut = s.calloc(8);
            long path = s.cstr(plan.path());
            long argv = s.cstrArray(plan.argv());
            long envp = s.cstrArray(plan.env());
            int rc = C.posix_spawn(pidOut, path, fa, attr, argv, envp, 0L);
            if (rc != 0) {
                throw new NativeException("posix_spawn", plan.path(), rc);
            }
            return MEM.getInt(pidOut);
        } finally {
            if (faReady) {
                C.posix_spawn_file_actions_destroy(fa);
            }
            if (attrReady) {
                C.posix_spawnattr_destroy(attr);
            }
            for (int i = 0; i < nTemps; i++) {
                C.close(temps[i]);
            }
            s.release(mark);
        }
    }

    private static void spawnCheck(String call, int rc, SpawnPlan plan) throws NativeException {
        if (rc != 0) {
            throw new NativeException(call, plan.path(), rc);
        }
    }

    // =====================================================================================
    // children: pidfd, waitid, signals to processes

    /** A pidfd for {@code pid} (close-on-exec by kernel rule); readable once the process has exited. */
    public static int pidfdOpen(int pid) throws NativeException {
        int fd = C.pidfd_open(pid, 0);
        if (fd < 0) {
            throw fail("pidfd_open", Integer.toString(pid));
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
            while (C.waitid(Abi.P_PIDFD, pidfd, info, options) < 0) {
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
     * Sets the nice value of every thread of this process (on Linux, {@code setpriority(PRIO_PROCESS)}
     * acts on one thread; threads started later inherit it from the thread that starts them).
     */
    public static void setNice(int nice) throws NativeException {
        String[] tids = new java.io.File("/proc/self/task").list();
        for (String tid : tids == null ? new String[] {"0"} : tids) {
            if (C.setpriority(0, Integer.parseInt(tid), nice) != 0 && Native.errno() != ESRCH) {
                throw fail("setpriority", tid + " " + nice);
            }
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
        int pidfd = pidfdOpen(pid);
        try {
            return waitidPidfd(pidfd, false);
        } finally {
            closeQuietly(pidfd);
        }
    }

    /**
     * Makes this process the reaper of its descendants' orphans ({@code PR_SET_CHILD_SUBREAPER}), so
     * they become its children instead of init's.
     */
    public static void setChildSubreaper() throws NativeException {
        if (C.prctl(Abi.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
            throw fail("prctl", "PR_SET_CHILD_SUBREAPER");
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
            while (C.waitid(Abi.P_ALL, 0, info, Abi.WEXITED | Abi.WNOHANG | Abi.WNOWAIT) < 0) {
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
        while ((r = C.waitpid(pid, 0L, Abi.WNOHANG)) < 0 && Native.errno() == EINTR) {
            // retry
        }
        return r == pid;
    }

    /** Sends {@code sig} through a pidfd; false when the process has already exited (ESRCH). */
    public static boolean pidfdSendSignal(int pidfd, int sig) {
        if (C.pidfd_send_signal(pidfd, sig, 0L, 0) == 0) {
            return true;
        }
        int err = Native.errno();
        if (err == ESRCH) {
            return false;
        }
        throw new UncheckedNativeException("pidfd_send_signal", "pidfd " + pidfd, err);
    }

    /** {@code kill(pid, sig)}; false when there is no such process (ESRCH) or no permission (EPERM). */
    public static boolean kill(int pid, int sig) {
        if (C.kill(pid, sig) == 0) {
            return true;
        }
        int err = Native.errno();
        if (err == ESRCH || err == EPERM) {
            return false;
        }
        throw new UncheckedNativeException("kill", Integer.toString(pid), err);
    }

    /** {@code killpg(pgrp, sig)}; false when there is no such group (ESRCH) or no permission (EPERM). */
    public static boolean killpg(int pgrp, int sig) {
        if (C.killpg(pgrp, sig) == 0) {
            return true;
        }
        int err = Native.errno();
        if (err == ESRCH || err == EPERM) {
            return false;
        }
        throw new UncheckedNativeException("killpg", Integer.toString(pgrp), err);
    }

    /**
     * Sends {@code sig} to one thread ({@code tgkill}), e.g. to interrupt a poll in that thread;
     * the thread id is the {@code N} of {@code /proc/self/task/N}. False when it is gone.
     */
    public static boolean tgkill(int tid, int sig) {
        if (C.tgkill(C.getpid(), tid, sig) == 0) {
            return true;
        }
        int err = Native.errno();
        if (err == ESRCH) {
            return false;
        }
        throw new UncheckedNativeException("tgkill", Integer.toString(tid), err);
    }

    /** The kernel id of the calling thread (from {@code /proc/thread-self}). */
    public static int gettid() {
        try {
            Path link = Files.readSymbolicLink(Path.of("/proc/thread-self"));
            return Integer.parseInt(link.getFileName().toString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // =====================================================================================
    // process identity and state

    /** Makes this process a session leader; EPERM when it already leads a process group. */
    public static int setsid() throws NativeException {
        int sid = C.setsid();
        if (sid < 0) {
            throw fail("setsid", "");
        }
        return sid;
    }

    public static void setpgid(int pid, int pgid) throws NativeException {
        if (C.setpgid(pid, pgid) != 0) {
            throw fail("setpgid", Integer.toString(pid));
        }
    }

    public static int getpid() {
        return C.getpid();
    }

    public static int getppid() {
        return C.getppid();
    }

    public static int getpgrp() {
        return C.getpgrp();
    }

    public static int getuid() {
        return C.getuid();
    }

    public static int geteuid() {
        return C.geteuid();
    }

    public static int getgid() {
        return C.getgid();
    }

    public static int getegid() {
        return C.getegid();
    }

    /** Sets the file creation mask and returns the old one (posix_spawn cannot: children inherit it). */
    public static int umask(int mask) {
        return C.umask(mask);
    }

    /** Effective uid of the whole process (all threads); with {@link #setegid}, to create files as mail_owner. */
    public static void seteuid(int uid) throws NativeException {
        if (C.seteuid(uid) != 0) {
            throw fail("seteuid", Integer.toString(uid));
        }
    }

    /** Effective gid of the whole process (all threads). Set the gid before dropping the uid. */
    public static void setegid(int gid) throws NativeException {
        if (C.setegid(gid) != 0) {
            throw fail("setegid", Integer.toString(gid));
        }
    }

    /**
     * Sets the supplementary groups of the whole process (all threads, as glibc applies every
     * set*id call); needs CAP_SETGID. An empty array clears them.
     */
    public static void setgroups(int[] gids) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long a = s.alloc(Math.max(4L, 4L * gids.length));
            for (int i = 0; i < gids.length; i++) {
                MEM.putInt(a + 4L * i, gids[i]);
            }
            if (C.setgroups(gids.length, a) != 0) {
                throw fail("setgroups", Arrays.toString(gids));
            }
        } finally {
            s.release(mark);
        }
    }

    /** The supplementary groups of this process, in the kernel's order. Unchecked. */
    public static int[] getgroups() {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            int n = C.getgroups(0, 0L);
            if (n < 0) {
                throw bug("getgroups", "");
            }
            long a = s.alloc(Math.max(4L, 4L * n));
            n = C.getgroups(n, a);
            if (n < 0) {
                throw bug("getgroups", "");
            }
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = MEM.getInt(a + 4L * i);
            }
            return out;
        } finally {
            s.release(mark);
        }
    }

    /** Real, effective and saved gid of the whole process (as root; otherwise only to one of the three). */
    public static void setgid(int gid) throws NativeException {
        if (C.setgid(gid) != 0) {
            throw fail("setgid", Integer.toString(gid));
        }
    }

    /**
     * Real, effective and saved uid of the whole process. As root this is for good: there is no
     * way back to uid 0. Set the groups and the gid first.
     */
    public static void setuid(int uid) throws NativeException {
        if (C.setuid(uid) != 0) {
            throw fail("setuid", Integer.toString(uid));
        }
    }

    /**
     * Makes {@code path} the root directory of the whole process (needs CAP_SYS_CHROOT). The
     * working directory is not changed: call {@link #chdir chdir("/")} next, or it stays outside.
     */
    public static void chroot(String path) throws NativeException {
        pathCall("chroot", path, 0, 0, 4);
    }

    /** Changes the working directory of the whole process (relative paths in every thread follow it). */
    public static void chdir(String path) throws NativeException {
        pathCall("chdir", path, 0, 0, 5);
    }

    /** Unchecked: only EINVAL (a bad resource number) can fail. */
    public static Rlimit getrlimit(int resource) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long r = s.calloc(Abi.RLIMIT_SIZE);
            if (C.getrlimit(resource, r) != 0) {
                throw bug("getrlimit", Integer.toString(resource));
            }
            return new Rlimit(MEM.getLong(r), MEM.getLong(r + 8));
        } finally {
            s.release(mark);
        }
    }

    public static void setrlimit(int resource, long soft, long hard) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long r = s.alloc(Abi.RLIMIT_SIZE);
            MEM.putLong(r, soft);
            MEM.putLong(r + 8, hard);
            if (C.setrlimit(resource, r) != 0) {
                throw fail("setrlimit", Integer.toString(resource));
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

    // =====================================================================================
    // signal dispositions

    /**
     * Sets SIGPIPE to SIG_IGN in this process, so that writes to closed pipes fail with EPIPE and
     * every spawned child inherits SIGPIPE ignored ({@code SigIgn: 0x1000}), as Postfix's children
     * do. Replaces HotSpot's own SIGPIPE handler, which does nothing but ignore it either.
     */
    public static void ignoreSigpipe() {
        ignoreSignal(Signals.SIGPIPE);
    }

    /** Sets {@code sig} to SIG_IGN. Unchecked: fails only for KILL, STOP or a bad number. */
    public static void ignoreSignal(int sig) {
        setDisposition(sig, Abi.SIG_IGN);
    }

    /**
     * If {@code sig} is ignored (inherited SIG_IGN from {@code nohup} or a background job), sets it
     * to SIG_DFL so that a later {@code sun.misc.Signal.handle} takes effect; the JDK silently
     * skips HUP, INT and TERM when they are ignored. A handler already installed (the JVM's own) is
     * left alone, so there is no window in which the default action could kill the process.
     * Returns whether the disposition was changed.
     */
    public static boolean resetToDefault(int sig) {
        if (!isIgnored(sig)) {
            return false;
        }
        setDisposition(sig, Abi.SIG_DFL);
        return true;
    }

    /**
     * Sets {@code sig} to SIG_DFL whatever its handler, e.g. so that a process that caught a
     * signal can end by it ({@code kill(getpid(), sig)} next). Unchecked: fails only for KILL,
     * STOP or a bad number.
     */
    public static void defaultSignal(int sig) {
        setDisposition(sig, Abi.SIG_DFL);
    }

    /** Whether {@code sig}'s disposition is SIG_IGN in this process. */
    public static boolean isIgnored(int sig) {
        return disposition(sig) == Abi.SIG_IGN;
    }

    /** The raw current handler of {@code sig}: 0 SIG_DFL, 1 SIG_IGN, else a handler address. */
    static long disposition(int sig) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long old = s.calloc(Abi.SIGACTION_RESERVE);
            if (C.sigaction(sig, 0L, old) != 0) {
                throw bug("sigaction", Signals.name(sig));
            }
            return MEM.getAddress(old + Abi.SIGACTION_HANDLER);
        } finally {
            s.release(mark);
        }
    }

    /** {@code signal(sig, handler)} for SIG_DFL/SIG_IGN (or a handler address read back earlier); returns the old one. */
    static long setDisposition(int sig, long handler) {
        long old = C.signal(sig, handler);
        if (old == Abi.SIG_ERR) {
            throw bug("signal", Signals.name(sig));
        }
        return old;
    }

    // =====================================================================================
    // descriptors

    /** A pipe, both ends close-on-exec, optionally non-blocking: {read, write}. Unchecked (EMFILE, ENFILE). */
    public static int[] pipe2Cloexec(boolean nonBlocking) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long fds = s.alloc(8);
            if (C.pipe2(fds, Abi.O_CLOEXEC | (nonBlocking ? Abi.O_NONBLOCK : 0)) != 0) {
                throw bug("pipe2", "");
            }
            return new int[] {MEM.getInt(fds), MEM.getInt(fds + 4)};
        } finally {
            s.release(mark);
        }
    }

    /** Same as {@link #pipe2Cloexec(boolean)}. */
    public static int[] pipe2(boolean nonBlocking) {
        return pipe2Cloexec(nonBlocking);
    }

    /** A connected AF_UNIX SOCK_STREAM pair, both close-on-exec and blocking. Unchecked. */
    public static int[] socketpairCloexec() {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long fds = s.alloc(8);
            if (C.socketpair(Abi.AF_UNIX, Abi.SOCK_STREAM | Abi.SOCK_CLOEXEC, 0, fds) != 0) {
                throw bug("socketpair", "");
            }
            return new int[] {MEM.getInt(fds), MEM.getInt(fds + 4)};
        } finally {
            s.release(mark);
        }
    }

    /** Same as {@link #socketpairCloexec()}. */
    public static int[] socketpair() {
        return socketpairCloexec();
    }

    /**
     * Closes {@code fd}. Linux releases the descriptor even when close reports EINTR or EIO, so
     * those are ignored; unchecked EBADF means a double close somewhere.
     */
    public static void close(int fd) {
        if (C.close(fd) != 0) {
            int err = Native.errno();
            if (err == EBADF) {
                throw new UncheckedNativeException("close", Integer.toString(fd), err);
            }
        }
    }

    /** Closes {@code fd} if it is not negative, ignoring every error. */
    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            C.close(fd);
        }
    }

    /** A close-on-exec duplicate at the lowest free number. Unchecked (EBADF, EMFILE). */
    public static int dup(int fd) {
        return dupAbove(fd, 0);
    }

    /** A close-on-exec duplicate at the lowest free number not below {@code minFd}. Unchecked. */
    public static int dupAbove(int fd, int minFd) {
        int n = C.fcntl(fd, Abi.F_DUPFD_CLOEXEC, minFd);
        if (n < 0) {
            throw bug("fcntl F_DUPFD_CLOEXEC", Integer.toString(fd));
        }
        return n;
    }

    /** Points {@code fd} at {@code /dev/null} (read-write), e.g. to let go of a terminal on fd 0–2. Unchecked. */
    public static void redirectToDevNull(int fd) {
        int nul;
        try {
            nul = open("/dev/null", O_RDWR, 0);
        } catch (NativeException e) {
            throw new UncheckedNativeException(e);
        }
        try {
            if (nul != fd && C.dup3(nul, fd, 0) < 0) {
                throw bug("dup3", Integer.toString(fd));
            }
        } finally {
            if (nul != fd) {
                C.close(nul);
            }
        }
        if (nul == fd) {
            setCloexec(fd, false);
        }
    }

    /** The file status flags ({@code F_GETFL}): access mode, O_NONBLOCK, O_APPEND. Unchecked. */
    public static int fileStatusFlags(int fd) {
        int fl = C.fcntl(fd, Abi.F_GETFL, 0);
        if (fl < 0) {
            throw bug("fcntl F_GETFL", Integer.toString(fd));
        }
        return fl;
    }

    public static boolean isNonBlocking(int fd) {
        return (fileStatusFlags(fd) & Abi.O_NONBLOCK) != 0;
    }

    /**
     * Sets or clears O_NONBLOCK. This is a flag of the open file, shared by every duplicate, also
     * in children: the master must not flip it on a listener it shares. Unchecked.
     */
    public static void setNonBlocking(int fd, boolean on) {
        int fl = fileStatusFlags(fd);
        int want = on ? fl | Abi.O_NONBLOCK : fl & ~Abi.O_NONBLOCK;
        if (want != fl && C.fcntl(fd, Abi.F_SETFL, want) < 0) {
            throw bug("fcntl F_SETFL", Integer.toString(fd));
        }
    }

    public static boolean isCloexec(int fd) {
        int fl = C.fcntl(fd, Abi.F_GETFD, 0);
        if (fl < 0) {
            throw bug("fcntl F_GETFD", Integer.toString(fd));
        }
        return (fl & Abi.FD_CLOEXEC) != 0;
    }

    /** Sets or clears FD_CLOEXEC on this descriptor only. Unchecked. */
    public static void setCloexec(int fd, boolean on) {
        int fl = C.fcntl(fd, Abi.F_GETFD, 0);
        if (fl < 0) {
            throw bug("fcntl F_GETFD", Integer.toString(fd));
        }
        int want = on ? fl | Abi.FD_CLOEXEC : fl & ~Abi.FD_CLOEXEC;
        if (want != fl && C.fcntl(fd, Abi.F_SETFD, want) < 0) {
            throw bug("fcntl F_SETFD", Integer.toString(fd));
        }
    }

    /** {@code open(path, flags | O_CLOEXEC, mode)}. */
    public static int open(String path, int flags, int mode) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long p = s.cstr(path);
            for (;;) {
                int fd = C.open(p, flags | Abi.O_CLOEXEC, mode);
                if (fd >= 0) {
                    return fd;
                }
                int err = Native.errno();
                if (err != EINTR) {
                    throw new NativeException("open", path, err);
                }
            }
        } finally {
            s.release(mark);
        }
    }

    /**
     * Reads at most {@code len} bytes (at most {@link Scratch#BLOCK} per call). Returns the count,
     * 0 at end of file, or -1 when a non-blocking descriptor has nothing (EAGAIN).
     */
    public static int read(int fd, byte[] buf, int off, int len) throws NativeException {
        int n = read0(fd, buf, off, len);
        if (n == Integer.MIN_VALUE) {
            throw fail("read", "");
        }
        return n;
    }

    /** {@link #read} for the event loop: the same results, errors thrown unchecked. */
    public static int readNonBlocking(int fd, byte[] buf, int off, int len) {
        int n = read0(fd, buf, off, len);
        if (n == Integer.MIN_VALUE) {
            throw bug("read", "");
        }
        return n;
    }

    /** Returns the count, -1 for EAGAIN, or MIN_VALUE with errno saved for any other error. */
    private static int read0(int fd, byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (len == 0) {
            return 0;
        }
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            int n = Math.min(len, Scratch.BLOCK);
            long a = s.alloc(n);
            for (;;) {
                long r = C.read(fd, a, n);
                if (r >= 0) {
                    MEM.getByteArray(a, buf, off, (int) r);
                    return (int) r;
                }
                int err = Native.errno();
                if (err == EAGAIN) {
                    return -1;
                }
                if (err != EINTR) {
                    return Integer.MIN_VALUE;
                }
            }
        } finally {
            s.release(mark);
        }
    }

    /**
     * Writes at most {@code len} bytes (at most {@link Scratch#BLOCK} per call; may be partial).
     * Returns the count, or -1 when a non-blocking descriptor is full (EAGAIN). EPIPE is thrown
     * (SIGPIPE is ignored or handled by the JVM, never fatal).
     */
    public static int write(int fd, byte[] buf, int off, int len) throws NativeException {
        int n = write0(fd, buf, off, len, -1L);
        if (n == Integer.MIN_VALUE) {
            throw fail("write", "");
        }
        return n;
    }

    /** {@code pwrite} of all of {@code data} at {@code offset} (no O_APPEND, no truncation); returns the count. */
    public static int pwrite(int fd, byte[] data, long offset) throws NativeException {
        int n = write0(fd, data, 0, data.length, offset);
        if (n == Integer.MIN_VALUE) {
            throw fail("pwrite", "");
        }
        return n;
    }

    /** Writes {@code data} once, ignoring every failure (for signal handlers and best-effort notices). */
    public static boolean writeQuietly(int fd, byte[] data) {
        try {
            return write0(fd, data, 0, data.length, -1L) == data.length;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static int write0(int fd, byte[] buf, int off, int len, long offset) {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (len == 0) {
            return 0;
        }
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            int n = offset >= 0 ? len : Math.min(len, Scratch.BLOCK);
            long a = s.alloc(n);
            MEM.putByteArray(a, buf, off, n);
            for (;;) {
                long r = offset >= 0 ? C.pwrite(fd, a, n, offset) : C.write(fd, a, n);
                if (r >= 0) {
                    return (int) r;
                }
                int err = Native.errno();
                if (err == EAGAIN) {
                    return -1;
                }
                if (err != EINTR) {
                    return Integer.MIN_VALUE;
                }
            }
        } finally {
            s.release(mark);
        }
    }

    /**
     * {@code flock(fd, op)} (a real flock(2) lock, the kind Postfix and flock(1) use, not an fcntl
     * record lock). Returns false when LOCK_NB was given and the lock is held elsewhere
     * (EWOULDBLOCK). Unchecked for other errors (EBADF, EINVAL, ENOLCK).
     */
    public static boolean flock(int fd, int op) {
        for (;;) {
            if (C.flock(fd, op) == 0) {
                return true;
            }
            int err = Native.errno();
            if (err == EWOULDBLOCK) {
                return false;
            }
            if (err != EINTR) {
                throw new UncheckedNativeException("flock", Integer.toString(fd), err);
            }
        }
    }

    // =====================================================================================
    // polling

    /** {@code poll} over a reusable set; see {@link PollSet#poll(int)}. */
    public static int poll(PollSet set, int timeoutMs) {
        return set.poll(timeoutMs);
    }

    /**
     * {@code poll} over parallel arrays, through a per-thread {@link PollSet} (no allocation per
     * call once it has grown to {@code count}). Fills {@code revents}; returns the ready count,
     * 0 on timeout or EINTR.
     */
    public static int poll(int[] fds, short[] events, short[] revents, int count, int timeoutMs) {
        PollSet ps = POLL_ONE.get();
        ps.reset(count);
        for (int i = 0; i < count; i++) {
            ps.set(i, fds[i], events[i]);
        }
        int n = ps.poll(count, timeoutMs);
        for (int i = 0; i < count; i++) {
            revents[i] = ps.revents(i);
        }
        return n;
    }

    /**
     * Waits until {@code fd} is readable, hung up or in error, at most {@code timeoutMs} (-1:
     * forever); true if it is, false on timeout. Retries after EINTR with the time left.
     */
    public static boolean waitReadable(int fd, int timeoutMs) {
        return waitFor(fd, POLLIN, timeoutMs);
    }

    /** As {@link #waitReadable} for writability (a non-blocking connect finishing). */
    public static boolean waitWritable(int fd, int timeoutMs) {
        return waitFor(fd, POLLOUT, timeoutMs);
    }

    private static boolean waitFor(int fd, short events, int timeoutMs) {
        PollSet ps = POLL_ONE.get();
        ps.reset(1);
        ps.set(0, fd, events);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        for (;;) {
            int left = timeoutMs < 0 ? -1
                    : (int) Math.max(0, (deadline - System.nanoTime() + 999_999L) / 1_000_000L);
            if (ps.poll(1, left) > 0) {
                return true;
            }
            if (timeoutMs >= 0 && deadline - System.nanoTime() <= 0) {
                return false;
            }
        }
    }

    // =====================================================================================
    // files

    public static void mkfifo(String path, int mode) throws NativeException {
        pathCall("mkfifo", path, mode, 0, 0);
    }

    public static void chown(String path, int uid, int gid) throws NativeException {
        pathCall("chown", path, uid, gid, 1);
    }

    public static void chmod(String path, int mode) throws NativeException {
        pathCall("chmod", path, mode, 0, 2);
    }

    public static void unlink(String path) throws NativeException {
        pathCall("unlink", path, 0, 0, 3);
    }

    /** Unlinks {@code path}; false when it did not exist. */
    public static boolean unlinkIfExists(String path) throws NativeException {
        try {
            unlink(path);
            return true;
        } catch (NativeException e) {
            if (e.errno() == ENOENT) {
                return false;
            }
            throw e;
        }
    }

    private static void pathCall(String call, String path, int a, int b, int which) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long p = s.cstr(path);
            int rc;
            switch (which) {
                case 0:
                    rc = C.mkfifo(p, a);
                    break;
                case 1:
                    rc = C.chown(p, a, b);
                    break;
                case 2:
                    rc = C.chmod(p, a);
                    break;
                case 3:
                    rc = C.unlink(p);
                    break;
                case 4:
                    rc = C.chroot(p);
                    break;
                case 5:
                    rc = C.chdir(p);
                    break;
                default:
                    throw new IllegalArgumentException("pathCall " + which);
            }
            if (rc != 0) {
                throw fail(call, path);
            }
        } finally {
            s.release(mark);
        }
    }

    public static void fchmod(int fd, int mode) throws NativeException {
        if (C.fchmod(fd, mode) != 0) {
            throw fail("fchmod", Integer.toString(fd));
        }
    }

    public static void fchown(int fd, int uid, int gid) throws NativeException {
        if (C.fchown(fd, uid, gid) != 0) {
            throw fail("fchown", Integer.toString(fd));
        }
    }

    public static Stat fstat(int fd) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long st = s.calloc(Abi.STAT_RESERVE);
            if (C.fstat(fd, st) != 0) {
                throw fail("fstat", Integer.toString(fd));
            }
            return stat(st);
        } finally {
            s.release(mark);
        }
    }

    /** {@code lstat}: a symbolic link is described, not followed. */
    public static Stat lstat(String path) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long st = s.calloc(Abi.STAT_RESERVE);
            if (C.lstat(s.cstr(path), st) != 0) {
                throw fail("lstat", path);
            }
            return stat(st);
        } finally {
            s.release(mark);
        }
    }

    private static Stat stat(long st) {
        long nlink = Abi.STAT_NLINK_IS_64 ? MEM.getLong(st + Abi.STAT_NLINK)
                : Integer.toUnsignedLong(MEM.getInt(st + Abi.STAT_NLINK));
        return new Stat(MEM.getLong(st + Abi.STAT_DEV), MEM.getLong(st + Abi.STAT_INO),
                MEM.getInt(st + Abi.STAT_MODE), nlink, MEM.getInt(st + Abi.STAT_UID),
                MEM.getInt(st + Abi.STAT_GID), MEM.getLong(st + Abi.STAT_SIZE));
    }

    /**
     * The descriptors open in this process, ascending, read from {@code /proc/self/fd} (the
     * descriptor used for the listing itself is left out).
     */
    public static int[] listOpenFds() {
        List<Integer> seen = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : dir) {
                seen.add(Integer.parseInt(p.getFileName().toString()));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        // the listing's own descriptor was closed with the stream: keep only what is still open
        int[] out = new int[seen.size()];
        int n = 0;
        for (int fd : seen) {
            if (C.fcntl(fd, Abi.F_GETFD, 0) >= 0) {
                out[n++] = fd;
            }
        }
        out = Arrays.copyOf(out, n);
        Arrays.sort(out);
        return out;
    }

    // =====================================================================================
    // users and groups

    /** The user database entry for {@code name}, or empty. Unchecked for lookup errors (EIO, ...). */
    public static Optional<Passwd> getpwnam(String name) {
        return lookup("getpwnam_r", name, Abi.PASSWD_SIZE, C::getpwnam_r, pwd -> new Passwd(
                Scratch.string(MEM.getAddress(pwd + Abi.PASSWD_NAME)),
                MEM.getInt(pwd + Abi.PASSWD_UID), MEM.getInt(pwd + Abi.PASSWD_GID),
                Scratch.string(MEM.getAddress(pwd + Abi.PASSWD_DIR)),
                Scratch.string(MEM.getAddress(pwd + Abi.PASSWD_SHELL))));
    }

    /** The group database entry for {@code name}, or empty. Unchecked for lookup errors. */
    public static Optional<Group> getgrnam(String name) {
        return lookup("getgrnam_r", name, Abi.GROUP_SIZE, C::getgrnam_r, grp -> {
            List<String> members = new ArrayList<>();
            long mem = MEM.getAddress(grp + Abi.GROUP_MEM);
            for (long p; mem != 0 && (p = MEM.getAddress(mem)) != 0; mem += Abi.POINTER) {
                members.add(Scratch.string(p));
            }
            return new Group(Scratch.string(MEM.getAddress(grp + Abi.GROUP_NAME)),
                    MEM.getInt(grp + Abi.GROUP_GID), List.copyOf(members));
        });
    }

    /** One of the reentrant {@code get*nam_r} calls: (name, entry, buffer, buffer length, result). */
    private interface ByName {
        int call(long name, long entry, long buf, long bufLen, long result);
    }

    /**
     * A reentrant name-service lookup: the buffer grows on ERANGE (up to 1 MiB); empty when the name
     * is unknown; the entry is decoded while its strings are still in the scratch buffer.
     */
    private static <T> Optional<T> lookup(String call, String name, int entrySize, ByName c,
                                          java.util.function.LongFunction<T> decode) {
        Scratch s = Scratch.get();
        for (int size = 1024; ; size *= 4) {
            int mark = s.mark();
            try {
                long entry = s.calloc(entrySize);
                long result = s.calloc(Abi.POINTER);
                long buf = s.alloc(size);
                int rc = c.call(s.cstr(name), entry, buf, size, result);
                if (rc == ERANGE && size < (1 << 20)) {
                    continue;
                }
                if (rc != 0) {
                    throw new UncheckedNativeException(call, name, rc);
                }
                if (MEM.getAddress(result) == 0) {
                    return Optional.empty();
                }
                return Optional.of(decode.apply(entry));
            } finally {
                s.release(mark);
            }
        }
    }

    /** The user database entry for {@code uid}, or empty. Unchecked for lookup errors. */
    public static Optional<Passwd> getpwuid(int uid) {
        // the name argument of the shared lookup is only used in error messages here
        return lookup("getpwuid_r", Integer.toUnsignedString(uid), Abi.PASSWD_SIZE,
                (name, pwd, buf, len, result) -> C.getpwuid_r(uid, pwd, buf, len, result), pwd -> new Passwd(
                Scratch.string(MEM.getAddress(pwd + Abi.PASSWD_NAME)),
                MEM.getInt(pwd + Abi.PASSWD_UID), MEM.getInt(pwd + Abi.PASSWD_GID),
                Scratch.string(MEM.getAddress(pwd + Abi.PASSWD_DIR)),
                Scratch.string(MEM.getAddress(pwd + Abi.PASSWD_SHELL))));
    }

    // =====================================================================================
    // sockets: listeners

    /**
     * An inet stream listener as Postfix's {@code inet_listen}: socket non-blocking and
     * close-on-exec, SO_REUSEADDR, SO_REUSEPORT, IPV6_V6ONLY for IPv6, SO_SNDBUF and SO_RCVBUF when
     * {@code windowSize > 0}, bind, listen. Port 0 binds an ephemeral port (see {@link #getsockname}).
     */
    public static int inetListen(InetAddress addr, int port, int backlog, int windowSize) throws NativeException {
        boolean v6 = addr instanceof Inet6Address;
        String where = hostPort(addr, port);
        int fd = socket(v6 ? Abi.AF_INET6 : Abi.AF_INET, Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK, where);
        try {
            setIntOption(fd, Abi.SOL_SOCKET, Abi.SO_REUSEADDR, 1, "setsockopt SO_REUSEADDR", where);
            setIntOption(fd, Abi.SOL_SOCKET, Abi.SO_REUSEPORT, 1, "setsockopt SO_REUSEPORT", where);
            if (v6) {
                setIntOption(fd, Abi.IPPROTO_IPV6, Abi.IPV6_V6ONLY, 1, "setsockopt IPV6_V6ONLY", where);
            }
            if (windowSize > 0) {
                setIntOption(fd, Abi.SOL_SOCKET, Abi.SO_SNDBUF, windowSize, "setsockopt SO_SNDBUF", where);
                setIntOption(fd, Abi.SOL_SOCKET, Abi.SO_RCVBUF, windowSize, "setsockopt SO_RCVBUF", where);
            }
            Scratch s = Scratch.get();
            int mark = s.mark();
            try {
                long sa = s.calloc(Abi.SOCKADDR_RESERVE);
                int len = putInet(sa, addr, port);
                if (C.bind(fd, sa, len) != 0) {
                    throw fail("bind", where);
                }
            } finally {
                s.release(mark);
            }
            if (C.listen(fd, backlog) != 0) {
                throw fail("listen", where);
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            C.close(fd);
            throw e;
        }
    }

    /**
     * A unix stream listener as Postfix's {@code unix_listen}: an existing file at {@code path} is
     * unlinked, the socket (non-blocking, close-on-exec) bound, the file made mode 0666, then listen.
     */
    public static int unixListen(String path, int backlog) throws NativeException {
        int fd = unixBound(path, Abi.SOCK_STREAM);
        try {
            if (C.listen(fd, backlog) != 0) {
                throw fail("listen", path);
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            C.close(fd);
            throw e;
        }
    }

    /** A unix datagram socket bound at {@code path} (unlinked first, mode 0666), non-blocking, close-on-exec. */
    public static int unixDgramBind(String path) throws NativeException {
        return unixBound(path, Abi.SOCK_DGRAM);
    }

    private static int unixBound(String path, int type) throws NativeException {
        unlinkIfExists(path);
        int fd = socket(Abi.AF_UNIX, type | Abi.SOCK_NONBLOCK, path);
        try {
            Scratch s = Scratch.get();
            int mark = s.mark();
            try {
                long sa = s.calloc(Abi.SOCKADDR_RESERVE);
                int len = putUnix(sa, path, "bind");
                if (C.bind(fd, sa, len) != 0) {
                    throw fail("bind", path);
                }
            } finally {
                s.release(mark);
            }
            chmod(path, 0666);
            return fd;
        } catch (NativeException | RuntimeException e) {
            C.close(fd);
            throw e;
        }
    }

    /**
     * A FIFO listener as Postfix's {@code fifo_listen}: unlink, {@code mkfifo(mode)}, open
     * O_RDWR|O_NONBLOCK (so it never reports end of file and opening never blocks), check that it
     * is a FIFO, {@code fchmod(mode)} (the umask does not apply), drain stale bytes.
     */
    public static int fifoListen(String path, int mode) throws NativeException {
        unlinkIfExists(path);
        mkfifo(path, mode);
        int fd = open(path, Abi.O_RDWR | Abi.O_NONBLOCK | Abi.O_NOFOLLOW, 0);
        try {
            if (!fstat(fd).isFifo()) {
                throw new NativeException("open", path + " (not a fifo)", EINVAL);
            }
            fchmod(fd, mode);
            byte[] drain = new byte[512];
            while (read(fd, drain, 0, drain.length) > 0) {
                // stale wakeups from before we started mean nothing
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            C.close(fd);
            throw e;
        }
    }

    /**
     * Accepts one connection (accept4, close-on-exec and non-blocking); -1 when none is waiting
     * (EAGAIN) or it went away before we took it (ECONNABORTED).
     */
    public static int accept(int listenFd) throws NativeException {
        for (;;) {
            int fd = C.accept4(listenFd, 0L, 0L, Abi.SOCK_CLOEXEC | Abi.SOCK_NONBLOCK);
            if (fd >= 0) {
                return fd;
            }
            int err = Native.errno();
            if (err == EAGAIN || err == ECONNABORTED) {
                return -1;
            }
            if (err != EINTR) {
                throw new NativeException("accept", Integer.toString(listenFd), err);
            }
        }
    }

    // =====================================================================================
    // sockets: clients (wakeup triggers)

    /**
     * Connects to a unix stream socket without waiting: returns a connected non-blocking,
     * close-on-exec socket, or throws (ECONNREFUSED, ENOENT, EAGAIN when the listener's backlog is
     * full).
     */
    public static int connectUnix(String path) throws NativeException {
        return connectUnixOnce(Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK, path);
    }

    /** A unix socket of {@code type} connected to {@code path} in one attempt; closed again on failure. */
    private static int connectUnixOnce(int type, String path) throws NativeException {
        int fd = socket(Abi.AF_UNIX, type, path);
        try {
            int err = connectOnce(fd, path);
            if (err != 0) {
                throw new NativeException("connect", path, err);
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            C.close(fd);
            throw e;
        }
    }

    /**
     * Starts a non-blocking connect to {@code addr:port} and returns the socket at once; the
     * connection may still be in progress: wait for POLLOUT, then {@link #socketError} says how it
     * ended (0 = connected).
     */
    public static int connectInet(InetAddress addr, int port) throws NativeException {
        String where = hostPort(addr, port);
        int fd = socket(addr instanceof Inet6Address ? Abi.AF_INET6 : Abi.AF_INET,
                Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK, where);
        try {
            int err = connectOnce(fd, addr, port);
            if (err != 0 && err != EINPROGRESS) {
                throw new NativeException("connect", where, err);
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            C.close(fd);
            throw e;
        }
    }

    /**
     * Connects to a unix stream socket, waiting at most {@code timeoutMs} while the listener's
     * backlog is full; throws ETIMEDOUT after that. The socket is returned non-blocking.
     */
    public static int unixConnect(String path, int timeoutMs) throws NativeException {
        long deadline = System.nanoTime() + Math.max(0, timeoutMs) * 1_000_000L;
        int fd = socket(Abi.AF_UNIX, Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK, path);
        try {
            for (int pause = 1; ; pause = Math.min(pause * 2, 20)) {
                int err = connectOnce(fd, path);
                if (err == 0) {
                    return fd;
                }
                if (err == EINPROGRESS) {
                    finishConnect(fd, deadline, path);
                    return fd;
                }
                if (err != EAGAIN) {
                    throw new NativeException("connect", path, err);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new NativeException("connect", path, ETIMEDOUT);
                }
                try {
                    Thread.sleep(Math.min(pause, Math.max(1, left / 1_000_000L)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new NativeException("connect", path, EINTR);
                }
            }
        } catch (NativeException | RuntimeException e) {
            C.close(fd);
            throw e;
        }
    }

    /**
     * Connects to {@code addr:port}, waiting at most {@code timeoutMs}; throws ETIMEDOUT after
     * that, or the connect's own error. The socket is returned non-blocking.
     */
    public static int inetConnect(InetAddress addr, int port, int timeoutMs) throws NativeException {
        String where = hostPort(addr, port);
        long deadline = System.nanoTime() + Math.max(0, timeoutMs) * 1_000_000L;
        int fd = socket(addr instanceof Inet6Address ? Abi.AF_INET6 : Abi.AF_INET,
                Abi.SOCK_STREAM | Abi.SOCK_NONBLOCK, where);
        try {
            int err = connectOnce(fd, addr, port);
            if (err == EINPROGRESS) {
                finishConnect(fd, deadline, where);
            } else if (err != 0) {
                throw new NativeException("connect", where, err);
            }
            return fd;
        } catch (NativeException | RuntimeException e) {
            C.close(fd);
            throw e;
        }
    }

    private static void finishConnect(int fd, long deadline, String where) throws NativeException {
        int left = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
        if (!waitWritable(fd, left)) {
            throw new NativeException("connect", where, ETIMEDOUT);
        }
        int err = socketError(fd);
        if (err != 0) {
            throw new NativeException("connect", where, err);
        }
    }

    /** A datagram socket connected to the unix socket at {@code path} (for syslog), blocking, close-on-exec. */
    public static int unixDgramConnect(String path) throws NativeException {
        return connectUnixOnce(Abi.SOCK_DGRAM, path);
    }

    /** connect(2) once (EINTR retried); returns 0 or the errno. */
    private static int connectOnce(int fd, String path) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long sa = s.calloc(Abi.SOCKADDR_RESERVE);
            int len = putUnix(sa, path, "connect");
            return connectLoop(fd, sa, len);
        } finally {
            s.release(mark);
        }
    }

    private static int connectOnce(int fd, InetAddress addr, int port) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long sa = s.calloc(Abi.SOCKADDR_RESERVE);
            int len = putInet(sa, addr, port);
            return connectLoop(fd, sa, len);
        } finally {
            s.release(mark);
        }
    }

    private static int connectLoop(int fd, long sa, int len) {
        if (C.connect(fd, sa, len) == 0) {
            return 0;
        }
        int err = Native.errno();
        // after EINTR the connect goes on in the background, as after EINPROGRESS
        return err == EINTR ? EINPROGRESS : err;
    }

    /** {@code SO_ERROR}: the pending error of a socket, e.g. of a finished non-blocking connect (0: none). Unchecked. */
    public static int socketError(int fd) {
        return getIntOption(fd, Abi.SOL_SOCKET, Abi.SO_ERROR);
    }

    /**
     * Sends {@code fdToPass} over the unix socket {@code sock} with SCM_RIGHTS, along with
     * {@code data} (one NUL byte when empty: a stream needs at least one byte to carry the
     * descriptor). Returns the bytes sent, or -1 when a non-blocking socket is full (EAGAIN).
     * The caller still owns {@code fdToPass} and closes it.
     */
    public static int sendFd(int sock, int fdToPass, byte[] data) throws NativeException {
        byte[] payload = data.length == 0 ? new byte[1] : data;
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long buf = s.alloc(payload.length);
            MEM.putByteArray(buf, payload, 0, payload.length);
            long iov = s.calloc(Abi.IOVEC_SIZE);
            MEM.putAddress(iov + Abi.IOV_BASE, buf);
            MEM.putLong(iov + Abi.IOV_LEN, payload.length);
            long ctl = s.calloc(Abi.CMSG_SPACE_ONE_FD);
            MEM.putLong(ctl + Abi.CMSG_LEN_FIELD, Abi.CMSG_LEN_ONE_FD);
            MEM.putInt(ctl + Abi.CMSG_LEVEL, Abi.SOL_SOCKET);
            MEM.putInt(ctl + Abi.CMSG_TYPE, Abi.SCM_RIGHTS);
            MEM.putInt(ctl + Abi.CMSG_DATA, fdToPass);
            long msg = s.calloc(Abi.MSGHDR_SIZE);
            MEM.putAddress(msg + Abi.MSG_IOV, iov);
            MEM.putLong(msg + Abi.MSG_IOVLEN, 1);
            MEM.putAddress(msg + Abi.MSG_CONTROL, ctl);
            MEM.putLong(msg + Abi.MSG_CONTROLLEN, Abi.CMSG_SPACE_ONE_FD);
            for (;;) {
                long n = C.sendmsg(sock, msg, Abi.MSG_NOSIGNAL);
                if (n >= 0) {
                    return (int) n;
                }
                int err = Native.errno();
                if (err == EAGAIN) {
                    return -1;
                }
                if (err != EINTR) {
                    throw new NativeException("sendmsg", Integer.toString(sock), err);
                }
            }
        } finally {
            s.release(mark);
        }
    }

    /**
     * Receives data and at most one descriptor (close-on-exec, MSG_CMSG_CLOEXEC) from a unix
     * socket into {@code buf}. Bytes -1 means EAGAIN, 0 end of file; fd -1 means none came.
     */
    public static ReceivedFd recvFd(int sock, byte[] buf) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            int cap = Math.max(1, Math.min(buf.length, Scratch.BLOCK / 2));
            long data = s.alloc(cap);
            long iov = s.calloc(Abi.IOVEC_SIZE);
            MEM.putAddress(iov + Abi.IOV_BASE, data);
            MEM.putLong(iov + Abi.IOV_LEN, cap);
            int ctlSize = 64; // room for one SCM_RIGHTS header plus a few fds (extra ones are closed by the kernel)
            long ctl = s.calloc(ctlSize);
            long msg = s.calloc(Abi.MSGHDR_SIZE);
            MEM.putAddress(msg + Abi.MSG_IOV, iov);
            MEM.putLong(msg + Abi.MSG_IOVLEN, 1);
            MEM.putAddress(msg + Abi.MSG_CONTROL, ctl);
            MEM.putLong(msg + Abi.MSG_CONTROLLEN, ctlSize);
            long n;
            for (;;) {
                n = C.recvmsg(sock, msg, Abi.MSG_CMSG_CLOEXEC);
                if (n >= 0) {
                    break;
                }
                int err = Native.errno();
                if (err == EAGAIN) {
                    return new ReceivedFd(-1, -1);
                }
                if (err != EINTR) {
                    throw new NativeException("recvmsg", Integer.toString(sock), err);
                }
            }
            MEM.getByteArray(data, buf, 0, (int) Math.min(n, buf.length));
            int fd = -1;
            long ctlLen = MEM.getLong(msg + Abi.MSG_CONTROLLEN);
            // walk the control messages; keep the first passed fd, close any others
            long off = 0;
            while (off + Abi.CMSG_DATA <= ctlLen) {
                long c = ctl + off;
                long len = MEM.getLong(c + Abi.CMSG_LEN_FIELD);
                if (len < Abi.CMSG_DATA) {
                    break;
                }
                if (MEM.getInt(c + Abi.CMSG_LEVEL) == Abi.SOL_SOCKET && MEM.getInt(c + Abi.CMSG_TYPE) == Abi.SCM_RIGHTS) {
                    for (long p = Abi.CMSG_DATA; p + 4 <= len; p += 4) {
                        int got = MEM.getInt(c + p);
                        if (fd < 0) {
                            fd = got;
                        } else {
                            C.close(got);
                        }
                    }
                }
                off += (len + 7) & ~7L;
            }
            return new ReceivedFd((int) n, fd);
        } finally {
            s.release(mark);
        }
    }

    /** The local address of a socket. */
    public static PeerAddress getsockname(int fd) throws NativeException {
        return address(fd, false);
    }

    /** The remote address of a connected socket. */
    public static PeerAddress getpeername(int fd) throws NativeException {
        return address(fd, true);
    }

    private static PeerAddress address(int fd, boolean peer) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long sa = s.calloc(Abi.SOCKADDR_RESERVE);
            long lenp = s.alloc(4);
            MEM.putInt(lenp, Abi.SOCKADDR_RESERVE);
            int rc = peer ? C.getpeername(fd, sa, lenp) : C.getsockname(fd, sa, lenp);
            if (rc != 0) {
                throw fail(peer ? "getpeername" : "getsockname", Integer.toString(fd));
            }
            return decodeAddress(sa, MEM.getInt(lenp));
        } finally {
            s.release(mark);
        }
    }

    /** The pid, uid and gid of the process at the other end of a unix socket ({@code SO_PEERCRED}). */
    public static PeerCred getsockoptPeercred(int fd) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long cred = s.calloc(Abi.UCRED_SIZE);
            long lenp = s.alloc(4);
            MEM.putInt(lenp, Abi.UCRED_SIZE);
            if (C.getsockopt(fd, Abi.SOL_SOCKET, Abi.SO_PEERCRED, cred, lenp) != 0) {
                throw fail("getsockopt SO_PEERCRED", Integer.toString(fd));
            }
            return new PeerCred(MEM.getInt(cred), MEM.getInt(cred + 4), MEM.getInt(cred + 8));
        } finally {
            s.release(mark);
        }
    }

    /** An int socket option ({@code getsockopt}). Unchecked. */
    public static int getIntOption(int fd, int level, int name) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long v = s.calloc(4);
            long lenp = s.alloc(4);
            MEM.putInt(lenp, 4);
            if (C.getsockopt(fd, level, name, v, lenp) != 0) {
                throw bug("getsockopt", Integer.toString(fd));
            }
            return MEM.getInt(v);
        } finally {
            s.release(mark);
        }
    }

    /** Sets an int socket option ({@code setsockopt}). */
    public static void setIntOption(int fd, int level, int name, int value) throws NativeException {
        setIntOption(fd, level, name, value, "setsockopt", Integer.toString(fd));
    }

    /** Sets SO_SNDTIMEO: how long a blocking send may wait for room. */
    static void setSendTimeout(int fd, int millis) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long tv = s.calloc(Abi.TIMEVAL_SIZE);
            MEM.putLong(tv, millis / 1000);
            MEM.putLong(tv + 8, (millis % 1000) * 1000L);
            if (C.setsockopt(fd, Abi.SOL_SOCKET, Abi.SO_SNDTIMEO, tv, Abi.TIMEVAL_SIZE) != 0) {
                throw fail("setsockopt SO_SNDTIMEO", Integer.toString(fd));
            }
        } finally {
            s.release(mark);
        }
    }

    private static void setIntOption(int fd, int level, int name, int value, String call, String subject)
            throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long v = s.alloc(4);
            MEM.putInt(v, value);
            if (C.setsockopt(fd, level, name, v, 4) != 0) {
                throw fail(call, subject);
            }
        } finally {
            s.release(mark);
        }
    }

    private static int socket(int domain, int type, String subject) throws NativeException {
        int fd = C.socket(domain, type | Abi.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw fail("socket", subject);
        }
        return fd;
    }

    // ---- sockaddr encoding and decoding ----

    private static int putInet(long sa, InetAddress addr, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
        byte[] a = addr.getAddress();
        if (addr instanceof Inet6Address v6) {
            MEM.putShort(sa, (short) Abi.AF_INET6);
            putPort(sa, port);
            MEM.putByteArray(sa + Abi.SIN6_ADDR, a, 0, 16);
            MEM.putInt(sa + Abi.SIN6_SCOPE_ID, v6.getScopeId());
            return Abi.SOCKADDR_IN6_SIZE;
        }
        MEM.putShort(sa, (short) Abi.AF_INET);
        putPort(sa, port);
        MEM.putByteArray(sa + 4, a, 0, 4);
        return Abi.SOCKADDR_IN_SIZE;
    }

    private static void putPort(long sa, int port) {
        MEM.putByte(sa + 2, (byte) (port >>> 8));
        MEM.putByte(sa + 3, (byte) port);
    }

    private static int putUnix(long sa, String path, String call) throws NativeException {
        byte[] p = Scratch.utf8(path);
        if (p.length >= Abi.SUN_PATH_MAX) {
            throw new NativeException(call, path, ENAMETOOLONG);
        }
        MEM.putShort(sa, (short) Abi.AF_UNIX);
        MEM.putByteArray(sa + Abi.SUN_PATH, p, 0, p.length);
        if (p.length > 0 && p[0] == '@') {
            // Linux's abstract namespace (as systemd's NOTIFY_SOCKET writes it): a leading NUL, no terminator
            MEM.putByte(sa + Abi.SUN_PATH, (byte) 0);
            return Abi.SUN_PATH + p.length;
        }
        MEM.putByte(sa + Abi.SUN_PATH + p.length, (byte) 0);
        return Abi.SUN_PATH + p.length + 1;
    }

    private static PeerAddress decodeAddress(long sa, int len) {
        int family = MEM.getShort(sa) & 0xffff;
        int port = ((MEM.getByte(sa + 2) & 0xff) << 8) | (MEM.getByte(sa + 3) & 0xff);
        try {
            if (family == Abi.AF_INET) {
                byte[] a = new byte[4];
                MEM.getByteArray(sa + 4, a, 0, 4);
                return new PeerAddress(family, InetAddress.getByAddress(a), port, null);
            }
            if (family == Abi.AF_INET6) {
                byte[] a = new byte[16];
                MEM.getByteArray(sa + Abi.SIN6_ADDR, a, 0, 16);
                int scope = MEM.getInt(sa + Abi.SIN6_SCOPE_ID);
                InetAddress ia = scope != 0 ? Inet6Address.getByAddress(null, a, scope) : InetAddress.getByAddress(a);
                return new PeerAddress(family, ia, port, null);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        if (family == Abi.AF_UNIX) {
            int n = Math.max(0, Math.min(len - Abi.SUN_PATH, Abi.SUN_PATH_MAX));
            byte[] p = new byte[n];
            MEM.getByteArray(sa + Abi.SUN_PATH, p, 0, n);
            String path;
            if (n > 0 && p[0] == 0) {
                path = "@" + new String(p, 1, n - 1, StandardCharsets.UTF_8);
            } else {
                int end = 0;
                while (end < n && p[end] != 0) {
                    end++;
                }
                path = new String(p, 0, end, StandardCharsets.UTF_8);
            }
            return new PeerAddress(family, null, 0, path);
        }
        throw new IllegalStateException("unknown address family " + family);
    }

    private static String hostPort(InetAddress addr, int port) {
        String h = addr.getHostAddress();
        return (addr instanceof Inet4Address ? h : "[" + h + "]") + ":" + port;
    }
}
