package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end, issue 12 finding 8: the bundled smtpd under a real master does not accept SMTP
 * smuggling (one DATA with a bare-LF end-of-data never stores two messages) and ends a session
 * that outlives {@code smtpd_session_deadline}, however slowly or steadily its client sends.
 */
class SmtpSmugglingIT {
    static final String HOST = "mx.test.example";
    @TempDir
    Path tmp;
    int port;

    private MasterProcess start(String args) throws IOException {
        port = MasterProcess.freePort();
        MasterProcess m = new MasterProcess(tmp);
        Services.link(m, "smtpd");
        m.mainCf("myhostname = " + HOST);
        m.masterCf(port + " inet n - n - 10 smtpd " + args);
        return m.start();
    }

    /** One DATA whose text holds a bare-LF "end" and a whole second transaction from the CEO. */
    private static void smuggle(SmtpClient c, String end) throws IOException {
        c.greeting();
        assertThat(c.command("EHLO relay.example")).startsWith("250-");
        assertThat(c.command("MAIL FROM:<alice@example.org>")).isEqualTo("250 2.1.0 Ok");
        assertThat(c.command("RCPT TO:<bob@example.org>")).isEqualTo("250 2.1.5 Ok");
        assertThat(c.command("DATA")).startsWith("354 ");
        c.send("Subject: one\r\n\r\nhello" + end + "MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<bob@example.org>\r\n"
                + "DATA\r\nSubject: urgent\r\n\r\npay the bearer\r\n.\r\n");
    }

    @Test
    void oneDataWithABareLfEndOfDataStoresExactlyOneMessage() throws Exception {
        try (MasterProcess m = start("")) {
            for (String end : List.of("\n.\n", "\r\n.\n")) {
                try (SmtpClient c = new SmtpClient(port)) {
                    smuggle(c, end);
                    assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
                    // the next reply answers QUIT, not a smuggled MAIL FROM
                    assertThat(c.command("QUIT")).isEqualTo("221 2.0.0 Bye");
                }
            }
            List<Path> stored = Services.files(Services.maildir(m), "new");
            assertThat(stored).hasSize(2);
            for (Path p : stored) {
                assertThat(Services.read(p)).contains("Subject: one\n", "\nMAIL FROM:<ceo@bank.example>\n")
                        .doesNotContain("\n.\n");
            }
            assertThat(m.logText()).doesNotContain("from=<ceo@bank.example>");
        }
    }

    @Test
    void underRejectTheSmugglingDataIsRefusedAndABareLfCommandEndsTheSession() throws Exception {
        try (MasterProcess m = start("-o smtpd_forbid_bare_newline=reject"); SmtpClient c = new SmtpClient(port)) {
            smuggle(c, "\r\n.\n");
            assertThat(c.reply()).isEqualTo("550 5.5.2 " + HOST + " Error: bare <LF> received");
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
            c.send("NOOP\n");
            assertThat(c.reply()).isEqualTo("550 5.5.2 " + HOST + " Error: bare <LF> received");
            assertThat(c.closedByServer()).isTrue();
            assertThat(Services.files(Services.maildir(m), "new")).isEmpty();
            assertThat(Services.files(Services.maildir(m), "tmp")).isEmpty();
            m.awaitLog("NOQUEUE: reject: END-OF-MESSAGE from unknown\\[127\\.0\\.0\\.1\\]: bare <LF> received;"
                    + " from=<alice@example\\.org> proto=ESMTP helo=<relay\\.example>");
            m.awaitLog("NOQUEUE: reject: NOOP from unknown\\[127\\.0\\.0\\.1\\]: bare <LF> received;");
        }
    }

    @Test
    void theSessionDeadlineEndsAClientThatSendsOneBytePerFewHundredMillisecondsForever() throws Exception {
        // smtpd_timeout never expires (a byte arrives every 300 ms); only the session deadline can end this
        try (MasterProcess m = start("-o smtpd_session_deadline=3s -o smtpd_timeout=60s");
             SmtpClient c = new SmtpClient(port)) {
            assertThat(c.greeting()).startsWith("220 ");
            AtomicBoolean stop = new AtomicBoolean();
            Thread drip = new Thread(() -> {
                byte[] noop = "NOOP\r\n".getBytes(StandardCharsets.US_ASCII);
                try {
                    for (int i = 0; !stop.get(); i++) {
                        c.send(new byte[] {noop[i % noop.length]});
                        Thread.sleep(300);
                    }
                } catch (Exception e) {
                    // the server closed the connection
                }
            });
            drip.setDaemon(true);
            drip.start();
            try {
                // each NOOP takes 1.8 s to arrive: a deadline of 3 s allows two, today's smtpd answered forever
                String last = c.reply();
                for (int n = 0; n < 30 && "250 2.0.0 Ok".equals(last); n++) {
                    last = c.reply();
                }
                assertThat(last).isEqualTo("421 4.4.2 " + HOST + " Error: timeout exceeded");
                stop.set(true);
                drip.join();
                // closed: end of stream, or a reset if a dripped byte reached the closed socket first
                boolean closed;
                try {
                    closed = c.closedByServer();
                } catch (java.net.SocketException reset) {
                    closed = true;
                }
                assertThat(closed).isTrue();
            } finally {
                stop.set(true);
                drip.join();
            }
            m.awaitLog("timeout after (CONNECT|NOOP) from unknown\\[127\\.0\\.0\\.1\\]: session deadline of 3s exceeded");
            await().atMost(Duration.ofSeconds(10)).until(() -> m.logText().contains("disconnect from unknown[127.0.0.1]"));
        }
    }
}
