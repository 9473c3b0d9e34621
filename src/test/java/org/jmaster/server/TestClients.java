package org.jmaster.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.core.ConditionTimeoutException;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Sockets;
import org.jmaster.nativ.TestNative;

/**
 * A {@link Client} on one end of a real socketpair (non-blocking, as an accepted connection is)
 * and the test as its peer on the other (blocking): for tests of a client or of a service's
 * session, here and in other packages.
 */
public final class TestClients implements AutoCloseable {
    /** The service's side of the connection. */
    public final Client client;
    /** The client's descriptor. */
    public final int clientFd;
    /** The peer's descriptor, the test's end. */
    public final int peerFd;
    private boolean peerClosed;

    private TestClients(int stopFd) {
        int[] pair = Sockets.socketpair();
        Fds.setNonBlocking(pair[0], true);
        clientFd = pair[0];
        peerFd = pair[1];
        client = new Client(clientFd, clientFd, stopFd, null);
    }

    /** A connected pair; the client has no stop pipe. */
    public static TestClients socketpair() {
        return new TestClients(-1);
    }

    /** A connected pair whose client also watches {@code stopFd} (a stop request once readable). */
    public static TestClients socketpair(int stopFd) {
        return new TestClients(stopFd);
    }

    /** Writes {@code text} (ISO-8859-1) as the peer; all of it must fit in the socket's buffer. */
    public void send(String text) throws NativeException {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        assertThat(Fds.write(peerFd, b, 0, b.length)).isEqualTo(b.length);
    }

    /**
     * Sends {@code text} from another thread once the calling thread waits for input in poll(2)
     * (as {@code /proc} shows it), so that the client sees it arrive after it began to wait, not
     * already buffered. Where {@code /proc} does not tell, it is sent after 10 s all the same.
     * Join the returned thread.
     */
    public Thread sendOnceWaiting(String text) {
        int reader = TestNative.gettid();
        Thread t = new Thread(() -> {
            try {
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                        .until(() -> waitsInPoll(reader));
            } catch (ConditionTimeoutException e) {
                // the kernel hides where threads wait: the text still arrives, perhaps earlier
            }
            try {
                send(text);
            } catch (NativeException e) {
                throw new IllegalStateException(e);
            }
        }, "peer");
        t.start();
        return t;
    }

    private static boolean waitsInPoll(int tid) throws IOException {
        return Files.readString(Path.of("/proc/self/task/" + tid + "/wchan")).contains("poll");
    }

    /** What one read at the peer returns (it waits for something to arrive; empty at the end). */
    public String received() throws NativeException {
        byte[] b = new byte[65536];
        int n = Fds.read(peerFd, b, 0, b.length);
        return new String(b, 0, Math.max(n, 0), StandardCharsets.ISO_8859_1);
    }

    /** All the peer reads until the client's end of the connection closes. */
    public String receivedToEnd() throws NativeException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = new byte[4096];
        for (int n; (n = Fds.read(peerFd, b, 0, b.length)) > 0; ) {
            out.write(b, 0, n);
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    /** The peer leaves: the client sees the end of its input. */
    public synchronized void closePeer() {
        if (!peerClosed) {
            peerClosed = true;
            Fds.closeQuietly(peerFd);
        }
    }

    @Override
    public void close() {
        client.close();
        closePeer();
    }
}
