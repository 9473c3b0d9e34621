package org.jmaster.supervisor.policy;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import java.util.List;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.jmaster.supervisor.policy.Throttle.Backoff;
import org.jmaster.supervisor.policy.Throttle.Decision;
import org.jmaster.supervisor.policy.Throttle.Phase;
import org.junit.jupiter.api.Test;

class ThrottleTest {
    private static final Backoff BACKOFF = new Backoff(5_000, 40_000);
    /** A command that has served: a child of it once took a request. */
    private static final Throttle TRUSTED = Throttle.OPEN.proven();

    @Test
    void commandThatFailsAtStartThrottlesOnTheFirstFailureAsPostfixDoes() {
        Decision d = Throttle.OPEN.failedStart(BACKOFF, 1_000);
        assertThat(d.throttles()).isTrue();
        assertThat(d.delayMillis()).isEqualTo(5_000);
        assertThat(d.next().phase()).isEqualTo(Phase.THROTTLED);
        assertThat(d.next().retryAtMillis()).isEqualTo(6_000);
        assertThat(d.next().mayStart(0)).isFalse();
    }

    @Test
    void crashLoopBacksOffExponentiallyUpToTheCap() {
        Throttle t = Throttle.OPEN;
        long now = 0;
        long[] delays = new long[6];
        for (int i = 0; i < delays.length; i++) {
            Decision d = t.failedStart(BACKOFF, now);
            assertThat(d.throttles()).isTrue();
            delays[i] = d.delayMillis();
            now += d.delayMillis();
            t = d.next().delayOver();
            assertThat(t.phase()).isEqualTo(Phase.PROBING);
            assertThat(t.mayStart(0)).isTrue();
            assertThat(t.mayStart(1)).isFalse();
        }
        assertThat(delays).containsExactly(5_000, 10_000, 20_000, 40_000, 40_000, 40_000);
    }

    @Test
    void firstCompletedRequestResetsTheBackoff() {
        Throttle t = Throttle.OPEN.failedStart(BACKOFF, 0).next().delayOver();
        t = t.failedStart(BACKOFF, 5_000).next().delayOver();
        assertThat(t.level()).isEqualTo(2);
        t = t.proven();
        assertThat(t.phase()).isEqualTo(Phase.OPEN);
        assertThat(t.trusted()).isTrue();
        assertThat(t.level()).as("proof alone keeps the level").isEqualTo(2);
        t = t.completed();
        assertThat(t.level()).isZero();
        assertThat(t.spawnFailed(BACKOFF, 99_000).delayMillis()).isEqualTo(5_000);
    }

    @Test
    void oneFreshChildLostByACommandThatHasServedIsAnAccident() {
        // the kill storm: a SIGKILL takes a child that had not yet accepted
        Decision d = TRUSTED.failedStart(BACKOFF, 0);
        assertThat(d.throttles()).isFalse();
        assertThat(d.next().streak()).isEqualTo(1);
        // the next new child accepts: the streak is over
        assertThat(d.next().proven()).isEqualTo(TRUSTED);
    }

    @Test
    void killStormSequenceNeverThrottles() {
        // 80 kills over 20 s; each kill of an unproven child is followed by a new child that accepts
        Throttle t = TRUSTED;
        long now = 0;
        for (int kill = 0; kill < 80; kill++, now += 250) {
            boolean freshVictim = kill % 3 == 0;
            if (freshVictim) {
                Decision d = t.failedStart(BACKOFF, now);
                assertThat(d.throttles()).isFalse();
                t = d.next();
            }
            t = t.proven();
            if (kill % 2 == 0) {
                t = t.completed();
            }
        }
        assertThat(t).isEqualTo(TRUSTED);
    }

    @Test
    void aCommandThatServedThenBreaksThrottlesAfterTheToleratedStreak() {
        // the binary on disk was replaced by one that exits 1; the old children had served
        Throttle t = TRUSTED;
        for (int i = 1; i < Throttle.TOLERATED; i++) {
            Decision d = t.failedStart(BACKOFF, i);
            assertThat(d.throttles()).isFalse();
            t = d.next();
        }
        Decision d = t.failedStart(BACKOFF, 10);
        assertThat(d.throttles()).isTrue();
        // its probe is not tolerated again
        assertThat(d.next().delayOver().failedStart(BACKOFF, 5_010).throttles()).isTrue();
    }

    @Test
    void failedSpawnThrottlesAtOnce() {
        Decision d = Throttle.OPEN.spawnFailed(BACKOFF, 0);
        assertThat(d.throttles()).isTrue();
        assertThat(d.next().throttled()).isTrue();
        assertThat(d.next().spawnFailed(BACKOFF, 1).throttles()).as("already throttled").isFalse();
    }

    @Test
    void failuresWhileThrottledDoNotRearmTheTimer() {
        Throttle t = Throttle.OPEN.failedStart(BACKOFF, 0).next();
        Decision d = t.failedStart(BACKOFF, 100);
        assertThat(d.throttles()).isFalse();
        assertThat(d.next().retryAtMillis()).isEqualTo(t.retryAtMillis());
        assertThat(d.next().level()).isEqualTo(t.level());
    }

    @Test
    void failedProbeThrottlesAgainWithTheLongerDelay() {
        Throttle t = Throttle.OPEN.failedStart(BACKOFF, 0).next().delayOver();
        Decision d = t.failedStart(BACKOFF, 5_000);
        assertThat(d.delayMillis()).isEqualTo(10_000);
    }

    @Test
    void proofDuringTheDelayKeepsTheDelay() {
        Throttle t = Throttle.OPEN.failedStart(BACKOFF, 0).next();
        Throttle p = t.proven();
        assertThat(p.throttled()).isTrue();
        assertThat(p.retryAtMillis()).isEqualTo(5_000);
        assertThat(p.delayOver().phase()).isEqualTo(Phase.PROBING);
    }

    @Test
    void reloadWithANewCommandForgetsTheThrottle() {
        Throttle t = Throttle.OPEN.failedStart(BACKOFF, 0).next();
        assertThat(t.commandChanged()).isEqualTo(Throttle.OPEN);
    }

    @Test
    void delayOverOutsideAThrottleChangesNothing() {
        assertThat(Throttle.OPEN.delayOver()).isEqualTo(Throttle.OPEN);
    }

    @Test
    void backoffIsAtLeastOneSecondAndTheCapAtLeastTheBase() {
        Backoff b = new Backoff(0, 0);
        assertThat(b.delayMillis(0)).isEqualTo(1_000);
        assertThat(b.delayMillis(30)).isEqualTo(1_000);
        assertThat(new Backoff(60_000, 1_000).delayMillis(3)).isEqualTo(60_000);
    }

    /** Whatever happens, a delay stays within [base, max], and a throttled service never starts a child. */
    @Property(tries = 300)
    void delaysBoundedAndThrottledNeverStarts(@ForAll @Size(max = 60) List<@IntRange(min = 0, max = 5) Integer> events) {
        Throttle t = Throttle.OPEN;
        long now = 0;
        for (int e : events) {
            now += 100;
            switch (e) {
                case 0 -> {
                    Decision d = t.failedStart(BACKOFF, now);
                    if (d.throttles()) {
                        assertThat(d.delayMillis()).isBetween(BACKOFF.baseMillis(), BACKOFF.maxMillis());
                    }
                    t = d.next();
                }
                case 1 -> t = t.spawnFailed(BACKOFF, now).next();
                case 2 -> t = t.proven();
                case 3 -> t = t.completed();
                case 4 -> t = t.delayOver();
                default -> t = t.commandChanged();
            }
            if (t.throttled()) {
                assertThat(t.mayStart(0)).isFalse();
                assertThat(t.retryAtMillis()).isGreaterThan(0);
            }
            assertThat(t.level()).isBetween(0, events.size());
        }
    }
}
