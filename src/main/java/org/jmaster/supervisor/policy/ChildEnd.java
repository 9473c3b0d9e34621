package org.jmaster.supervisor.policy;

/**
 * What a child's end says about its service's command, for the throttle rule ({@link Throttle}):
 * a pure classification of the facts the reaper has.
 */
public enum ChildEnd {
    /** Nothing to hold against the command: the child proved itself, was told to go, or retired. */
    FINE,
    /** It ended abnormally before proving that the command starts. */
    FAILED_START,
    /**
     * It exited 0 at once without ever taking a request: counted as a failed start, so that such a
     * program cannot cause a hot respawn loop (Postfix respawns it every time).
     */
    QUIET_EXIT;

    /**
     * @param retiring  the child belonged to an old status channel, a removed service or a stopping
     *                  master: its end is the master's doing
     * @param proven    it proved that the command starts (see {@link Throttle})
     * @param normal    it exited with status 0
     * @param quick     it lived shorter than the quick-exit window
     * @param everTook  it ever took a request
     */
    public static ChildEnd of(boolean retiring, boolean proven, boolean normal, boolean quick, boolean everTook) {
        if (retiring || proven) {
            return FINE;
        }
        if (!normal) {
            return FAILED_START;
        }
        return quick && !everTook ? QUIET_EXIT : FINE;
    }
}
