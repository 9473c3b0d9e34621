package org.jmaster.supervisor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.jmaster.nativ.PollSet;

/**
 * The master's one event loop: readiness of raw descriptors (listeners, status channels, pidfds,
 * the signal self-pipe, wakeup connections) and one-shot timers. Everything it calls runs on the
 * thread that called {@link #run()}; no other thread may touch the loop or what its handlers own.
 * When no descriptor is ready and no timer is due, the thread sleeps in {@code poll(2)} without a
 * timeout: an idle master does not wake up.
 */
public final class EventLoop {
    /** Called when a watched descriptor is ready; {@code revents} are poll(2) bits. */
    @FunctionalInterface
    public interface Handler {
        void ready(int fd, int revents);
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

        public boolean isPending() {
            return !cancelled;
        }

        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(deadline, o.deadline);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private record Watch(int fd, short events, Handler handler) {}

    private final Map<Integer, Watch> watches = new HashMap<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final PollSet pollSet = new PollSet();
    private final List<Runnable> afterEachRound = new ArrayList<>();
    private Watch[] order = new Watch[0];
    private boolean dirty = true;
    private boolean running;
    private long timerSeq;
    private long wakeups;

    /** Watches {@code fd} for input (or hang-up); replaces an earlier watch of the same descriptor. */
    public void watchRead(int fd, Handler handler) {
        watch(fd, PollSet.POLLIN, handler);
    }

    /** Watches {@code fd} until it is writable (a connect in progress). */
    public void watchWrite(int fd, Handler handler) {
        watch(fd, PollSet.POLLOUT, handler);
    }

    private void watch(int fd, short events, Handler handler) {
        watches.put(fd, new Watch(fd, events, handler));
        // also when only the handler changed: the poll order holds the watch objects themselves
        dirty = true;
    }

    public void unwatch(int fd) {
        if (watches.remove(fd) != null) {
            dirty = true;
        }
    }

    public boolean isWatched(int fd) {
        return watches.containsKey(fd);
    }

    /** Runs {@code action} once after {@code delayMillis}. */
    public Timer schedule(long delayMillis, Runnable action) {
        Timer t = new Timer(System.nanoTime() + Math.max(0, delayMillis) * 1_000_000L, timerSeq++, action);
        timers.add(t);
        return t;
    }

    /** Registers work that runs after every round of handlers (e.g. deferred decisions). */
    public void afterEachRound(Runnable r) {
        afterEachRound.add(r);
    }

    /** How many times poll(2) has returned; for tests and metrics of idle behaviour. */
    public long wakeups() {
        return wakeups;
    }

    public void stop() {
        running = false;
    }

    /** Runs until {@link #stop()} is called from a handler. */
    public void run() {
        running = true;
        while (running) {
            runOnce(pollTimeout());
        }
    }

    /** One poll round: waits at most {@code timeoutMillis} (-1 forever), then runs due handlers and timers. */
    public void runOnce(int timeoutMillis) {
        if (dirty) {
            order = watches.values().toArray(new Watch[0]);
            pollSet.reset(order.length);
            for (int i = 0; i < order.length; i++) {
                pollSet.set(i, order[i].fd, order[i].events);
            }
            dirty = false;
        }
        int n = pollSet.poll(order.length, timeoutMillis);
        wakeups++;
        if (n > 0) {
            Watch[] round = order;
            for (int i = 0; i < round.length; i++) {
                short rev = pollSet.revents(i);
                if (rev == 0) {
                    continue;
                }
                Watch w = round[i];
                // a handler earlier in this round may have removed or replaced this watch
                if (watches.get(w.fd) == w) {
                    w.handler.ready(w.fd, rev);
                }
            }
        }
        runDueTimers();
        for (Runnable r : afterEachRound) {
            r.run();
        }
    }

    private void runDueTimers() {
        long now = System.nanoTime();
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
            t.action.run();
        }
    }

    private int pollTimeout() {
        while (!timers.isEmpty() && timers.peek().cancelled) {
            timers.poll();
        }
        if (timers.isEmpty()) {
            return -1;
        }
        long ms = (timers.peek().deadline - System.nanoTime() + 999_999L) / 1_000_000L;
        return (int) Math.max(0, Math.min(ms, Integer.MAX_VALUE));
    }
}
