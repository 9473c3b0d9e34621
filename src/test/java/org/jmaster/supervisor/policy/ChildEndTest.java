package org.jmaster.supervisor.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Protocol doc §3.9: which child ends throttle (jmaster's rule: before proof only). */
class ChildEndTest {
    @ParameterizedTest(name = "retiring={0} proven={1} normal={2} quick={3} everTook={4} -> {5}")
    @CsvSource({
        // abnormal end before proving the command: Postfix's "bad command startup"
        "false, false, false, false, false, FAILED_START",
        "false, false, false, true,  false, FAILED_START",
        // a crash after proving itself is logged, never a throttle (jmaster; Postfix: after a completed request)
        "false, true,  false, true,  true,  FINE",
        // exit 0 without work: max_idle expiry, a reload EOF: fine, unless at once (hot respawn guard)
        "false, false, true,  false, false, FINE",
        "false, false, true,  true,  false, QUIET_EXIT",
        "false, false, true,  true,  true,  FINE",
        // the master told it to go (old channel, removed service, shutdown)
        "true,  false, false, true,  false, FINE",
        "true,  false, true,  true,  false, FINE",
    })
    void classifies(boolean retiring, boolean proven, boolean normal, boolean quick, boolean everTook, ChildEnd end) {
        assertThat(ChildEnd.of(retiring, proven, normal, quick, everTook)).isEqualTo(end);
    }
}
