package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ThrottleStateTest {
    private static final long S = 1_000_000_000L;

    @Test
    void doublesUpToTheCap() {
        ThrottleState t = new ThrottleState();
        long now = 0;
        long[] want = {60, 120, 240, 480, 960, 1920, 3600, 3600};
        for (long w : want) {
            assertThat(t.nextDelaySeconds(60, 3600, 600, now)).isEqualTo(w);
            now += w * S;
            t.unthrottled(now);
            now += S; // fails again a second after the throttle ends
        }
    }

    @Test
    void resetsAfterAHealthyPeriod() {
        ThrottleState t = new ThrottleState();
        assertThat(t.nextDelaySeconds(10, 3600, 600, 0)).isEqualTo(10);
        t.unthrottled(10 * S);
        assertThat(t.nextDelaySeconds(10, 3600, 600, 20 * S)).isEqualTo(20);
        t.unthrottled(40 * S);
        assertThat(t.nextDelaySeconds(10, 3600, 600, 40 * S + 600 * S)).isEqualTo(10);
    }

    @Test
    void capBelowBaseMeansBase() {
        ThrottleState t = new ThrottleState();
        assertThat(t.nextDelaySeconds(60, 10, 600, 0)).isEqualTo(60);
        assertThat(t.nextDelaySeconds(60, 10, 600, 0)).isEqualTo(60);
    }
}
