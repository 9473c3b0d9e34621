package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end: a client the master refuses reads the whole reply, whether it reads first or speaks
 * first (issue 13, fault 2). A client that sent a line before reading used to get a reset instead
 * of an orderly end: the master closed the socket with the line unread, and such a close is a reset.
 * Each client here reads until end of file, so a reset shows as {@code <reset: ...>} in its answer.
 * Several clients speak at once, so their lines reach the master before it takes the connections.
 */
class RefusalReplyIT {
    private static final String EHLO = "EHLO client.example\r\n";
    /** Linger.MAX_CONNECTIONS: refused connections the master keeps open at most. */
    private static final int LINGER_CAP = 256;

    @TempDir
    Path tmp;

    private final List<Socket> open = new ArrayList<>();

    @AfterEach
    void closeClients() throws IOException {
        for (Socket s : open) {
            s.close();
        }
    }

    private Socket connect(String from, int port) throws IOException {
        Socket s = new Socket();
        open.add(s);
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(15_000);
        return s;
    }

    /** Everything until end of file; a failed read (a reset) is appended as {@code <reset: message>}. */
    private static String readToEnd(Socket s) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        String end = "";
        try {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[512];
            for (int n; (n = in.read(buf)) > 0;) {
                got.write(buf, 0, n);
            }
        } catch (IOException e) {
            end = "<reset: " + e.getMessage() + ">";
        }
        return got.toString(StandardCharsets.UTF_8) + end;
    }

    /**
     * {@code n} clients from {@code from}: all connect (and, when {@code speakFirst}, each sends a
     * line at once), then each reads until end of file and closes. Returns what each read.
     */
    private List<String> answers(String from, int port, int n, boolean speakFirst) throws IOException {
        List<Socket> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket s = connect(from, port);
            if (speakFirst) {
                s.getOutputStream().write(EHLO.getBytes(StandardCharsets.US_ASCII));
            }
            clients.add(s);
        }
        List<String> out = new ArrayList<>();
        for (Socket s : clients) {
            out.add(readToEnd(s));
            s.close();
        }
        return out;
    }

    /** Both orders: clients that read first, then clients that speak first; all get {@code reply} and end of file. */
    private void bothOrdersGet(String reply, String from, int port) throws IOException {
        String whole = reply + "\r\n";
        assertThat(answers(from, port, 3, false)).as("clients that read first").containsOnly(whole);
        assertThat(answers(from, port, 5, true)).as("clients that send a line first, then read").containsOnly(whole);
    }

    @Test
    void perSourceRefusalIsReadWhetherOrNotTheClientSpokeFirst() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 10 /bin/cat -M protocol=inetd -M max_per_source=1"
                    + " -M {refuse_reply = 421 4.7.0 too many connections from your address}").start();
            Socket first = connect("127.0.0.2", port);
            await().atMost(Duration.ofSeconds(10)).until(() -> m.liveChildren().size() == 1);
            bothOrdersGet("421 4.7.0 too many connections from your address", "127.0.0.2", port);
            m.awaitLog("refused connection from 127\\.0\\.0\\.2:\\d+ to service " + port + "\\(" + port + "\\): per_source");
            // the client that holds the source's one connection is still served
            first.getOutputStream().write("still here\n".getBytes(StandardCharsets.US_ASCII));
            byte[] echo = new byte[11];
            assertThat(first.getInputStream().readNBytes(echo, 0, 11)).isEqualTo(11);
            assertThat(new String(echo, StandardCharsets.US_ASCII)).isEqualTo("still here\n");
        }
    }

    @Test
    void limitRefusalIsReadWhetherOrNotTheClientSpokeFirst() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 /bin/cat -M protocol=inetd -M {refuse_reply = 421 4.3.2 busy}").start();
            connect("127.0.0.2", port);
            await().atMost(Duration.ofSeconds(10)).until(() -> m.liveChildren().size() == 1);
            bothOrdersGet("421 4.3.2 busy", "127.0.0.3", port);
            m.awaitLog("refused connection from 127\\.0\\.0\\.3:\\d+ to service " + port + "\\(" + port + "\\): limit");
        }
    }

    @Test
    void rateRefusalIsReadWhetherOrNotTheClientSpokeFirst() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 10 /bin/sh -c {echo served} -M protocol=inetd -M rate=1/3600"
                    + " -M {refuse_reply = 421 4.7.0 slow down}").start();
            assertThat(answers("127.0.0.2", port, 1, false)).containsExactly("served\n");
            bothOrdersGet("421 4.7.0 slow down", "127.0.0.2", port);
            m.awaitLog("refused connection from 127\\.0\\.0\\.2:\\d+ to service " + port + "\\(" + port + "\\): rate");
        }
    }

    @Test
    void throttleReplyIsReadWhetherOrNotTheClientSpokeFirst() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            // a throttle that outlasts the test: no probe child may answer instead of the master
            m.mainCf("service_throttle_time = 300s");
            m.masterCf(port + " inet n n n - 4 /bin/sh -c {exit 3} -M protocol=inetd"
                    + " -M {throttle_reply = 421 4.3.2 service temporarily unavailable}").start();
            assertThat(answers("127.0.0.2", port, 1, false)).as("the child that fails").containsExactly("");
            m.awaitLog("bad command startup -- throttling for 300s");
            bothOrdersGet("421 4.3.2 service temporarily unavailable", "127.0.0.2", port);
            m.awaitLog("refused connection from 127\\.0\\.0\\.2:\\d+ to service " + port + "\\(" + port + "\\): throttled");
        }
    }

    @Test
    void refusedClientsThatNeverCloseCannotTakeTheMastersDescriptors() throws Exception {
        int port = MasterProcess.freePort();
        int other = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 10 /bin/cat -M protocol=inetd -M max_per_source=1"
                            + " -M {refuse_reply = 421 4.7.0 too many connections from your address}",
                    other + " inet n n n - 10 /bin/sh -c {echo served} -M protocol=inetd").start();
            connect("127.0.0.2", port);
            await().atMost(Duration.ofSeconds(10)).until(() -> m.liveChildren().size() == 1);
            long before = m.fdCount();
            // each speaks, reads its reply line, and then neither reads nor closes
            int flood = 2 * LINGER_CAP + 100;
            byte[] line = new byte[64];
            for (int i = 0; i < flood; i++) {
                Socket s = connect("127.0.0.2", port);
                s.getOutputStream().write(EHLO.getBytes(StandardCharsets.US_ASCII));
                int n = s.getInputStream().read(line);
                assertThat(new String(line, 0, Math.max(n, 0), StandardCharsets.US_ASCII)).startsWith("421 4.7.0");
            }
            assertThat(m.fdCount()).as("the master's descriptors after %d refused clients that stay", flood)
                    .isLessThanOrEqualTo(before + LINGER_CAP + 8);
            // the others are still served, and once their time is up the lingering ones are closed too
            assertThat(answers("127.0.0.3", other, 1, false)).containsExactly("served\n");
            await().atMost(Duration.ofSeconds(30)).until(() -> m.fdCount() <= before);
            assertThat(m.process.isAlive()).isTrue();
        }
    }

    @Test
    void aRefusedClientThatKeepsSendingIsCutOffAfterABoundedAmount() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 /bin/cat -M protocol=inetd -M {refuse_reply = 421 4.3.2 busy}").start();
            connect("127.0.0.2", port);
            await().atMost(Duration.ofSeconds(10)).until(() -> m.liveChildren().size() == 1);
            Socket s = connect("127.0.0.3", port);
            byte[] junk = new byte[64 * 1024];
            long sent = 0;
            // the master drops what it reads up to a bound and then closes: a write fails long before
            // the lingering time is up (unbounded, loopback carries gigabytes in that time)
            try {
                for (;;) {
                    s.getOutputStream().write(junk);
                    sent += junk.length;
                }
            } catch (IOException closed) {
                // the master closed the connection
            }
            assertThat(sent).as("bytes a refused client could send").isLessThan(32L * 1024 * 1024);
            assertThat(m.process.isAlive()).isTrue();
        }
    }
}
