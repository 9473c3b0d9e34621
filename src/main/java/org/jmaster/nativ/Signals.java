package org.jmaster.nativ;

import static org.jmaster.nativ.Native.MEM;

import java.util.Locale;
import jnr.ffi.annotations.IgnoreError;

/**
 * Signal numbers of Linux on x86_64 and aarch64 (they agree), their names and descriptions, and
 * this process's dispositions (SIG_IGN, SIG_DFL). Names follow {@code sun.misc.Signal}: without
 * the {@code SIG} prefix ({@code "HUP"}). Installing handlers is not done here (the supervisor
 * uses {@code sun.misc.Signal}). Numbers and names bind nothing; the disposition calls and
 * {@link #strsignal} have their own small binding, loaded on first use.
 *
 * <h2>Promises</h2>
 * A handler already installed (the JVM's own) is never replaced by {@link #resetToDefault}, so
 * there is no window in which a default action could kill the process. Dispositions are what
 * spawned children start from: SIG_IGN survives exec, handlers become SIG_DFL.
 *
 * <h2>Errors</h2>
 * The disposition calls fail only for KILL, STOP or a bad number, which only a bug explains:
 * {@link UncheckedNativeException}.
 *
 * <h2>Threads</h2>
 * Dispositions belong to the whole process (all threads); the calls are thread-safe in the sense
 * of the underlying system calls.
 */
public final class Signals {
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGQUIT = 3;
    public static final int SIGILL = 4;
    public static final int SIGTRAP = 5;
    public static final int SIGABRT = 6;
    public static final int SIGBUS = 7;
    public static final int SIGFPE = 8;
    public static final int SIGKILL = 9;
    public static final int SIGUSR1 = 10;
    public static final int SIGSEGV = 11;
    public static final int SIGUSR2 = 12;
    public static final int SIGPIPE = 13;
    public static final int SIGALRM = 14;
    public static final int SIGTERM = 15;
    public static final int SIGSTKFLT = 16;
    public static final int SIGCHLD = 17;
    public static final int SIGCONT = 18;
    public static final int SIGSTOP = 19;
    public static final int SIGTSTP = 20;
    public static final int SIGTTIN = 21;
    public static final int SIGTTOU = 22;
    public static final int SIGURG = 23;
    public static final int SIGXCPU = 24;
    public static final int SIGXFSZ = 25;
    public static final int SIGVTALRM = 26;
    public static final int SIGPROF = 27;
    public static final int SIGWINCH = 28;
    public static final int SIGIO = 29;
    public static final int SIGPWR = 30;
    public static final int SIGSYS = 31;
    /** The first realtime signal glibc lets applications use (32 and 33 are its own). */
    public static final int SIGRTMIN = 34;
    public static final int SIGRTMAX = 64;

    private static final String[] NAMES = {
        null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
        "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU",
        "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"
    };

    private static final String[] TEXT = new String[Abi.NSIG];

    private Signals() {}

    /** The calls this file makes, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            long signal(int sig, long handler);

            int sigaction(int sig, long act, long oldAct);

            @IgnoreError
            long strsignal(int sig);
        }
    }

    /** {@code "HUP"} for 1, {@code "RTMIN+2"} for 36; the number as text when it has no name. */
    public static String name(int sig) {
        if (sig > 0 && sig < NAMES.length) {
            return NAMES[sig];
        }
        if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
            return sig == SIGRTMIN ? "RTMIN" : "RTMIN+" + (sig - SIGRTMIN);
        }
        return Integer.toString(sig);
    }

    /** The number of {@code "HUP"}, {@code "SIGHUP"} or {@code "1"}; -1 when unknown. */
    public static int number(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        if (n.startsWith("SIG")) {
            n = n.substring(3);
        }
        for (int i = 1; i < NAMES.length; i++) {
            if (NAMES[i].equals(n)) {
                return i;
            }
        }
        try {
            int v = Integer.parseInt(n);
            return v > 0 && v <= SIGRTMAX ? v : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The C library's description, e.g. "Hangup" for 1; cached. */
    public static String strsignal(int sig) {
        if (sig > 0 && sig < TEXT.length) {
            String s = TEXT[sig];
            if (s == null) {
                s = Scratch.string(Lib.C.strsignal(sig));
                TEXT[sig] = s;
            }
            return s;
        }
        return Scratch.string(Lib.C.strsignal(sig));
    }

    /** True for signals a process can catch, ignore or reset (all but KILL and STOP). */
    public static boolean isCatchable(int sig) {
        return sig > 0 && sig <= SIGRTMAX && sig != SIGKILL && sig != SIGSTOP;
    }

    // =====================================================================================
    // dispositions

    /**
     * Sets SIGPIPE to SIG_IGN in this process, so that writes to closed pipes fail with EPIPE and
     * every spawned child inherits SIGPIPE ignored ({@code SigIgn: 0x1000}), as Postfix's children
     * do. Replaces HotSpot's own SIGPIPE handler, which does nothing but ignore it either.
     */
    public static void ignoreSigpipe() {
        ignore(SIGPIPE);
    }

    /** Sets {@code sig} to SIG_IGN. Unchecked: fails only for KILL, STOP or a bad number. */
    static void ignore(int sig) {
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
    public static void setDefault(int sig) {
        setDisposition(sig, Abi.SIG_DFL);
    }

    /** Whether {@code sig}'s disposition is SIG_IGN in this process. */
    static boolean isIgnored(int sig) {
        return disposition(sig) == Abi.SIG_IGN;
    }

    /** The raw current handler of {@code sig}: 0 SIG_DFL, 1 SIG_IGN, else a handler address. */
    static long disposition(int sig) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long old = s.calloc(Abi.SIGACTION_RESERVE);
            if (Lib.C.sigaction(sig, 0L, old) != 0) {
                throw new UncheckedNativeException("sigaction", name(sig), Native.errno());
            }
            return MEM.getAddress(old + Abi.SIGACTION_HANDLER);
        } finally {
            s.release(mark);
        }
    }

    /** {@code signal(sig, handler)} for SIG_DFL/SIG_IGN (or a handler address read back earlier); returns the old one. */
    static long setDisposition(int sig, long handler) {
        long old = Lib.C.signal(sig, handler);
        if (old == Abi.SIG_ERR) {
            throw new UncheckedNativeException("signal", name(sig), Native.errno());
        }
        return old;
    }
}
