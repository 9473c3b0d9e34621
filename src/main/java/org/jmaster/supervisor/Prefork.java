package org.jmaster.supervisor;

import org.jmaster.supervisor.policy.Listening;
import org.jmaster.supervisor.policy.PreforkRamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the prefork pool's plan ({@code -M prefork=N}, qpsmtpd-prefork's {@code --idle-children};
 * the arithmetic is {@link PreforkRamp}'s): keeps at least N idle children of a Postfix-protocol
 * service within the process limit, spawning ahead of demand one tick ({@link #TICK_MS}) at a time,
 * and with {@code -M max_spare=M} recycles a pool with more than M idle children through a new
 * status channel (the idle children leave, busy ones finish first). Without {@code prefork} the
 * Postfix policy alone decides. The only writer of a service's prefork fields; owned by the loop.
 */
final class Prefork {
    private static final Logger log = LoggerFactory.getLogger("master");
    static final long TICK_MS = 1000;
    private final Supervisor master;

    Prefork(Supervisor master) {
        this.master = master;
    }

    /** Something changed for {@code s}: check the pool soon (coalesced, never re-entrant). */
    void request(Service s) {
        if (s.protocol.preforkTarget(s.settings) > 0 && s.preforkTimer == null && !s.preforkBusy && !s.removed) {
            s.preforkTimer = master.loop.schedule(0, () -> maintain(s));
        }
    }

    private void maintain(Service s) {
        s.preforkTimer = null;
        int want = s.protocol.preforkTarget(s.settings);
        if (want == 0 || s.removed || s.throttle.throttled() || master.shuttingDown) {
            return;
        }
        long now = master.loop.currentTimeMillis();
        if (PreforkRamp.recycle(s.availProc(), s.settings.maxSpare(), now, s.lastSpareRecycleMillis)) {
            s.lastSpareRecycleMillis = now;
            log.info("service {}: {} idle children above max_spare {}: recycling the pool", s.label(), s.availProc(),
                    s.settings.maxSpare());
            master.restartChannel(s);
        }
        PreforkRamp.Step step = PreforkRamp.step(want, s.availProc(), room(s), s.preforkRamp);
        s.preforkRamp = step.nextRamp();
        boolean again = step.again();
        // while this round spawns, the spawns' own requests must not start another round
        s.preforkBusy = true;
        try {
            for (int i = 0; i < step.spawn(); i++) {
                if (room(s) == 0 || !master.availability.spawnContained(s,
                        () -> master.spawner.spawnPostfix(s, Events.Code.SPAWN_PREFORK))) {
                    s.preforkRamp = 1;
                    again = false;
                    break;
                }
            }
        } finally {
            s.preforkBusy = false;
        }
        if (again) {
            s.preforkTimer = master.loop.schedule(TICK_MS, () -> maintain(s));
        }
    }

    /** How many children may be started now: the process limit, and one at a time while probing. */
    private static int room(Service s) {
        Listening.State st = s.listeningState(false);
        if (!Listening.mayStart(st)) {
            return 0;
        }
        int byLimit = s.maxProc() == 0 ? Integer.MAX_VALUE : s.maxProc() - s.totalProc();
        return s.throttle.probing() ? Math.min(1, byLimit) : byLimit;
    }
}
