package org.jmaster.supervisor.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
    static final long S = 1_000_000_000L;

    @Test
    void startsFullTakesOneAtATimeAndRefillsAtItsRate() {
        TokenBucket b = new TokenBucket(3, 60, 0);
        assertThat(b.take(0)).isTrue();
        assertThat(b.take(0)).isTrue();
        assertThat(b.take(0)).isTrue();
        assertThat(b.take(0)).isFalse();
        assertThat(b.take(19 * S)).isFalse();
        assertThat(b.take(20 * S)).isTrue();
    }

    @Test
    void neverHoldsMoreThanItsCapacity() {
        TokenBucket b = new TokenBucket(2, 1, 0);
        b.take(0);
        // a day later it is full again, not 86,400 tokens rich
        long day = 86_400 * S;
        assertThat(b.take(day)).isTrue();
        assertThat(b.take(day)).isTrue();
        assertThat(b.take(day)).isFalse();
    }
}
