package org.jmaster.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Clients of the chaos child ({@code src/bench/c/cchild.c}), counted by outcome. A session is: connect,
 * read the greeting {@code hi PID}, send {@code ping}, read it back, close; every step within the
 * given time-out. The Java twin of {@code bload loop} for the end-to-end tests.
 */
final class SessionLoad implements AutoCloseable {
    final AtomicLong ok = new AtomicLong();
    final AtomicLong timedOut = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong broken = new AtomicLong();
    /** The first few failures, for assertion messages. */
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final int port;
    private final int timeoutMillis;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();

    private SessionLoad(int port, int timeoutMillis) {
        this.port = port;
        this.timeoutMillis = timeoutMillis;
    }

    /** {@code clients} threads making sessions one after another until {@link #close()}. */
    static SessionLoad loop(int port, int clients) {
        SessionLoad load = new SessionLoad(port, 5000);
        for (int i = 0; i < clients; i++) {
            load.startThread(() -> {
                while (load.running.get()) {
                    load.session();
                }
            });
        }
        return load;
    }

    /** {@code total} sessions from {@code clients} threads; returns when all are done. */
    static SessionLoad run(int port, int clients, int total) throws InterruptedException {
        SessionLoad load = new SessionLoad(port, 5000);
        AtomicLong left = new AtomicLong(total);
        for (int i = 0; i < clients; i++) {
            load.startThread(() -> {
                while (left.getAndDecrement() > 0) {
                    load.session();
                }
            });
        }
        load.join();
        return load;
    }

    /** {@code clients} sessions started at once, each allowed {@code timeoutMillis} per step. */
    static SessionLoad flood(int port, int clients, int timeoutMillis) throws InterruptedException {
        SessionLoad load = new SessionLoad(port, timeoutMillis);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        for (int i = 0; i < clients; i++) {
            load.startThread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                load.session();
            });
        }
        go.countDown();
        load.join();
        return load;
    }

    long failed() {
        return timedOut.get() + refused.get() + broken.get();
    }

    String summary() {
        return "ok " + ok + ", timed out " + timedOut + ", refused " + refused + ", reset/broken " + broken
                + (failures.isEmpty() ? "" : "; first failures: " + failures);
    }

    private void startThread(Runnable body) {
        Thread t = new Thread(body, "session-load-" + threads.size());
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private void join() throws InterruptedException {
        for (Thread t : threads) {
            t.join();
        }
    }

    private void session() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            String greeting = in.readLine();
            if (greeting == null || !greeting.startsWith("hi ")) {
                fail(broken, "greeting " + greeting);
                return;
            }
            s.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
            String echo = in.readLine();
            if (!"ping".equals(echo)) {
                fail(broken, "echo " + echo);
                return;
            }
            ok.incrementAndGet();
        } catch (SocketTimeoutException e) {
            fail(timedOut, e.toString());
        } catch (ConnectException e) {
            fail(refused, e.toString());
        } catch (IOException e) {
            fail(broken, e.toString());
        }
    }

    private void fail(AtomicLong counter, String what) {
        counter.incrementAndGet();
        if (failures.size() < 5) {
            failures.add(what);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        join();
    }
}
