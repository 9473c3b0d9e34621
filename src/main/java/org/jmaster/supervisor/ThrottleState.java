package org.jmaster.supervisor;

/**
 * Exponential throttle backoff of one service: the first bad start-up waits
 * {@code service_throttle_time}, each further one in a row doubles it up to
 * {@code service_throttle_max_time}; a service that has stayed unthrottled for
 * {@code service_throttle_reset_time} starts again from the base. Pure arithmetic on the loop thread.
 */
final class ThrottleState {
    private int consecutive;
    private long lastUnthrottleNanos = Long.MIN_VALUE;
    EventLoop.Timer timer;
    long retryAtMillis;

    /** The delay for a throttle starting now, and counts it. */
    long nextDelaySeconds(long baseSeconds, long capSeconds, long resetSeconds, long nowNanos) {
        if (lastUnthrottleNanos != Long.MIN_VALUE && nowNanos - lastUnthrottleNanos >= resetSeconds * 1_000_000_000L) {
            consecutive = 0;
        }
        long delay = baseSeconds;
        for (int i = 0; i < consecutive && delay < capSeconds; i++) {
            delay *= 2;
        }
        consecutive++;
        return Math.max(1, Math.min(delay, Math.max(baseSeconds, capSeconds)));
    }

    void unthrottled(long nowNanos) {
        lastUnthrottleNanos = nowNanos;
        timer = null;
    }

    int consecutive() {
        return consecutive;
    }
}
