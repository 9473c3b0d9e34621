package org.jmaster.supervisor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the status frames children send on fd 5 (Postfix's {@code master_status_event}) and turns
 * them into availability changes. Every oddity of protocol doc §3.2 is logged and survived:
 * partial frames, unknown pids, stale generations, duplicates and unknown values.
 */
final class StatusEvents {
    private static final Logger log = LoggerFactory.getLogger("master");
    private final Supervisor master;

    StatusEvents(Supervisor master) {
        this.master = master;
    }

    void watch(Service s, StatusChannel ch) {
        master.loop.watchRead(ch.masterFd, (fd, rev) -> readOne(s, ch));
    }

    /** Handles everything already waiting on {@code ch}, e.g. before a child's exit is processed. */
    void drain(Service s, StatusChannel ch) {
        while (!ch.isClosed() && readOne(s, ch)) {
            // keep going while frames arrive
        }
    }

    /** Reads and handles one frame; false when nothing was there. */
    private boolean readOne(Service s, StatusChannel ch) {
        StatusChannel.Frame f;
        try {
            f = ch.read();
        } catch (RuntimeException e) {
            log.warn("master_status_event: read: {}", e.getMessage());
            return false;
        }
        if (f == null) {
            return false;
        }
        if (f.length() == 0) {
            // impossible while the master holds the child end; never spin on it
            log.warn("service {}: master_status_event: read EOF status", s.label());
            master.loop.unwatch(ch.masterFd);
            return false;
        }
        s.statusFrames++;
        if (f.length() < StatusChannel.FRAME) {
            log.warn("service {}: child (pid {}) sent partial status update ({} bytes)", s.label(), f.pid(), f.length());
            return true;
        }
        Child c = master.children.get(f.pid());
        if (c == null) {
            log.debug("master_status_event: status from unknown pid {}", f.pid());
            return true;
        }
        if (c.generation != f.gen()) {
            log.info("ignoring status update from child pid {} generation {}", f.pid(), f.gen());
            return true;
        }
        if (c.service != s) {
            log.warn("service {}: status frame from pid {} of service {}: ignored", s.label(), f.pid(),
                    c.service.label());
            return true;
        }
        switch (f.avail()) {
            case StatusChannel.STAT_AVAIL:
                if (!c.avail) {
                    c.useCount++;
                    master.throttler.probeSucceeded(s);
                    master.availability.more(s, c);
                }
                break;
            case StatusChannel.STAT_TAKEN:
                if (c.avail) {
                    c.everTaken = true;
                    master.availability.less(s, c);
                }
                break;
            default:
                // Postfix's text, with its arguments swapped back into the order the words promise
                log.warn("master_status_event: ignoring unknown status: {} allegedly from pid: {}", f.avail(), f.pid());
        }
        return true;
    }
}
