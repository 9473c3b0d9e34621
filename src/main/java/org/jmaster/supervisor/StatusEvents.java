package org.jmaster.supervisor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the status frames children send on fd 5 (Postfix's {@code master_status_event}) and turns
 * them into availability changes. Every oddity of protocol doc §3.2 is logged and survived:
 * partial frames, unknown pids, stale generations, duplicates and unknown values. What a child
 * sends is not trusted: the warnings about it draw from the service's child log budget
 * ({@link ChildOutput.Budget}, shared with the children's stderr; the channel is shared by all
 * children of a service, and the pid in a frame is only a claim), and a readable channel is read
 * once, for at most {@link StatusChannel#BATCH} frames, per turn of the loop, so a child that floods
 * the channel can neither flood the log nor keep the loop from serving anything else.
 */
final class StatusEvents {
    private static final Logger log = LoggerFactory.getLogger("master");
    private final Supervisor master;

    StatusEvents(Supervisor master) {
        this.master = master;
    }

    void watch(Service s, StatusChannel ch) {
        // one read per turn of the loop: the loop polls again, and other descriptors get their turn
        master.loop.watchRead(ch.masterFd, (fd, rev) -> readBatch(s, ch));
    }

    /** Handles everything already waiting on {@code ch}, e.g. before a child's exit is processed. */
    void drain(Service s, StatusChannel ch) {
        while (!ch.isClosed() && readBatch(s, ch)) {
            // keep going while frames arrive
        }
    }

    /** True when a warning about what {@code s}'s children sent may be logged (within the budget). */
    private boolean budget(Service s) {
        return s.stderrBudget.takeStatus(master.loop, s.entry.extName());
    }

    /** Reads once and handles every frame that came; false when nothing was there. */
    private boolean readBatch(Service s, StatusChannel ch) {
        int n;
        try {
            n = ch.read();
        } catch (RuntimeException e) {
            log.warn("master_status_event: read: {}", e.getMessage());
            return false;
        }
        if (n < 0) {
            return false;
        }
        if (n == 0) {
            // impossible while the master holds the child end; never spin on it
            log.warn("service {}: master_status_event: read EOF status", s.label());
            master.loop.unwatch(ch.masterFd);
            return false;
        }
        int frames = ch.frames();
        // a frame may close the channel (a stress restart): the rest of the batch goes with it, as
        // Postfix's would, unread
        for (int i = 0; i < frames && !ch.isClosed(); i++) {
            handle(s, ch, i);
        }
        int tail = ch.tail();
        if (tail > 0 && !ch.isClosed()) {
            s.statusFrames++;
            if (budget(s)) {
                log.warn("service {}: child (pid {}) sent partial status update ({} bytes)", s.label(),
                        ch.pid(frames), tail);
            }
        }
        return true;
    }

    /** Handles frame {@code i} of the last read. */
    private void handle(Service s, StatusChannel ch, int i) {
        s.statusFrames++;
        int pid = ch.pid(i);
        Child c = master.children.get(pid);
        if (c == null) {
            if (log.isDebugEnabled() && budget(s)) {
                log.debug("master_status_event: status from unknown pid {}", pid);
            }
            return;
        }
        long gen = ch.generation(i);
        if (c.generation != gen) {
            if (budget(s)) {
                log.info("ignoring status update from child pid {} generation {}", pid, gen);
            }
            return;
        }
        if (c.service != s) {
            if (budget(s)) {
                log.warn("service {}: status frame from pid {} of service {}: ignored", s.label(), pid,
                        c.service.label());
            }
            return;
        }
        int avail = ch.avail(i);
        switch (avail) {
            case StatusChannel.STAT_AVAIL:
                if (s.becameIdle(c)) {
                    master.throttler.completed(s);
                    master.availability.listen(s);
                }
                break;
            case StatusChannel.STAT_TAKEN: {
                boolean wasIdle = c.avail;
                if (s.tookRequest(c)) {
                    master.throttler.proven(s);
                }
                if (wasIdle) {
                    master.availability.listen(s);
                }
                break;
            }
            default:
                // Postfix's text, with its arguments swapped back into the order the words promise
                if (budget(s)) {
                    log.warn("master_status_event: ignoring unknown status: {} allegedly from pid: {}", avail, pid);
                }
        }
    }
}
