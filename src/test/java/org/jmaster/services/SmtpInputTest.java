package org.jmaster.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.jmaster.server.Client;
import org.jmaster.server.TestClients;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** smtpd's line reader over a real socketpair: how each line ended, pieces at the limit, the deadline. */
class SmtpInputTest {
    TestClients pair;
    Client client;

    @BeforeEach
    void connect() {
        pair = TestClients.socketpair();
        client = pair.client;
    }

    @AfterEach
    void close() {
        pair.close();
    }

    private static String show(SmtpInput.Line l) {
        return l == null ? null : l.text().replace("\r", "<CR>") + "|" + l.end();
    }

    @Test
    void eachLineSaysWhetherItEndedInCrlfOrABareLfAndABareCrStaysInTheLine() throws Exception {
        SmtpInput in = new SmtpInput(client, 3600);
        pair.send("one\r\ntwo\n.\n\r\n\nthree\rstill three\r\r\nlast");
        assertThat(show(in.readLine(100, 1000))).isEqualTo("one|CRLF");
        assertThat(show(in.readLine(100, 1000))).isEqualTo("two|LF");
        assertThat(show(in.readLine(100, 1000))).isEqualTo(".|LF");
        assertThat(show(in.readLine(100, 1000))).isEqualTo("|CRLF");
        assertThat(show(in.readLine(100, 1000))).isEqualTo("|LF");
        assertThat(show(in.readLine(100, 1000))).isEqualTo("three<CR>still three<CR>|CRLF");
        pair.close();
        // the unterminated last line is dropped (already buffered or not, the input has ended)
    }

    @Test
    void aLineAtTheLimitStillEndsWhenItsTerminatorFollowsEvenSplitBetweenCrAndLf() throws Exception {
        SmtpInput in = new SmtpInput(client, 3600);
        pair.send("0123456789\r\n0123456789\n012345678\r\n0123456789ABC\r\n0123456789\r");
        assertThat(show(in.readLine(10, 1000))).isEqualTo("0123456789|CRLF");
        assertThat(show(in.readLine(10, 1000))).isEqualTo("0123456789|LF");
        assertThat(show(in.readLine(10, 1000))).isEqualTo("012345678|CRLF");
        assertThat(show(in.readLine(10, 1000))).isEqualTo("0123456789|NONE");
        assertThat(show(in.readLine(10, 1000))).isEqualTo("ABC|CRLF");
        Thread later = pair.sendOnceWaiting("\nnext\r\n");
        assertThat(show(in.readLine(10, 5000))).isEqualTo("0123456789|CRLF");
        assertThat(show(in.readLine(10, 5000))).isEqualTo("next|CRLF");
        later.join();
    }

    @Test
    void aClientThatKeepsSendingStillMeetsTheDeadline() throws Exception {
        SmtpInput in = new SmtpInput(client, 0);
        pair.send("NOOP\r\n");
        assertThatThrownBy(() -> in.readLine(100, 1000)).isInstanceOf(SmtpInput.DeadlineExceeded.class)
                .hasMessage("session deadline of 0s exceeded");
    }
}
