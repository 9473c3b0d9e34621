package org.jmaster.supervisor;

import java.nio.charset.StandardCharsets;
import org.jmaster.nativ.Fds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captures a child's standard error ({@code -M stderr=log}) through a pipe the loop reads without
 * blocking, and logs it line by line as {@code <service>[<pid>]: <line>}. A service's children share
 * a budget of {@link #LINES_PER_SECOND} lines per second (bursts up to twice that) for everything
 * they make the master log: their stderr lines and the warnings about what they send on the status
 * channel ({@link StatusEvents}). Lines over it are dropped and counted, and the counts are logged a
 * second later, so a chatty or hostile child cannot flood the log or stall the loop. Owned by the
 * loop thread.
 */
final class ChildOutput {
    private static final Logger log = LoggerFactory.getLogger("master");
    static final int LINES_PER_SECOND = 100;
    private static final int MAX_LINE = 2048;

    /**
     * The per-service budget of lines the children cause (a token bucket), shared by stderr lines and
     * status-channel warnings; drops of each kind are counted and reported a second after the first.
     */
    static final class Budget {
        private double tokens = 2 * LINES_PER_SECOND;
        private long last = System.nanoTime();
        private long dropped;
        private long droppedStatus;
        private String service;
        private EventLoop.Timer report;

        /** A stderr line of a child of {@code service}: true when it may be logged. */
        boolean take(EventLoop loop, String service) {
            if (take()) {
                return true;
            }
            dropped++;
            scheduleReport(loop, service);
            return false;
        }

        /** A warning about the status channel of {@code service}: true when it may be logged. */
        boolean takeStatus(EventLoop loop, String service) {
            if (take()) {
                return true;
            }
            droppedStatus++;
            scheduleReport(loop, service);
            return false;
        }

        private boolean take() {
            long now = System.nanoTime();
            tokens = Math.min(2 * LINES_PER_SECOND, tokens + (now - last) / 1e9 * LINES_PER_SECOND);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }

        private void scheduleReport(EventLoop loop, String name) {
            service = name;
            if (report == null) {
                report = loop.schedule(1000, () -> {
                    if (dropped > 0) {
                        log.warn("service {}: dropped {} line(s) of child stderr (over {} lines/s)", service, dropped,
                                LINES_PER_SECOND);
                    }
                    if (droppedStatus > 0) {
                        log.warn("service {}: suppressed {} status channel warning(s) (over {} lines/s)", service,
                                droppedStatus, LINES_PER_SECOND);
                    }
                    dropped = 0;
                    droppedStatus = 0;
                    report = null;
                });
            }
        }
    }

    private final EventLoop loop;
    private final int readFd;
    private final String service;
    private final int pid;
    private final Budget budget;
    private final byte[] buf = new byte[4096];
    private final byte[] line = new byte[MAX_LINE];
    private int lineLength;

    private ChildOutput(EventLoop loop, int readFd, String service, int pid, Budget budget) {
        this.loop = loop;
        this.readFd = readFd;
        this.service = service;
        this.pid = pid;
        this.budget = budget;
    }

    /** Starts reading {@code readFd} (the master's end of the child's stderr pipe). */
    static void watch(EventLoop loop, int readFd, String service, int pid, Budget budget) {
        ChildOutput out = new ChildOutput(loop, readFd, service, pid, budget);
        loop.watchRead(readFd, (fd, rev) -> out.readable());
    }

    private void readable() {
        int n = Fds.readNonBlocking(readFd, buf, 0, buf.length);
        if (n < 0) {
            return;
        }
        if (n == 0) {
            if (lineLength > 0) {
                emit();
            }
            loop.unwatch(readFd);
            Fds.closeQuietly(readFd);
            return;
        }
        for (int i = 0; i < n; i++) {
            byte b = buf[i];
            if (b == '\n') {
                emit();
            } else {
                line[lineLength++] = b;
                if (lineLength == MAX_LINE) {
                    emit();
                }
            }
        }
    }

    private void emit() {
        int len = lineLength;
        lineLength = 0;
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        if (budget.take(loop, service)) {
            log.info("{}[{}]: {}", service, pid, new String(line, 0, len, StandardCharsets.UTF_8));
        }
    }
}
