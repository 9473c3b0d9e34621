package org.jmaster.supervisor.policy;

/**
 * A token bucket for {@code -M rate=N/S}: holds at most N tokens and gains N every S seconds; each
 * admitted connection takes one. Pure arithmetic on the loop thread.
 */
public final class TokenBucket {
    private final double capacity;
    private final double perNano;
    private double tokens;
    private long last;

    public TokenBucket(int count, long periodSeconds, long nowNanos) {
        this.capacity = count;
        this.perNano = count / (periodSeconds * 1e9);
        this.tokens = count;
        this.last = nowNanos;
    }

    /** Takes a token at {@code nowNanos}; false when the bucket is empty. */
    public boolean take(long nowNanos) {
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
