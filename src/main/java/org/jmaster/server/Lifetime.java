package org.jmaster.server;

import java.util.function.LongSupplier;

/**
 * When a process leaves on its own (protocol doc §3.10): after {@code max_use} requests (single
 * and trigger servers) or connections (multi-servers), after {@code max_idle} seconds without
 * work, or once {@code -r} seconds have passed and it is idle. The master never enforces these.
 * Time is the clock's, in nanoseconds ({@link System#nanoTime} in a service; a test may drive it).
 */
final class Lifetime {
    private final LongSupplier clock;
    private final long maxIdleNanos;
    private final int maxUse;
    private final long retireAt;
    private long idleSince;
    private int uses;

    /** @param retireSeconds 0 for no retirement */
    Lifetime(long maxIdleSeconds, int maxUse, int retireSeconds) {
        this(maxIdleSeconds, maxUse, retireSeconds, System::nanoTime);
    }

    Lifetime(long maxIdleSeconds, int maxUse, int retireSeconds, LongSupplier clock) {
        this.clock = clock;
        this.maxIdleNanos = maxIdleSeconds * 1_000_000_000L;
        this.maxUse = maxUse;
        long now = clock.getAsLong();
        this.retireAt = retireSeconds > 0 ? now + retireSeconds * 1_000_000_000L : Long.MAX_VALUE;
        this.idleSince = now;
    }

    /** True while another request (or connection) may be taken. */
    boolean mayTakeMore() {
        return uses < maxUse && !retired();
    }

    boolean retired() {
        return retireAt != Long.MAX_VALUE && clock.getAsLong() - retireAt >= 0;
    }

    /** One more request or connection taken. */
    void used() {
        uses++;
    }

    /** The process has no work from now on: the idle timer starts. */
    void idleFromNow() {
        idleSince = clock.getAsLong();
    }

    /** Milliseconds until the idle timer or the retirement fires (at least 0), for poll(2). */
    int waitMillis() {
        long now = clock.getAsLong();
        long until = Math.min(idleSince + maxIdleNanos - now, retireAt == Long.MAX_VALUE ? Long.MAX_VALUE : retireAt - now);
        long ms = Math.max(0, (until + 999_999L) / 1_000_000L);
        return (int) Math.min(ms, Integer.MAX_VALUE);
    }

    /** True when the idle time is over. */
    boolean idleExpired() {
        return clock.getAsLong() - idleSince >= maxIdleNanos;
    }
}
