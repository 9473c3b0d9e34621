package org.jmaster.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** max_idle, max_use and -r (protocol doc §3.10) on a clock the test drives. */
class LifetimeTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;

    private final AtomicLong now = new AtomicLong(-5 * S); // nanoTime may be negative

    private Lifetime lifetime(long maxIdleSeconds, int maxUse, int retireSeconds) {
        return new Lifetime(maxIdleSeconds, maxUse, retireSeconds, now::get);
    }

    @Test
    void maxUseCountsUses() {
        Lifetime l = lifetime(100, 2, 0);
        assertThat(l.mayTakeMore()).isTrue();
        l.used();
        assertThat(l.mayTakeMore()).isTrue();
        l.used();
        assertThat(l.mayTakeMore()).isFalse();
        assertThat(l.retired()).isFalse();
    }

    @Test
    void theIdleTimerStartsAtStartAndAgainAfterEachRequest() {
        Lifetime l = lifetime(10, 100, 0);
        assertThat(l.waitMillis()).isEqualTo(10_000);
        now.addAndGet(9 * S);
        assertThat(l.idleExpired()).isFalse();
        assertThat(l.waitMillis()).isEqualTo(1_000);
        l.idleFromNow();
        now.addAndGet(9_999 * MS);
        assertThat(l.idleExpired()).isFalse();
        assertThat(l.waitMillis()).isEqualTo(1);
        now.addAndGet(MS);
        assertThat(l.idleExpired()).isTrue();
        assertThat(l.waitMillis()).isZero();
        now.addAndGet(S);
        assertThat(l.waitMillis()).as("never negative").isZero();
    }

    @Test
    void waitMillisRoundsUpSoThatPollDoesNotWakeEarly() {
        Lifetime l = lifetime(1, 100, 0);
        now.addAndGet(S - 1);
        assertThat(l.idleExpired()).isFalse();
        assertThat(l.waitMillis()).isEqualTo(1);
    }

    @Test
    void retirementEndsTakingAndBoundsTheWait() {
        Lifetime l = lifetime(100, 100, 3);
        assertThat(l.waitMillis()).as("the retirement comes before the idle timer").isEqualTo(3_000);
        now.addAndGet(2 * S);
        assertThat(l.mayTakeMore()).isTrue();
        l.idleFromNow();
        assertThat(l.waitMillis()).isEqualTo(1_000);
        now.addAndGet(S);
        assertThat(l.retired()).isTrue();
        assertThat(l.mayTakeMore()).isFalse();
        assertThat(l.idleExpired()).isFalse();
    }

    @Test
    void withoutRetirementOnlyTheIdleTimerBoundsTheWait() {
        Lifetime l = lifetime(100, 100, 0);
        now.addAndGet(1_000_000 * S);
        assertThat(l.retired()).isFalse();
        assertThat(l.idleExpired()).isTrue();
    }
}
