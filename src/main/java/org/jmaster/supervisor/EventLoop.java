package org.jmaster.supervisor;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import org.jmaster.nativ.PollSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's one event loop: readiness of raw descriptors (listeners, status channels, pidfds,
 * the signal self-pipe, wakeup connections) and one-shot timers. Everything it calls runs on the
 * thread that called {@link #run()}; no other thread may touch the loop or what its handlers own.
 * When no descriptor is ready and no timer is due, the thread sleeps in {@code poll(2)} without a
 * timeout: an idle master does not wake up.
 *
 * <p>The {@code pollfd} array is kept between rounds, one entry per watched descriptor: a watch, an
 * unwatch or a pause changes one entry (an unwatch moves the last entry into the freed one), so a
 * spawn or a reap with thousands of live children costs the same as with none.
 *
 * <p>Time comes from the loop's {@link Clock}, so that tests can drive timers and the policy with a
 * fake one; the supervisor reads the time through {@link #nanoTime} and {@link #currentTimeMillis}.
 *
 * <p>Nothing a handler or a timer throws ends the loop: each call is a
 * containment boundary. What was thrown is logged as a warning (one line per second at most, see
 * {@link LogLimit}) and, for a descriptor's handler, that descriptor is {@link #pause paused} for
 * {@link #FAILED_HANDLER_PAUSE_MS}, so a handler that keeps failing on a level-triggered descriptor
 * cannot spin. Only errors that mean the JVM itself is broken ({@link Failure#containable}) leave
 * {@link #run()}.
 */
public final class EventLoop {
    private static final Logger log = LoggerFactory.getLogger("master");
    /** How long a descriptor whose handler threw is left unpolled. */
    static final long FAILED_HANDLER_PAUSE_MS = 1000;
    /** Called when a watched descriptor is ready; {@code revents} are poll(2) bits. */
    @FunctionalInterface
    public interface Handler {
        void ready(int fd, int revents);
    }

    /** Where the loop and everything on it read the time. */
    public interface Clock {
        /** A monotonic clock, as {@link System#nanoTime}. */
        long nanoTime();

        /** The wall clock, as {@link System#currentTimeMillis}. */
        long currentTimeMillis();

        Clock SYSTEM = new Clock() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public long currentTimeMillis() {
                return System.currentTimeMillis();
            }
        };
    }

    /** A pending timer; {@link #cancel()} is idempotent. */
    public static final class Timer implements Comparable<Timer> {
        private final long deadline;
        private final long seq;
        private final Runnable action;
        private boolean cancelled;

        private Timer(long deadline, long seq, Runnable action) {
            this.deadline = deadline;
            this.seq = seq;
            this.action = action;
        }

        public void cancel() {
            cancelled = true;
        }

        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(deadline, o.deadline);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** One watched descriptor and its entry ({@code slot}) in the poll set. */
    private static final class Watch {
        final int fd;
        final short events;
        final Handler handler;
        int slot;

        Watch(int fd, short events, Handler handler, int slot) {
            this.fd = fd;
            this.events = events;
            this.handler = handler;
            this.slot = slot;
        }
    }

    /** The watch of each descriptor, indexed by descriptor number; grows on demand. */
    private Watch[] byFd = new Watch[64];
    /** The watch of each poll set entry, indexed like the poll set. */
    private Watch[] bySlot = new Watch[64];
    /** Watched descriptors left out of poll(2) until their timer fires (see {@link #pause}). */
    private final Map<Integer, Timer> paused = new HashMap<>();
    private final LogLimit failures = new LogLimit(this, 1000,
            n -> log.warn("{} more event handler failure(s) in the last second", n));
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final PollSet pollSet = new PollSet(64);
    private final Clock clock;
    private boolean running;
    private long timerSeq;

    public EventLoop() {
        this(Clock.SYSTEM);
    }

    public EventLoop(Clock clock) {
        this.clock = clock;
    }

    public long nanoTime() {
        return clock.nanoTime();
    }

    public long currentTimeMillis() {
        return clock.currentTimeMillis();
    }

    /** Watches {@code fd} for input (or hang-up); replaces an earlier watch of the same descriptor. */
    public void watchRead(int fd, Handler handler) {
        watch(fd, PollSet.POLLIN, handler);
    }

    /** Watches {@code fd} until it is writable (a connect in progress). */
    public void watchWrite(int fd, Handler handler) {
        watch(fd, PollSet.POLLOUT, handler);
    }

    private void watch(int fd, short events, Handler handler) {
        if (fd < 0) {
            throw new IllegalArgumentException("watch of descriptor " + fd);
        }
        Watch old = watchOf(fd);
        if (old != null) {
            // a new handler: this round's readiness was the old one's (set clears revents)
            Watch w = new Watch(fd, events, handler, old.slot);
            bySlot[w.slot] = w;
            byFd[fd] = w;
            pollSet.set(w.slot, isPaused(fd) ? -1 : fd, events);
            return;
        }
        int slot = pollSet.add(fd, events);
        Watch w = new Watch(fd, events, handler, slot);
        if (slot >= bySlot.length) {
            bySlot = Arrays.copyOf(bySlot, Math.max(slot + 1, bySlot.length * 2));
        }
        bySlot[slot] = w;
        if (fd >= byFd.length) {
            byFd = Arrays.copyOf(byFd, Math.max(fd + 1, byFd.length * 2));
        }
        byFd[fd] = w;
    }

    private Watch watchOf(int fd) {
        return fd >= 0 && fd < byFd.length ? byFd[fd] : null;
    }

    /** Stops watching {@code fd}, and ends a pause of it: a later watch of the same number is a new one. */
    public void unwatch(int fd) {
        Watch w = watchOf(fd);
        if (w != null) {
            byFd[fd] = null;
            int moved = pollSet.removeSwap(w.slot);
            if (moved >= 0) {
                Watch m = bySlot[moved];
                m.slot = w.slot;
                bySlot[w.slot] = m;
                bySlot[moved] = null;
            } else {
                bySlot[w.slot] = null;
            }
        }
        if (!paused.isEmpty()) {
            Timer t = paused.remove(fd);
            if (t != null) {
                t.cancel();
            }
        }
    }

    public boolean isWatched(int fd) {
        return watchOf(fd) != null;
    }

    /**
     * Leaves the watched descriptor {@code fd} out of poll(2) for {@code delayMillis} (a listener
     * whose accept found the descriptor table full, a handler that threw). Its watch stays, and so
     * does a watch set again meanwhile: polling resumes when the pause ends, unless {@link #unwatch}
     * came first. Pausing a paused or unwatched descriptor does nothing.
     */
    public void pause(int fd, long delayMillis) {
        Watch w = watchOf(fd);
        if (w == null || paused.containsKey(fd)) {
            return;
        }
        Timer[] self = new Timer[1];
        self[0] = schedule(delayMillis, () -> {
            if (paused.get(fd) == self[0]) {
                paused.remove(fd);
                Watch now = watchOf(fd);
                if (now != null) {
                    pollSet.set(now.slot, fd, now.events);
                }
            }
        });
        paused.put(fd, self[0]);
        // poll(2) skips a negative descriptor
        pollSet.set(w.slot, -1, w.events);
    }

    public boolean isPaused(int fd) {
        return !paused.isEmpty() && paused.containsKey(fd);
    }

    /** Runs {@code action} once after {@code delayMillis}. */
    public Timer schedule(long delayMillis, Runnable action) {
        Timer t = new Timer(clock.nanoTime() + Math.max(0, delayMillis) * 1_000_000L, timerSeq++, action);
        timers.add(t);
        return t;
    }

    public void stop() {
        running = false;
    }

    /**
     * Runs until {@link #stop()} is called from a handler. Throws only what
     * {@link Failure#containable} refuses (the JVM is broken).
     */
    public void run() {
        running = true;
        while (running) {
            try {
                runOnce(pollTimeout());
            } catch (Throwable t) {
                // outside any handler: poll(2) itself or the loop's own bookkeeping (e.g. out of memory);
                // a short rest, so that a failure that repeats cannot spin
                contained(t, "event loop");
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** One poll round: waits at most {@code timeoutMillis} (-1 forever), then runs due handlers and timers. */
    public void runOnce(int timeoutMillis) {
        int n = pollSet.poll(pollSet.size(), timeoutMillis);
        // handlers may watch (a new entry at the end, revents 0), replace (revents cleared) or unwatch
        // (the last entry moves into the freed one with its revents, and is looked at there)
        for (int i = 0; n > 0 && i < pollSet.size(); i++) {
            short rev = pollSet.revents(i);
            if (rev == 0) {
                continue;
            }
            pollSet.clearRevents(i);
            n--;
            Watch w = bySlot[i];
            try {
                w.handler.ready(w.fd, rev);
            } catch (Throwable t) {
                contained(t, "event handler for descriptor " + w.fd);
                pause(w.fd, FAILED_HANDLER_PAUSE_MS);
            }
            if (bySlot[i] != w) {
                // this entry was unwatched: another one may have moved into it
                i--;
            }
        }
        runDueTimers();
    }

    /**
     * Logs what a boundary caught, at most once a second (the rest are counted), or rethrows it when
     * the JVM is broken. Logging may itself run out of memory: then the line is lost, not the master.
     */
    private void contained(Throwable t, String where) {
        Failure.rethrowIfFatal(t);
        try {
            if (failures.allow()) {
                log.warn("{} failed: {}", where, Failure.describe(t));
            }
            log.debug("{} failed", where, t);
        } catch (Throwable again) {
            Failure.rethrowIfFatal(again);
        }
    }

    private void runDueTimers() {
        long now = clock.nanoTime();
        while (!timers.isEmpty()) {
            Timer t = timers.peek();
            if (t.cancelled) {
                timers.poll();
                continue;
            }
            if (t.deadline - now > 0) {
                break;
            }
            timers.poll();
            t.cancelled = true;
            try {
                t.action.run();
            } catch (Throwable e) {
                contained(e, "timer");
            }
        }
    }

    private int pollTimeout() {
        while (!timers.isEmpty() && timers.peek().cancelled) {
            timers.poll();
        }
        if (timers.isEmpty()) {
            return -1;
        }
        long ms = (timers.peek().deadline - clock.nanoTime() + 999_999L) / 1_000_000L;
        return (int) Math.max(0, Math.min(ms, Integer.MAX_VALUE));
    }
}
