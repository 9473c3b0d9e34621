package org.jmaster.supervisor.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.jmaster.supervisor.policy.Listening.Decision;
import org.jmaster.supervisor.policy.Listening.Rule;
import org.jmaster.supervisor.policy.Listening.State;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The availability rule: Postfix's master_avail_listen (protocol doc §4.2) and jmaster's additions. */
class ListeningTest {
    private static final Throttle THROTTLED = Throttle.OPEN.spawnFailed(new Throttle.Backoff(1000, 1000), 0).next();
    private static final Throttle PROBING = THROTTLED.delayOver();

    private static Throttle throttle(String name) {
        return switch (name) {
            case "open" -> Throttle.OPEN;
            case "throttled" -> THROTTLED;
            case "probing" -> PROBING;
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest(name = "{0} {1} avail={3} total={4} unproven={5} max={6} -> {9}")
    @CsvSource({
        // rule,                throttle,  removed, avail, total, unproven, max, throttleReply, refuseReply, listen, atLimit
        // §4.2: THROTTLED or avail_proc > 0: listen = off
        "SPAWN_WHEN_NONE_IDLE,  throttled, false,   0,     0,     0,        5,   false,         false,       false,  false",
        "SPAWN_WHEN_NONE_IDLE,  open,      false,   1,     1,     1,        5,   false,         false,       false,  false",
        // LIMIT_OK(max_proc, total_proc): on
        "SPAWN_WHEN_NONE_IDLE,  open,      false,   0,     0,     0,        5,   false,         false,       true,   false",
        "SPAWN_WHEN_NONE_IDLE,  open,      false,   0,     4,     0,        5,   false,         false,       true,   false",
        "SPAWN_WHEN_NONE_IDLE,  open,      false,   0,     400,   0,        0,   false,         false,       true,   false",
        // else off (the moment for the process-limit warning)
        "SPAWN_WHEN_NONE_IDLE,  open,      false,   0,     5,     0,        5,   false,         false,       false,  true",
        // removed services and a stopping master never listen
        "SPAWN_WHEN_NONE_IDLE,  open,      true,    0,     0,     0,        5,   false,         false,       false,  false",
        // jmaster: throttle_reply answers while throttled
        "SPAWN_WHEN_NONE_IDLE,  throttled, false,   0,     0,     0,        5,   true,          false,       true,   false",
        "ACCEPT_WHILE_ROOM,     throttled, false,   0,     0,     0,        5,   true,          false,       true,   false",
        // the probe: one unproven start at a time, proven children do not count against it
        "SPAWN_WHEN_NONE_IDLE,  probing,   false,   0,     0,     0,        5,   false,         false,       true,   false",
        "SPAWN_WHEN_NONE_IDLE,  probing,   false,   0,     3,     0,        5,   false,         false,       true,   false",
        "SPAWN_WHEN_NONE_IDLE,  probing,   false,   0,     3,     1,        5,   false,         false,       false,  false",
        // accept mode: while there is room, or at the limit with a refuse_reply
        "ACCEPT_WHILE_ROOM,     open,      false,   0,     4,     4,        5,   false,         false,       true,   false",
        "ACCEPT_WHILE_ROOM,     open,      false,   0,     5,     5,        5,   false,         false,       false,  false",
        "ACCEPT_WHILE_ROOM,     open,      false,   0,     5,     5,        5,   false,         true,        true,   false",
        "ACCEPT_WHILE_ROOM,     probing,   false,   0,     1,     1,        5,   false,         false,       false,  false",
        "ACCEPT_WHILE_ROOM,     probing,   false,   0,     1,     1,        5,   false,         true,        true,   false",
        // systemd: one instance owns the sockets
        "ONE_INSTANCE,          open,      false,   0,     0,     0,        1,   false,         false,       true,   false",
        "ONE_INSTANCE,          open,      false,   0,     1,     0,        1,   false,         false,       false,  false",
        "ONE_INSTANCE,          throttled, false,   0,     0,     0,        1,   false,         false,       false,  false",
    })
    void decides(Rule rule, String throttle, boolean removed, int avail, int total, int unproven, int max,
                 boolean throttleReply, boolean refuseReply, boolean listen, boolean atLimit) {
        Decision d = Listening.decide(rule, new State(removed, throttle(throttle), avail, total, unproven, max,
                throttleReply, refuseReply));
        assertThat(d.listen()).isEqualTo(listen);
        assertThat(d.atLimit()).isEqualTo(atLimit);
    }

    /**
     * Driving the Postfix rule as the supervisor does (one spawn per readiness, the new child idle
     * until it takes a connection) never exceeds maxproc and never listens with an idle child or
     * while throttled.
     */
    @Property(tries = 500)
    void neverMoreChildrenThanMaxprocNorListeningWithAnIdleChild(
            @ForAll @IntRange(min = 1, max = 8) int max,
            @ForAll List<@IntRange(min = 0, max = 4) Integer> events) {
        int avail = 0;
        int busy = 0;
        Throttle t = Throttle.OPEN;
        for (int e : events) {
            State s = new State(false, t, avail, avail + busy, 0, max, false, false);
            Decision d = Listening.decide(Rule.SPAWN_WHEN_NONE_IDLE, s);
            if (d.listen()) {
                assertThat(avail).isZero();
                assertThat(t.throttled()).isFalse();
            }
            switch (e) {
                case 0 -> { // a connection arrives: spawn if listening
                    if (d.listen()) {
                        avail++;
                    }
                }
                case 1 -> { // an idle child takes it
                    if (avail > 0) {
                        avail--;
                        busy++;
                    }
                }
                case 2 -> { // a busy child finishes
                    if (busy > 0) {
                        busy--;
                        avail++;
                    }
                }
                case 3 -> { // a child exits
                    if (busy > 0) {
                        busy--;
                    } else if (avail > 0) {
                        avail--;
                    }
                }
                default -> t = t.throttled() ? t.delayOver().proven() : t.spawnFailed(new Throttle.Backoff(1000, 8000), 0).next();
            }
            assertThat(avail + busy).isLessThanOrEqualTo(max);
        }
    }
}
