package org.jmaster.supervisor.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PreforkRampTest {
    @Test
    void rampsUpOneTwoFourWhileShortAndStopsAtTheTarget() {
        // prefork=10, nothing idle, no limit: 1, 2, 4, then the 3 still missing
        int avail = 0;
        int ramp = 1;
        StringBuilder spawns = new StringBuilder();
        PreforkRamp.Step s;
        do {
            s = PreforkRamp.step(10, avail, Integer.MAX_VALUE, ramp);
            spawns.append(s.spawn()).append(' ');
            avail += s.spawn();
            ramp = s.nextRamp();
        } while (s.again());
        assertThat(spawns.toString().trim()).isEqualTo("1 2 4 3");
        assertThat(avail).isEqualTo(10);
        assertThat(ramp).as("back to 1 once full").isEqualTo(1);
    }

    @Test
    void theRampIsCapped() {
        PreforkRamp.Step s = PreforkRamp.step(1000, 0, Integer.MAX_VALUE, PreforkRamp.MAX_RAMP);
        assertThat(s.spawn()).isEqualTo(PreforkRamp.MAX_RAMP);
        assertThat(s.nextRamp()).isEqualTo(PreforkRamp.MAX_RAMP);
    }

    @Test
    void theProcessLimitOrTheThrottleLeavesRoomForFewerAndEndsTheRamp() {
        PreforkRamp.Step s = PreforkRamp.step(10, 0, 3, 4);
        assertThat(s.spawn()).isEqualTo(3);
        assertThat(s.again()).isFalse();
        assertThat(PreforkRamp.step(10, 0, 0, 4)).isEqualTo(new PreforkRamp.Step(0, 1, false));
    }

    @Test
    void nothingToDoWhenThePoolIsFull() {
        assertThat(PreforkRamp.step(3, 5, 10, 8)).isEqualTo(new PreforkRamp.Step(0, 1, false));
    }

    @Test
    void anOversizedPoolIsRecycledAtMostEveryTenSeconds() {
        assertThat(PreforkRamp.recycle(6, 5, 20_000, 0)).isTrue();
        assertThat(PreforkRamp.recycle(6, 5, 20_000, 15_000)).isFalse();
        assertThat(PreforkRamp.recycle(5, 5, 20_000, 0)).isFalse();
        assertThat(PreforkRamp.recycle(50, 0, 20_000, 0)).as("max_spare unset").isFalse();
    }
}
