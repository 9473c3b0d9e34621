package org.jmaster.nativ;

import java.util.Locale;

/**
 * Signal numbers of Linux on x86_64 and aarch64 (they agree), and their names. Names follow
 * {@code sun.misc.Signal}: without the {@code SIG} prefix ({@code "HUP"}). Installing handlers is
 * not done here (the supervisor uses {@code sun.misc.Signal}); dispositions are set with
 * {@link Posix#ignoreSigpipe()} and {@link Posix#resetToDefault(int)}.
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

    private Signals() {}

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

    /** The C library's description, e.g. "Hangup" for 1. */
    public static String strsignal(int sig) {
        return Posix.strsignal(sig);
    }

    /** True for signals a process can catch, ignore or reset (all but KILL and STOP). */
    public static boolean isCatchable(int sig) {
        return sig > 0 && sig <= SIGRTMAX && sig != SIGKILL && sig != SIGSTOP;
    }
}
