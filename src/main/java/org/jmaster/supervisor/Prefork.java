package org.jmaster.supervisor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The prefork pool of Postfix-protocol services ({@code -M prefork=N}, qpsmtpd-prefork's
 * {@code --idle-children}): keeps at least N idle children within the process limit, spawning
 * ahead of demand. Spawns ramp up as Apache's prefork does — 1, 2, 4 … (at most 32) per one-second
 * tick while short — so a burst cannot fork-bomb the machine. With {@code -M max_spare=M}, a pool
 * that has more than M idle children is recycled through a new status channel (the idle children
 * leave, busy ones finish first) and refilled to N, at most once per {@link #RECYCLE_INTERVAL_MS}.
 * Without {@code prefork} the Postfix policy alone decides. Owned by the loop thread.
 */
final class Prefork {
    private static final Logger log = LoggerFactory.getLogger("master");
    static final int MAX_RAMP = 32;
    static final long TICK_MS = 1000;
    static final long RECYCLE_INTERVAL_MS = 10_000;
    private final Supervisor master;

    Prefork(Supervisor master) {
        this.master = master;
    }

    static int target(Service s) {
        return s.postfixProtocol() ? s.entry.attributes().getInt("prefork").orElse(0) : 0;
    }

    /** Something changed for {@code s}: check the pool soon (coalesced, never re-entrant). */
    void request(Service s) {
        if (target(s) > 0 && s.preforkTimer == null && !s.removed) {
            s.preforkTimer = master.loop.schedule(0, () -> maintain(s));
        }
    }

    private void maintain(Service s) {
        s.preforkTimer = null;
        int want = target(s);
        if (want == 0 || s.removed || s.throttled || master.shuttingDown) {
            return;
        }
        int spare = s.entry.attributes().getInt("max_spare").orElse(0);
        long now = System.currentTimeMillis();
        if (spare > 0 && s.availProc > spare && now - s.lastSpareRecycleMillis >= RECYCLE_INTERVAL_MS) {
            s.lastSpareRecycleMillis = now;
            log.info("service {}: {} idle children above max_spare {}: recycling the pool", s.label(), s.availProc,
                    spare);
            master.restartChannel(s);
        }
        int spawned = 0;
        while (s.availProc < want && s.limitOk(s.totalProc) && !s.throttled && spawned < s.preforkRamp) {
            if (!master.availability.spawnIdle(s)) {
                break;
            }
            spawned++;
        }
        if (s.availProc < want && s.limitOk(s.totalProc) && !s.throttled) {
            s.preforkRamp = Math.min(MAX_RAMP, s.preforkRamp * 2);
            s.preforkTimer = master.loop.schedule(TICK_MS, () -> maintain(s));
        } else {
            s.preforkRamp = 1;
        }
    }
}
