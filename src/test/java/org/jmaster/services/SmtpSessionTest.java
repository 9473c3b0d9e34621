package org.jmaster.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.jmaster.nativ.Fds;
import org.jmaster.server.Client;
import org.jmaster.server.TestClients;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * smtpd's conversation over a real socketpair into a real Maildir: SMTP smuggling (a bare LF
 * around the end-of-data dot) never turns one DATA into two messages, bare LF and bare CR in
 * commands and text are handled as {@code smtpd_forbid_bare_newline} says, and the session's
 * overall deadline ends a client that drips one byte at a time.
 */
class SmtpSessionTest {
    static final String HOST = "mx.test.example";
    static final String OPEN = "EHLO client.example\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n";

    @TempDir
    Path tmp;
    Path md;
    TestClients pair;
    Client client;

    @BeforeEach
    void connect() throws Exception {
        md = tmp.resolve("Maildir");
        Maildir.create(md, -1, -1);
        pair = TestClients.socketpair();
        client = pair.client;
    }

    @AfterEach
    void close() {
        pair.close();
    }

    static SmtpdSettings settings(SmtpdSettings.BareNewline mode, long deadlineSeconds) {
        return new SmtpdSettings(HOST, HOST + " ESMTP jmaster", List.of(), 10_240_000, 1000, 1000, 10_000, 10_000,
                20, mode, 550, deadlineSeconds);
    }

    /** Sends {@code input} as the client, runs the session to its end, and returns all it said. */
    private String converse(SmtpdSettings s, String input) throws Exception {
        return converse(s, input, () -> { });
    }

    /**
     * As {@link #converse(SmtpdSettings, String)}, running {@code afterSession} (stop sending)
     * before the connection is closed: input left unread would make the close a reset, and the
     * reset would lose the replies not yet read.
     */
    private String converse(SmtpdSettings s, String input, Runnable afterSession) throws Exception {
        if (!input.isEmpty()) {
            pair.send(input);
        }
        CompletableFuture<Void> session = CompletableFuture.runAsync(() -> {
            try {
                new SmtpSession(client, s, new Maildir(md, HOST)).run();
                client.flush();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(60)).until(session::isDone);
        session.join();
        afterSession.run();
        byte[] unread = new byte[4096];
        while (Fds.read(pair.clientFd, unread, 0, unread.length) > 0) {
            // drop what the session did not read
        }
        client.close();
        return pair.receivedToEnd();
    }

    private List<String> stored() throws Exception {
        try (Stream<Path> s = Files.list(md.resolve("new"))) {
            return s.map(p -> {
                try {
                    return Files.readString(p, StandardCharsets.ISO_8859_1);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
        }
    }

    private static long count(String text, String what) {
        return text.lines().filter(l -> l.startsWith(what)).count();
    }

    /**
     * What a smuggling sender hands an outbound relay: a message whose text contains {@code end}
     * (a non-standard end-of-data) and a second transaction; the relay adds the real CRLF . CRLF.
     */
    private static String smuggle(String end) {
        return OPEN + "Subject: one\r\n\r\nbody" + end + "MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<bob@example.org>\r\n"
                + "DATA\r\nSubject: smuggled\r\n\r\npay the bearer\r\n.\r\nQUIT\r\n";
    }

    @ParameterizedTest
    @ValueSource(strings = {"\n.\n", "\r\n.\n", "\n.\r\n"})
    void aBareLfAroundTheDotNeverEndsDataSoOneDataStoresOneMessage(String end) throws Exception {
        String out = converse(settings(SmtpdSettings.BareNewline.NORMALIZE, 3600), smuggle(end));
        assertThat(count(out, "250 2.0.0 Ok: queued as ")).isEqualTo(1);
        assertThat(count(out, "354 ")).isEqualTo(1);
        assertThat(count(out, "250 2.1.0 Ok")).isEqualTo(1);
        assertThat(out).endsWith("221 2.0.0 Bye\r\n");
        List<String> msgs = stored();
        assertThat(msgs).hasSize(1);
        // the would-be second transaction is text of the first message, and the dot line is dropped
        assertThat(msgs.get(0)).contains("Subject: one\n", "MAIL FROM:<ceo@bank.example>\n", "pay the bearer\n")
                .doesNotContain("\r", "\n.\n");
    }

    @Test
    void theStandardEndOfDataStillEndsTheMessageAndTheSessionGoesOn() throws Exception {
        String out = converse(settings(SmtpdSettings.BareNewline.NORMALIZE, 3600),
                OPEN + "Subject: one\r\n\r\nbody\r\n..dot\r\n.\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
                        + "DATA\r\n.\r\nQUIT\r\n");
        assertThat(count(out, "250 2.0.0 Ok: queued as ")).isEqualTo(2);
        assertThat(out).endsWith("221 2.0.0 Bye\r\n");
        assertThat(stored()).hasSize(2).anySatisfy(m -> assertThat(m).endsWith("\nbody\n.dot\n"));
    }

    @Test
    void underRejectASmugglingAttemptIsRefusedWith550AndNothingIsStored() throws Exception {
        String out = converse(settings(SmtpdSettings.BareNewline.REJECT, 3600), smuggle("\r\n.\n"));
        assertThat(out).contains("354 ").contains("\r\n550 5.5.2 " + HOST + " Error: bare <LF> received\r\n")
                .doesNotContain("queued").endsWith("221 2.0.0 Bye\r\n");
        assertThat(stored()).isEmpty();
        assertThat(Files.list(md.resolve("tmp")).count()).isZero();
    }

    @Test
    void aBareLfInACommandIsTakenAsCrlfUnderNormalizeAndEndsTheSessionUnderReject() throws Exception {
        String normal = converse(settings(SmtpdSettings.BareNewline.NORMALIZE, 3600), "EHLO lf.example\nNOOP\nQUIT\n");
        assertThat(normal).contains("250-" + HOST, "\r\n250 2.0.0 Ok\r\n").endsWith("221 2.0.0 Bye\r\n");

        close();
        connect();
        String rejected = converse(settings(SmtpdSettings.BareNewline.REJECT, 3600),
                "EHLO crlf.example\r\nNOOP\nNOOP\r\nQUIT\r\n");
        assertThat(rejected).contains("250 ENHANCEDSTATUSCODES\r\n")
                .endsWith("\r\n550 5.5.2 " + HOST + " Error: bare <LF> received\r\n").doesNotContain("250 2.0.0 Ok");
    }

    @Test
    void aBareCrEndsNothingInACommandAndIsStoredAsASpaceInText() throws Exception {
        String out = converse(settings(SmtpdSettings.BareNewline.NORMALIZE, 3600),
                "EHLO cr.example\r\nNOOP\rRSET\r\nMAIL FROM:<a@example.org>\r\r\nRCPT TO:<b@example.org>\r\n"
                        + "RSET\r\n" + OPEN.substring(OPEN.indexOf("MAIL")) + "Subject: cr\r\n\r\nbody\r.\rMAIL FROM:<ceo@bank.example>\r"
                        + "\r\nend\r\r\n.\r\nQUIT\r\n");
        // "NOOP<CR>RSET" and "MAIL ...<CR>" are one unrecognised command each, not two commands
        assertThat(count(out, "500 5.5.2 Error: command not recognized")).isEqualTo(2);
        assertThat(count(out, "250 2.0.0 Ok: queued as ")).isEqualTo(1);
        assertThat(out).endsWith("221 2.0.0 Bye\r\n");
        assertThat(stored()).singleElement().satisfies(m -> assertThat(m)
                .endsWith("\nbody . MAIL FROM:<ceo@bank.example> \nend \n").doesNotContain("\r"));
    }

    @Test
    void theSessionDeadlineEndsAClientThatDripsOneBytePerReadForever() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Thread drip = new Thread(() -> {
            byte[] noop = "NOOP\r\n".getBytes(StandardCharsets.US_ASCII);
            try {
                for (int i = 0; !stop.get(); i++) {
                    Fds.write(pair.peerFd, noop, i % noop.length, 1);
                    Thread.sleep(100);
                }
            } catch (Exception e) {
                // the session closed the connection
            }
        });
        drip.setDaemon(true);
        drip.start();
        try {
            // smtpd_timeout (10 s) never expires: a byte arrives every 100 ms
            String out = converse(settings(SmtpdSettings.BareNewline.NORMALIZE, 2), "", () -> {
                stop.set(true);
                try {
                    drip.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(out).startsWith("220 ").contains("250 2.0.0 Ok\r\n")
                    .endsWith("421 4.4.2 " + HOST + " Error: timeout exceeded\r\n");
        } finally {
            stop.set(true);
            drip.join();
        }
    }
}
