package org.jmaster.supervisor;

import java.util.function.LongConsumer;

/**
 * At most one log line per interval for a condition that can repeat as fast as the loop turns (a
 * full descriptor table at accept, refused control clients, failing handlers): the first occurrence
 * may be logged; the ones after it, until the interval is over, are only counted, and their count is
 * handed to {@code summary} when the interval ends. While the condition lasts that is one summary
 * line per interval. Owned by the loop thread.
 */
public final class LogLimit {
    private final EventLoop loop;
    private final long intervalNanos;
    private final LongConsumer summary;
    private long lastNanos;
    private boolean logged;
    private long suppressed;
    private EventLoop.Timer report;

    /** {@code summary} gets the number of occurrences left out; it runs on the loop thread. */
    public LogLimit(EventLoop loop, long intervalMillis, LongConsumer summary) {
        this.loop = loop;
        this.intervalNanos = intervalMillis * 1_000_000L;
        this.summary = summary;
    }

    /** True when this occurrence may be logged now; false when it was counted for the summary instead. */
    public boolean allow() {
        long now = System.nanoTime();
        if (report == null && (!logged || now - lastNanos >= intervalNanos)) {
            logged = true;
            lastNanos = now;
            return true;
        }
        suppressed++;
        if (report == null) {
            long wait = Math.max(0, (lastNanos + intervalNanos - now) / 1_000_000L);
            report = loop.schedule(wait, this::report);
        }
        return false;
    }

    private void report() {
        report = null;
        lastNanos = System.nanoTime();
        long n = suppressed;
        suppressed = 0;
        if (n > 0) {
            summary.accept(n);
        }
    }

    /** Occurrences counted since the last summary (for tests). */
    long suppressed() {
        return suppressed;
    }
}
