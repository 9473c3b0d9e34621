package org.jmaster.supervisor.policy;

/**
 * The prefork pool's arithmetic ({@code -M prefork=N}, {@code -M max_spare=M}): how many idle
 * children to start on this tick, how fast the next tick may go, and when an oversized pool is
 * recycled. Spawns ramp up as Apache's prefork does, 1, 2, 4 … at most {@link #MAX_RAMP} per tick
 * while the pool is short, so a burst cannot fork-bomb the machine. Pure.
 */
public final class PreforkRamp {
    public static final int MAX_RAMP = 32;
    /** At most one recycling of an oversized pool per this many milliseconds. */
    public static final long RECYCLE_INTERVAL_MS = 10_000;

    private PreforkRamp() {}

    /**
     * One tick's plan: start {@code spawn} children now; if {@code again}, tick again later with
     * {@code nextRamp}, else the ramp is back to 1.
     */
    public record Step(int spawn, int nextRamp, boolean again) {}

    /**
     * @param target  {@code prefork}
     * @param avail   idle children now
     * @param room    children the process limit and the throttle allow now
     *                ({@link Integer#MAX_VALUE} for no limit)
     * @param ramp    this tick's ramp
     */
    public static Step step(int target, int avail, int room, int ramp) {
        int missing = Math.max(0, target - avail);
        int spawn = Math.min(Math.min(missing, Math.max(0, room)), ramp);
        boolean again = missing > spawn && room > spawn;
        return new Step(spawn, again ? Math.min(MAX_RAMP, ramp * 2) : 1, again);
    }

    /** Whether a pool with {@code avail} idle children above {@code maxSpare} (0: never) is recycled now. */
    public static boolean recycle(int avail, int maxSpare, long nowMillis, long lastRecycleMillis) {
        return maxSpare > 0 && avail > maxSpare && nowMillis - lastRecycleMillis >= RECYCLE_INTERVAL_MS;
    }
}
