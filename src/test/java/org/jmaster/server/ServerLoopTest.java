package org.jmaster.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jmaster.conf.MainConfig;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.PollSet;
import org.jmaster.nativ.Sockets;
import org.jmaster.nativ.TestNative;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wait all three skeletons share ({@link ServerLoop}), run in this JVM on a thread of its own
 * over real descriptors: a socketpair as the status channel (the test holds the master's end and
 * reads the frames), real unix and fifo listeners, a real accept lock, and a clock the test drives
 * for {@code max_idle}. {@link ServerLoop#run} returning is the process leaving with status 0.
 * Stop requests end the process by SIGTERM and are left to the end-to-end tests.
 */
@Timeout(120)
class ServerLoopTest {
    private static final int PID = 4242;
    private static final int GENERATION = 0123;
    /** The tests' max_idle is 1 s; the loop's poll(2) waits as long as the test clock says is left, in real time. */
    private static final long MS = 1_000_000L;

    @TempDir
    Path tmp;

    private final AtomicLong now = new AtomicLong();
    private final ExecutorService thread = Executors.newSingleThreadExecutor();
    private final List<Integer> fds = new CopyOnWriteArrayList<>();
    private final List<String> wakeups = new CopyOnWriteArrayList<>();
    private int masterEnd;
    private int listener;

    private record Frame(int pid, int generation, int status) {}

    @AfterEach
    void cleanUp() {
        thread.shutdownNow();
        fds.forEach(Fds::closeQuietly);
    }

    /**
     * Starts {@code skeleton} on a runtime as a master would leave it: the status channel, one
     * listener of {@code transport} at {@code tmp/listener}, the accept lock when {@code locked},
     * and the lifetime on the test's clock. The future completes when the process would leave.
     */
    private CompletableFuture<Void> start(String optstring, String transport, boolean locked, long maxIdle,
                                          int maxUse, Consumer<ServerRuntime> skeleton) throws Exception {
        int[] pair = Sockets.socketpair();
        fds.add(pair[0]);
        fds.add(pair[1]);
        masterEnd = pair[1];
        String path = tmp.resolve("listener").toString();
        listener = transport.equals("fifo") ? TestNative.fifoListen(path, 0622) : TestNative.unixListen(path, 16);
        fds.add(listener);
        MainConfig config = MainConfig.parse(tmp.resolve("main.cf"), "queue_directory = " + tmp + "\n", tmp, Map.of());
        ServerOptions options = ServerOptions.parse(new String[] {"-t", transport, "-n", "test"}, optstring);
        ServerContext ctx = new ServerContext("test", options, config, GENERATION);
        AcceptLock lock = locked ? AcceptLock.open(tmp.resolve("lock").toString()) : AcceptLock.none();
        ServerRuntime rt = new ServerRuntime(ctx, MasterStatus.over(pair[0], PID, GENERATION),
                new InheritedListeners(transport, new int[] {listener}), lock, new StopSignal(),
                new Lifetime(maxIdle, maxUse, 0, now::get));
        return CompletableFuture.runAsync(() -> skeleton.accept(rt), thread);
    }

    private CompletableFuture<Void> single(boolean locked, long maxIdle, int maxUse, SingleService service)
            throws Exception {
        return start(ServerOptions.SINGLE, "unix", locked, maxIdle, maxUse, r -> SingleServer.serve(r, service));
    }

    /** A trigger server whose service records each request in {@link #wakeups}. */
    private CompletableFuture<Void> trigger(String transport, boolean locked, long maxIdle, int maxUse)
            throws Exception {
        TriggerService record = (request, ctx) -> wakeups.add(new String(request, StandardCharsets.US_ASCII));
        return start(ServerOptions.TRIGGER, transport, locked, maxIdle, maxUse, r -> TriggerServer.serve(r, record));
    }

    private CompletableFuture<Void> multi(boolean locked, long maxIdle, int maxUse, MultiService service)
            throws Exception {
        return start(ServerOptions.MULTI, "unix", locked, maxIdle, maxUse, r -> MultiServer.serve(r, service));
    }

    /**
     * Lets the test clock run (the loop may restart its idle timer a moment after the test saw
     * the last AVAIL, so one jump could land before it) until the process has left.
     */
    private void leavesOnceIdle(CompletableFuture<Void> process) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            now.addAndGet(100 * MS);
            return process.isDone();
        });
        process.join();
    }


    /** The next status frame the process sent. */
    private Frame frame() throws Exception {
        assertThat(PollSet.waitReadable(masterEnd, 30_000)).as("a status frame").isTrue();
        byte[] b = new byte[12];
        int got = 0;
        while (got < b.length) {
            int n = Fds.read(masterEnd, b, got, b.length - got);
            assertThat(n).as("the status channel is open").isPositive();
            got += n;
        }
        ByteBuffer v = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
        return new Frame(v.getInt(0), v.getInt(4), v.getInt(8));
    }

    private void requestServed() throws Exception {
        assertThat(frame()).isEqualTo(new Frame(PID, GENERATION, MasterStatus.TAKEN));
        assertThat(frame()).isEqualTo(new Frame(PID, GENERATION, MasterStatus.AVAIL));
    }

    /** Sends {@code text} to the echoing multi-server and sees it come back: one request. */
    private void echoes(SocketChannel c, String text) throws Exception {
        send(c, text);
        assertThat(receive(c, text.length())).isEqualTo(text);
        requestServed();
    }

    private SocketChannel connect() throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(tmp.resolve("listener")));
        return c;
    }

    private static void send(SocketChannel c, String text) throws IOException {
        c.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
    }

    /** What arrives until {@code length} bytes or the end. */
    private static String receive(SocketChannel c, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining() && c.read(b) >= 0) {
            // more
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
    }

    private static boolean atEnd(SocketChannel c) throws IOException {
        return c.read(ByteBuffer.allocate(1)) < 0;
    }

    /** A single service that answers one line with it, upper-cased. */
    private static final SingleService SHOUT = (client, ctx) -> {
        Client.Line line = client.readLine(100, 30_000);
        client.write(line.text().toUpperCase() + "\n");
    };

    /** A multi service that echoes every burst. */
    private static final MultiService ECHO = (client, ctx) -> {
        byte[] buf = new byte[100];
        return () -> {
            int n = client.readAvailable(buf, 0, buf.length);
            if (n > 0) {
                client.write(buf, 0, n);
            }
            return n >= 0;
        };
    };

    @Test
    void aSingleServerTakesTheLockReportsTakenAndAvailPerClientAndLeavesAfterMaxUse() throws Exception {
        CompletableFuture<Void> process = single(true, 100, 2, SHOUT);
        for (String name : new String[] {"ada", "bob"}) {
            try (SocketChannel c = connect()) {
                send(c, name + "\n");
                assertThat(receive(c, 10)).isEqualTo(name.toUpperCase() + "\n");
                assertThat(atEnd(c)).as("closed after serve").isTrue();
            }
            requestServed();
        }
        process.get();
        assertThat(PollSet.waitReadable(masterEnd, 0)).as("no frame after the last AVAIL").isFalse();
        assertThat(tmp.resolve("lock")).exists();
    }

    @Test
    void aSingleServerLeavesAfterMaxIdleWithoutWork() throws Exception {
        CompletableFuture<Void> process = single(true, 1, 100, SHOUT);
        try (SocketChannel c = connect()) {
            now.addAndGet(900 * MS);
            send(c, "x\n");
            assertThat(receive(c, 2)).isEqualTo("X\n");
        }
        requestServed();
        now.addAndGet(900 * MS);
        try (SocketChannel c = connect()) {
            send(c, "y\n");
            assertThat(receive(c, 2)).as("the request restarted the idle timer").isEqualTo("Y\n");
        }
        requestServed();
        assertThat(process).isNotDone();
        leavesOnceIdle(process);
    }

    @Test
    void aSingleServerLeavesWhenTheMasterClosesTheStatusChannel() throws Exception {
        CompletableFuture<Void> process = single(false, 100, 100, SHOUT);
        TestNative.close(masterEnd);
        fds.remove((Integer) masterEnd);
        process.get();
    }

    @Test
    void aSingleServerLeavesWhenItsAvailFindsTheMasterGone() throws Exception {
        SingleService closesTheMaster = (client, ctx) -> {
            TestNative.close(masterEnd);
            client.write("bye\n");
        };
        CompletableFuture<Void> process = single(false, 100, 100, closesTheMaster);
        try (SocketChannel c = connect()) {
            assertThat(receive(c, 4)).as("the client is served before the process leaves").isEqualTo("bye\n");
        }
        fds.remove((Integer) masterEnd);
        process.get();
    }

    @Test
    void aTriggerServerReadsTheFifoAndLeavesAfterMaxUse() throws Exception {
        CompletableFuture<Void> process = trigger("fifo", true, 100, 2);
        int w = Fds.open(tmp.resolve("listener").toString(), Fds.O_WRONLY | Fds.O_NONBLOCK, 0);
        fds.add(w);
        for (String request : new String[] {"W", "WW"}) {
            Fds.write(w, request.getBytes(StandardCharsets.US_ASCII), 0, request.length());
            requestServed();
        }
        process.get();
        assertThat(wakeups).containsExactly("W", "WW");
    }

    @Test
    void aTriggerServerReadsOneRequestPerConnectionAndLeavesAfterMaxIdle() throws Exception {
        CompletableFuture<Void> process = trigger("unix", true, 1, 100);
        try (SocketChannel c = connect()) {
            send(c, "W\0");
            assertThat(atEnd(c)).as("closed once read").isTrue();
        }
        requestServed();
        assertThat(wakeups).containsExactly("W\0");
        leavesOnceIdle(process);
    }

    @Test
    void aMultiServerReportsEachRequestAndItsIdleTimerRunsOnlyWithoutClients() throws Exception {
        CompletableFuture<Void> process = multi(true, 1, 100, ECHO);
        try (SocketChannel a = connect(); SocketChannel b = connect()) {
            echoes(a, "one");
            now.addAndGet(60_000 * MS);
            // the loop has been round at least once since the clock passed max_idle: still here
            echoes(b, "two");
            echoes(b, "three");
            assertThat(process).isNotDone();
        }
        // the two ends of file are requests too; the last one starts the idle timer
        requestServed();
        requestServed();
        leavesOnceIdle(process);
    }

    @Test
    void aMultiServerCountsConnectionsAndLeavesWhenItsLastClientCloses() throws Exception {
        CompletableFuture<Void> process = multi(false, 100, 2, ECHO);
        try (SocketChannel a = connect(); SocketChannel b = connect()) {
            echoes(a, "a");
            echoes(b, "b");
            try (SocketChannel c = connect()) {
                send(c, "c");
                a.close();
                requestServed();
                echoes(b, "b"); // the second connection is still served
                assertThat(process).isNotDone();
                b.close();
                requestServed();
                process.get();
                int third = Sockets.accept(listener);
                fds.add(third);
                assertThat(third).as("the third connection is still waiting at the listener").isNotNegative();
                assertThat(PollSet.waitReadable(masterEnd, 0)).as("no frame for it").isFalse();
            }
        }
    }

    @Test
    void aMultiServerClosesItsClientsWhenTheMasterGoes() throws Exception {
        CompletableFuture<Void> process = multi(false, 100, 100, ECHO);
        try (SocketChannel a = connect()) {
            echoes(a, "a");
            TestNative.close(masterEnd);
            fds.remove((Integer) masterEnd);
            process.get();
            assertThat(atEnd(a)).as("closed by the process").isTrue();
        }
    }
}
