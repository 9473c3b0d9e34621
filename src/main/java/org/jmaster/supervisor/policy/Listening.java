package org.jmaster.supervisor.policy;

/**
 * The availability rule (Postfix's {@code master_avail_listen}) as a pure function: from a
 * service's counts and throttle state, whether its listeners are watched. The supervisor calls it
 * after every change (spawn, status frame, reap, throttle, reload) and applies the answer; nothing
 * else decides about watching.
 */
public final class Listening {
    private Listening() {}

    /** Which rule a protocol's children follow. */
    public enum Rule {
        /**
         * Postfix's: children share the listeners and accept themselves; watch only while no child
         * is idle and the process limit allows one more, so each readiness means one spawn.
         */
        SPAWN_WHEN_NONE_IDLE,
        /** inetd's: the master accepts, one child per connection; watch while there is room. */
        ACCEPT_WHILE_ROOM,
        /** systemd's: one instance owns the listeners; watch only while none runs. */
        ONE_INSTANCE
    }

    /**
     * What the rule looks at.
     *
     * @param removed       the service is being removed or the master is stopping
     * @param throttle      the throttle state
     * @param avail         idle children (Postfix's {@code avail_proc})
     * @param total         live children, retiring ones included ({@code total_proc})
     * @param unproven      live children that have not yet proven the command starts
     * @param maxProc       the process limit, 0 for none
     * @param throttleReply the service answers clients itself while throttled
     * @param refuseReply   the service answers clients itself at its limit
     */
    public record State(boolean removed, Throttle throttle, int avail, int total, int unproven, int maxProc,
                        boolean throttleReply, boolean refuseReply) {}

    /**
     * The answer: watch or not; {@code atLimit} says that the process limit alone stops a Postfix
     * service (the moment for Postfix's "has reached its process limit" warning).
     */
    public record Decision(boolean listen, boolean atLimit) {
        static final Decision LISTEN = new Decision(true, false);
        static final Decision QUIET = new Decision(false, false);
        static final Decision AT_LIMIT = new Decision(false, true);
    }

    /** Postfix's {@code MASTER_LIMIT_OK}: 0 means no limit. */
    public static boolean limitOk(int maxProc, int count) {
        return maxProc == 0 || count < maxProc;
    }

    /** Whether one more child may be started now: the limit and the throttle (a probe starts one at a time). */
    public static boolean mayStart(State s) {
        return !s.removed() && limitOk(s.maxProc(), s.total()) && s.throttle().mayStart(s.unproven());
    }

    public static Decision decide(Rule rule, State s) {
        if (s.removed()) {
            return Decision.QUIET;
        }
        if (s.throttle().throttled()) {
            // beyond Postfix: a throttled service with a throttle_reply is watched so the master can answer
            return s.throttleReply() ? Decision.LISTEN : Decision.QUIET;
        }
        return switch (rule) {
            case SPAWN_WHEN_NONE_IDLE -> s.avail() > 0 ? Decision.QUIET
                    : !limitOk(s.maxProc(), s.total()) ? Decision.AT_LIMIT
                    : s.throttle().mayStart(s.unproven()) ? Decision.LISTEN : Decision.QUIET;
            case ACCEPT_WHILE_ROOM -> mayStart(s) || s.refuseReply() ? Decision.LISTEN : Decision.QUIET;
            case ONE_INSTANCE -> s.total() == 0 && mayStart(s) ? Decision.LISTEN : Decision.QUIET;
        };
    }
}
