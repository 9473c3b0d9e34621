package org.jmaster.supervisor;

/**
 * A token bucket for {@code -M rate=N/S}: holds at most N tokens and gains N every S seconds; each
 * admitted connection takes one. Pure arithmetic on the loop thread.
 */
final class TokenBucket {
    private final double capacity;
    private final double perNano;
    private double tokens;
    private long last;

    TokenBucket(int count, long periodSeconds, long nowNanos) {
        this.capacity = count;
        this.perNano = count / (periodSeconds * 1e9);
        this.tokens = count;
        this.last = nowNanos;
    }

    boolean take(long nowNanos) {
        refill(nowNanos);
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    private void refill(long nowNanos) {
        tokens = Math.min(capacity, tokens + (nowNanos - last) * perNano);
        last = nowNanos;
    }
}
