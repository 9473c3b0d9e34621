package org.jmaster.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.jmaster.nativ.Fds;
import org.jmaster.nativ.PollSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client connection over a real socketpair: line pieces, terminators, timeouts, stop, pipelining. */
class ClientTest {
    int[] stop;
    TestClients pair;
    Client client;

    @BeforeEach
    void connect() {
        stop = Fds.pipe(true);
        pair = TestClients.socketpair(stop[0]);
        client = pair.client;
    }

    @AfterEach
    void close() {
        pair.close();
        Fds.closeQuietly(stop[0]);
        Fds.closeQuietly(stop[1]);
    }


    private static String text(Client.Line l) {
        return l == null ? null : l.text() + (l.complete() ? "" : "…");
    }

    @Test
    void linesEndInCrlfOrLfAndKeepOtherControlCharacters() throws Exception {
        pair.send("one\r\ntwo\nthree\rstill three\r\n\r\n");
        assertThat(text(client.readLine(100, 1000))).isEqualTo("one");
        assertThat(text(client.readLine(100, 1000))).isEqualTo("two");
        assertThat(text(client.readLine(100, 1000))).isEqualTo("three\rstill three");
        assertThat(text(client.readLine(100, 1000))).isEqualTo("");
    }

    @Test
    void longLinesComeInPiecesAndALineOfExactlyTheLimitIsWhole() throws Exception {
        pair.send("abcdefghij\r\n0123456789ABC\r\nxyz");
        assertThat(text(client.readLine(10, 1000))).isEqualTo("abcdefghij");
        assertThat(text(client.readLine(10, 1000))).isEqualTo("0123456789…");
        assertThat(text(client.readLine(10, 1000))).isEqualTo("ABC");
        // the terminator of a line at the limit may arrive later, even split between CR and LF
        pair.send("\r\n0123456789\r");
        assertThat(text(client.readLine(10, 1000))).isEqualTo("xyz");
        Thread later = pair.sendOnceWaiting("\nnext\n");
        assertThat(text(client.readLine(10, 5000))).isEqualTo("0123456789");
        assertThat(text(client.readLine(10, 5000))).isEqualTo("next");
        later.join();
    }

    @Test
    void endOfInputDropsAnUnterminatedLine() throws Exception {
        pair.send("complete\npartial");
        pair.closePeer();
        assertThat(text(client.readLine(100, 1000))).isEqualTo("complete");
        assertThat(client.readLine(100, 1000)).isNull();
        assertThat(client.readLine(100, 1000)).isNull();
    }

    @Test
    void aSilentPeerTimesOut() {
        assertThatThrownBy(() -> client.readLine(100, 100)).isInstanceOf(ClientTimeoutException.class)
                .hasMessage("timeout after 0s waiting for unknown");
    }

    @Test
    void aStopRequestEndsTheWaitButNotBufferedWork() throws Exception {
        pair.send("buffered\n");
        Fds.write(stop[1], new byte[] {1}, 0, 1);
        assertThat(text(client.readLine(100, 1000))).isEqualTo("buffered");
        assertThatThrownBy(() -> client.readLine(100, 10_000)).isInstanceOf(StopRequestedException.class);
    }

    @Test
    void outputWaitsUntilTheClientHasNothingMoreQueued() throws Exception {
        pair.send("A\nB\n");
        assertThat(text(client.readLine(100, 1000))).isEqualTo("A");
        client.write("reply A\r\n");
        assertThat(text(client.readLine(100, 1000))).isEqualTo("B");
        client.write("reply B\r\n");
        assertThat(PollSet.waitReadable(pair.peerFd, 0)).isFalse();
        // the next wait for input sends both replies, in one write
        assertThatThrownBy(() -> client.readLine(100, 50)).isInstanceOf(ClientTimeoutException.class);
        assertThat(pair.received()).isEqualTo("reply A\r\nreply B\r\n");
    }

    @Test
    void readAvailableDoesNotWait() throws Exception {
        byte[] b = new byte[16];
        assertThat(client.readAvailable(b, 0, b.length)).isZero();
        pair.send("xy");
        assertThat(client.readAvailable(b, 0, b.length)).isEqualTo(2);
        pair.closePeer();
        assertThat(client.readAvailable(b, 0, b.length)).isEqualTo(-1);
    }

    @Test
    void largeOutputIsWrittenCompletely() throws Exception {
        byte[] big = new byte[300_000];
        java.util.Arrays.fill(big, (byte) 'z');
        Thread reader = new Thread(() -> {
            try {
                byte[] b = new byte[8192];
                long total = 0;
                while (total < big.length) {
                    PollSet.waitReadable(pair.peerFd, 5000);
                    int n = Fds.read(pair.peerFd, b, 0, b.length);
                    total += Math.max(n, 0);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        reader.start();
        client.write(big, 0, big.length);
        client.flush();
        reader.join(10_000);
        assertThat(reader.isAlive()).isFalse();
    }
}
