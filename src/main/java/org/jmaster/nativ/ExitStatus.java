package org.jmaster.nativ;

/**
 * What {@code waitid} reported about one child: how it ended and the exit code or signal number.
 * {@link Kind#NONE} (pid 0) means a {@code WNOHANG} wait found the child still running.
 *
 * @param pid the child's pid, 0 for {@link Kind#NONE}
 * @param kind how it ended
 * @param code the exit code for {@link Kind#EXITED}, the signal number for {@link Kind#KILLED},
 *     {@link Kind#DUMPED} and {@link Kind#STOPPED}, 0 for {@link Kind#NONE}
 */
public record ExitStatus(int pid, Kind kind, int code) {
    public enum Kind {
        /** exit(code) or return from main */
        EXITED,
        /** terminated by signal {@code code} */
        KILLED,
        /** terminated by signal {@code code} and dumped core */
        DUMPED,
        /** stopped or trapped by signal {@code code}; {@link Processes#waitidPidfd} waits for WEXITED only,
         *  so it does not produce this kind today */
        STOPPED,
        /** WNOHANG and the child has not changed state */
        NONE
    }

    static final ExitStatus NOT_YET = new ExitStatus(0, Kind.NONE, 0);

    /** True for exit code 0. */
    public boolean success() {
        return kind == Kind.EXITED && code == 0;
    }

    /** True when a signal ended the process (with or without core). */
    public boolean signaled() {
        return kind == Kind.KILLED || kind == Kind.DUMPED;
    }

    @Override
    public String toString() {
        switch (kind) {
            case EXITED:
                return "pid " + pid + " exit status " + code;
            case KILLED:
                return "pid " + pid + " killed by signal " + code;
            case DUMPED:
                return "pid " + pid + " killed by signal " + code + " (core dumped)";
            case STOPPED:
                return "pid " + pid + " stopped by signal " + code;
            default:
                return "still running";
        }
    }
}
