package org.jmaster.supervisor.policy;

/**
 * The throttle rule of one service (Postfix's {@code master_throttle}, with jmaster's backoff and
 * probe): an immutable value, and pure transitions from (state, event, time) to a {@link Decision}.
 * The supervisor keeps the current value per service and applies each decision (log line, timer).
 *
 * <h2>The rule</h2>
 * <ul>
 *   <li>A child <em>proves</em> that the command starts when it takes its first request (Postfix
 *       protocol: its first TAKEN; a child that gets its connection from the master: an exit 0, or
 *       staying alive past the quick-exit window). The death of a proven child is logged, never a
 *       "bad command startup".</li>
 *   <li>A child that ends abnormally before it proved itself, or exits 0 at once without ever taking
 *       a request, is a <em>failed start</em>. Failed starts in a row (no new child proving itself in
 *       between) form a streak. A command that has never proven itself (since the service started or
 *       its command changed) throttles at the first failed start: exactly Postfix's behaviour for a
 *       command that fails at start. A command that has proven itself is <em>trusted</em>: it
 *       throttles only when the streak reaches {@link #TOLERATED} (one fresh child lost to a kill or
 *       the OOM killer, followed by a new child that accepts, is an accident, not a broken command).
 *       A failed {@code posix_spawn} throttles at once, as Postfix's failed {@code fork()} does.</li>
 *   <li>The n-th throttle in a row waits {@code base * 2^(n-1)}, at most {@code max}; the count goes
 *       back to zero with the first completed request.</li>
 *   <li>While throttled nothing is spawned. When the delay is over the service is half-open
 *       ({@link Phase#PROBING}): it may spawn while it has no unproven child, so it probes one new
 *       start at a time and never has fewer live children than before; the first child that proves
 *       itself ends the probe. A failed probe throttles again, trusted or not.</li>
 * </ul>
 */
public record Throttle(Phase phase, int streak, int level, long retryAtMillis, boolean trusted) {
    /** Failed starts in a row after which even a trusted command is throttled. */
    public static final int TOLERATED = 3;

    /** A service that has not started a child yet. */
    public static final Throttle OPEN = new Throttle(Phase.OPEN, 0, 0, 0, false);

    // equals and hashCode written out, with the record's meaning: the generated ones go through
    // method handles, which the master's C1-only JIT never makes cheap, and every status frame asks
    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof Throttle t && t.phase == phase && t.streak == streak && t.level == level
                && t.retryAtMillis == retryAtMillis && t.trusted == trusted;
    }

    @Override
    public int hashCode() {
        int h = phase.hashCode();
        h = 31 * h + streak;
        h = 31 * h + level;
        h = 31 * h + Long.hashCode(retryAtMillis);
        return 31 * h + Boolean.hashCode(trusted);
    }

    public enum Phase {
        /** Spawning as the availability rule decides. */
        OPEN,
        /** Nothing is spawned until {@link #retryAtMillis}. */
        THROTTLED,
        /** Half-open: one new start at a time until a child proves itself. */
        PROBING
    }

    /** The configured backoff: the first delay and its cap (both at least one second). */
    public record Backoff(long baseMillis, long maxMillis) {
        public Backoff {
            baseMillis = Math.max(1000, baseMillis);
            maxMillis = Math.max(baseMillis, maxMillis);
        }

        /** The delay of the throttle at {@code level} (0 for the first in a row). */
        long delayMillis(int level) {
            long d = baseMillis;
            for (int i = 0; i < level && d < maxMillis; i++) {
                d *= 2;
            }
            return Math.min(d, maxMillis);
        }
    }

    /**
     * What the supervisor must do: adopt {@code next}; when {@code delayMillis} is positive, the
     * service has just become throttled, so log {@code "<path>: bad command startup -- throttling"}
     * (with the delay) and arm a timer that calls {@link #delayOver}.
     */
    public record Decision(Throttle next, long delayMillis) {
        public boolean throttles() {
            return delayMillis > 0;
        }
    }

    public boolean throttled() {
        return phase == Phase.THROTTLED;
    }

    public boolean probing() {
        return phase == Phase.PROBING;
    }

    /**
     * Whether one more child may be started now, given the live children that have not proven
     * themselves yet. The process limit is the availability rule's business, not this one's.
     */
    public boolean mayStart(int unprovenLive) {
        return switch (phase) {
            case OPEN -> true;
            case THROTTLED -> false;
            case PROBING -> unprovenLive == 0;
        };
    }

    /** A child ended before it proved itself (abnormally, or at once without a request). */
    public Decision failedStart(Backoff backoff, long nowMillis) {
        int s = streak + 1;
        if (phase == Phase.THROTTLED) {
            return new Decision(new Throttle(phase, s, level, retryAtMillis, trusted), 0);
        }
        int tolerated = phase == Phase.OPEN && trusted ? TOLERATED : 1;
        if (s < tolerated) {
            return new Decision(new Throttle(phase, s, level, retryAtMillis, trusted), 0);
        }
        return throttleNow(s, backoff, nowMillis);
    }

    /** posix_spawn itself failed (no such program, no descriptors, no memory): throttle at once. */
    public Decision spawnFailed(Backoff backoff, long nowMillis) {
        if (phase == Phase.THROTTLED) {
            return new Decision(this, 0);
        }
        return throttleNow(streak + 1, backoff, nowMillis);
    }

    private Decision throttleNow(int s, Backoff backoff, long nowMillis) {
        long delay = backoff.delayMillis(level);
        return new Decision(new Throttle(Phase.THROTTLED, s, level + 1, nowMillis + delay, trusted), delay);
    }

    /** A new child proved that the command starts: the streak ends, and so does a probe. */
    public Throttle proven() {
        if (phase == Phase.THROTTLED) {
            // a child spawned before the throttle took a request: good news, but the delay stands
            return new Throttle(phase, 0, level, retryAtMillis, true);
        }
        return new Throttle(Phase.OPEN, 0, level, 0, true);
    }

    /** A request completed: the backoff starts again from its base. */
    public Throttle completed() {
        Throttle t = proven();
        return new Throttle(t.phase, t.streak, 0, t.retryAtMillis, true);
    }

    /** The throttle's timer fired: half-open. */
    public Throttle delayOver() {
        return phase == Phase.THROTTLED ? new Throttle(Phase.PROBING, streak, level, 0, trusted) : this;
    }

    /** The service's command changed at reload: whatever failed before says nothing about the new one. */
    public Throttle commandChanged() {
        return OPEN;
    }
}
