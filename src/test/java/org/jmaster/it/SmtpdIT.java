package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end: the bundled smtpd under a real master, over real sockets, into a real Maildir. */
class SmtpdIT {
    static final String HOST = "mx.test.example";
    @TempDir
    Path tmp;
    int port;

    /** A master with smtpd (at most 10 processes, as in the default configuration) on a free port. */
    private MasterProcess start(String args, String... mainCf) throws IOException {
        port = MasterProcess.freePort();
        MasterProcess m = new MasterProcess(tmp);
        Services.link(m, "smtpd");
        m.mainCf("myhostname = " + HOST + "\n" + String.join("\n", mainCf));
        m.masterCf(port + " inet n - n - 10 smtpd " + args);
        return m.start();
    }

    private int swaks(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("swaks", "--server", "127.0.0.1:" + port, "--hide-all"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(tmp.resolve("swaks.out").toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    @Test
    void swaksDeliversToTheMaildirWithTraceHeaders() throws Exception {
        assumeTrue(Services.haveSwaks(), "swaks is not installed (.ci/run installs it)");
        try (MasterProcess m = start("")) {
            assertThat(swaks("--from", "alice@example.org", "--to", "bob@example.net", "--header", "Subject: first",
                    "--body", "Hello Bob.\n.leading dot\n")).as(Services.read(tmp.resolve("swaks.out"))).isZero();
            assertThat(swaks("--pipeline", "--from", "<>", "--to", "carol@example.net,dave@example.net",
                    "--header", "Subject: second")).as(Services.read(tmp.resolve("swaks.out"))).isZero();
            Path md = Services.maildir(m);
            await().atMost(Duration.ofSeconds(10)).until(() -> Services.files(md, "new").size() == 2);
            assertThat(Services.files(md, "tmp")).isEmpty();
            String first = Services.files(md, "new").stream().map(Services::read)
                    .filter(t -> t.contains("Subject: first")).findFirst().orElseThrow();
            assertThat(first).startsWith("Return-Path: <alice@example.org>\nReceived: from ")
                    .contains("(unknown [127.0.0.1])\n\tby ", " (jmaster) with ESMTP\n\tfor <bob@example.net>; ")
                    .contains("\nHello Bob.\n.leading dot\n").doesNotContain("\r");
            String second = Services.files(md, "new").stream().map(Services::read)
                    .filter(t -> t.contains("Subject: second")).findFirst().orElseThrow();
            assertThat(second).startsWith("Return-Path: <>\n").doesNotContain("\tfor <");
            assertThat(m.logText()).containsPattern("smtpd\\[\\d+\\]: connect from unknown\\[127\\.0\\.0\\.1\\]")
                    .containsPattern("smtpd\\[\\d+\\]: [0-9A-F]+: client=unknown\\[127\\.0\\.0\\.1\\], from=<alice@example\\.org>,"
                            + " nrcpt=1, size=\\d+, stored as new/\\d+\\.M\\d+P\\d+Q\\d+R[0-9a-f]+\\.")
                    .containsPattern("from=<>, nrcpt=2, ")
                    .containsPattern("disconnect from unknown\\[127\\.0\\.0\\.1\\] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5");
        }
    }

    @Test
    void pipelinedCommandsAreAnsweredInOrder() throws Exception {
        try (MasterProcess m = start(""); SmtpClient c = new SmtpClient(port)) {
            assertThat(c.greeting()).startsWith("220 ").endsWith(" ESMTP jmaster");
            c.send("EHLO pipe.example\r\nMAIL FROM:<a@example.org> SIZE=100 BODY=8BITMIME\r\nRCPT TO:<b@example.org>\r\n"
                    + "RCPT TO:<no address>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n");
            assertThat(c.reply()).startsWith("250-").contains("\n250-PIPELINING\n", "\n250-SIZE 10240000\n",
                    "\n250-8BITMIME\n").endsWith("\n250 ENHANCEDSTATUSCODES");
            assertThat(c.reply()).isEqualTo("250 2.1.0 Ok");
            assertThat(c.reply()).isEqualTo("250 2.1.5 Ok");
            assertThat(c.reply()).isEqualTo("501 5.1.3 Bad recipient address syntax");
            assertThat(c.reply()).isEqualTo("250 2.1.5 Ok");
            assertThat(c.reply()).startsWith("354 ");
            c.send("Subject: piped\r\n\r\n..two dots\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(c.reply()).isEqualTo("250 2.0.0 Ok");
            assertThat(c.reply()).isEqualTo("250 2.0.0 Ok");
            assertThat(c.reply()).isEqualTo("221 2.0.0 Bye");
            assertThat(c.closedByServer()).isTrue();
            List<Path> stored = Services.files(Services.maildir(m), "new");
            assertThat(stored).hasSize(1);
            assertThat(Services.read(stored.get(0))).contains("Subject: piped\n\n.two dots\n").endsWith(".two dots\n");
        }
    }

    @Test
    void oversizedMessagesAreRefusedWith552AndNothingIsStored() throws Exception {
        try (MasterProcess m = start("-o message_size_limit=2000"); SmtpClient c = new SmtpClient(port)) {
            c.greeting();
            assertThat(c.command("EHLO big.example")).contains("\n250-SIZE 2000\n");
            assertThat(c.command("MAIL FROM:<a@example.org> SIZE=2001")).isEqualTo("552 5.3.4 Message size exceeds fixed limit");
            assertThat(c.command("MAIL FROM:<a@example.org>")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("RCPT TO:<b@example.org>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("DATA")).startsWith("354 ");
            StringBuilder body = new StringBuilder("Subject: big\r\n\r\n");
            for (int i = 0; i < 100; i++) {
                body.append("0123456789012345678901234567890123456789012345678901234567890123456789\r\n");
            }
            c.send(body + ".\r\n");
            assertThat(c.reply()).isEqualTo("552 5.3.4 Error: message file too big");
            Path md = Services.maildir(m);
            assertThat(Services.files(md, "new")).isEmpty();
            assertThat(Services.files(md, "tmp")).isEmpty();
            // the conversation is still in step: a small message goes through
            assertThat(c.command("MAIL FROM:<a@example.org>")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("RCPT TO:<b@example.org>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("DATA")).startsWith("354 ");
            c.send("Subject: small\r\n\r\nok\r\n.\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(Services.files(md, "new")).hasSize(1);
            assertThat(m.logText()).contains("NOQUEUE: reject: MAIL from unknown[127.0.0.1]: 552 5.3.4 Message size"
                    + " exceeds fixed limit; from=<a@example.org> proto=ESMTP helo=<big.example>")
                    .contains("NOQUEUE: reject: DATA from unknown[127.0.0.1]: 552 5.3.4 Error: message file too big");
        }
    }

    @Test
    void aClientThatLeavesInTheMiddleOfDataLeavesNothingBehind() throws Exception {
        try (MasterProcess m = start("")) {
            try (SmtpClient c = new SmtpClient(port)) {
                c.greeting();
                c.command("EHLO gone.example");
                c.command("MAIL FROM:<a@example.org>");
                c.command("RCPT TO:<b@example.org>");
                assertThat(c.command("DATA")).startsWith("354 ");
                c.send("Subject: half\r\n\r\nthe first half of a message\r\nand then the connection breaks");
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> Services.files(Services.maildir(m), "tmp").size() == 1);
            }
            m.awaitLog("lost connection after DATA from unknown\\[127\\.0\\.0\\.1\\]: connection closed after \\d+ bytes");
            m.awaitLog("disconnect from unknown\\[127\\.0\\.0\\.1\\] ehlo=1 mail=1 rcpt=1 data=0/1 commands=3/4");
            assertThat(Services.files(Services.maildir(m), "new")).isEmpty();
            assertThat(Services.files(Services.maildir(m), "tmp")).isEmpty();
        }
    }

    @Test
    void malformedCommandsAreAnsweredAndTheSessionGoesOn() throws Exception {
        try (MasterProcess m = start("-o smtpd_hard_error_limit=100"); SmtpClient c = new SmtpClient(port)) {
            c.greeting();
            assertThat(c.command("HELLO there")).isEqualTo("500 5.5.2 Error: command not recognized");
            assertThat(c.command("")).isEqualTo("500 5.5.2 Error: bad syntax");
            c.send(new byte[] {1, 2, (byte) 0xff, (byte) 0xfe, 'M', 'A', 'I', 'L', 0, '\r', '\n'});
            assertThat(c.reply()).isEqualTo("500 5.5.2 Error: command not recognized");
            assertThat(c.command("MAIL FROM:<a@example.org>")).isEqualTo("503 5.5.1 Error: send HELO/EHLO first");
            assertThat(c.command("EHLO")).isEqualTo("501 5.5.4 Syntax: EHLO hostname");
            assertThat(c.command("EHLO garbage.example")).startsWith("250-");
            assertThat(c.command("MAIL FROM:a@b@")).isEqualTo("501 5.1.7 Bad sender address syntax");
            assertThat(c.command("MAIL TO:<a@example.org>")).isEqualTo("501 5.5.4 Syntax: MAIL FROM:<address>");
            assertThat(c.command("MAIL FROM:<a@example.org")).isEqualTo("501 5.5.4 Syntax: MAIL FROM:<address>");
            assertThat(c.command("MAIL FROM:<a@example.org> FOO=1")).isEqualTo("555 5.5.4 Unsupported option: FOO=1");
            assertThat(c.command("MAIL FROM:<a@example.org> SIZE=lots")).isEqualTo("501 5.5.4 Bad message size syntax");
            assertThat(c.command("RCPT TO:<b@example.org>")).isEqualTo("503 5.5.1 Error: need MAIL command");
            assertThat(c.command("DATA")).isEqualTo("503 5.5.1 Error: need MAIL command");
            assertThat(c.command("X".repeat(5000))).isEqualTo("500 5.5.2 Error: line too long");
            assertThat(c.command("EXPN staff")).isEqualTo("502 5.5.1 Error: command not implemented");
            assertThat(c.command("VRFY")).isEqualTo("501 5.5.4 Syntax: VRFY address");
            assertThat(c.command("VRFY bob")).startsWith("252 2.0.0 ");
            assertThat(c.command("HELP")).startsWith("214 2.0.0 ");
            assertThat(c.command("RSET now")).isEqualTo("501 5.5.4 Syntax: RSET");
            assertThat(c.command("MAIL FROM:<a@example.org>")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("MAIL FROM:<a@example.org>")).isEqualTo("503 5.5.1 Error: nested MAIL command");
            assertThat(c.command("DATA")).isEqualTo("554 5.5.1 Error: no valid recipients");
            assertThat(c.command("RCPT TO:<>")).isEqualTo("501 5.1.3 Bad recipient address syntax");
            assertThat(c.command("RCPT TO:<b@example.org> NOTIFY=NEVER")).isEqualTo("555 5.5.4 Unsupported option: NOTIFY");
            assertThat(c.command("rcpt to: <\"odd local\"@[192.0.2.1]>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("DATA extra")).isEqualTo("501 5.5.4 Syntax: DATA");
            assertThat(c.command("DATA")).startsWith("354 ");
            c.send("Subject: survived\r\n\r\n" + "y".repeat(3000) + "\r\n.\r\n");
            assertThat(c.reply()).isEqualTo("500 5.5.2 Error: message line longer than 998 characters");
            assertThat(c.command("NOOP")).isEqualTo("250 2.0.0 Ok");
            assertThat(c.command("MAIL FROM:<>")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("RCPT TO:<Postmaster>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("DATA")).startsWith("354 ");
            c.send("Subject: survived\r\n\r\nstill here\r\n.\r\n");
            assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(c.command("QUIT")).isEqualTo("221 2.0.0 Bye");
            assertThat(Services.files(Services.maildir(m), "new")).hasSize(1);
            m.awaitLog("disconnect from unknown\\[127\\.0\\.0\\.1\\] ehlo=1/2 mail=2/9 rcpt=2/5 data=1/5 rset=0/1"
                    + " noop=1 vrfy=1/2 help=1 quit=1 unknown=0/4 commands=10/31");
        }
    }

    @Test
    void tooManyErrorsEndTheSessionWith421() throws Exception {
        try (MasterProcess m = start("-o smtpd_hard_error_limit=3"); SmtpClient c = new SmtpClient(port)) {
            c.greeting();
            assertThat(c.command("ONE")).startsWith("500 ");
            assertThat(c.command("TWO")).startsWith("500 ");
            assertThat(c.command("THREE")).isEqualTo("500 5.5.2 Error: command not recognized");
            assertThat(c.reply()).isEqualTo("421 4.7.0 " + HOST + " Error: too many errors");
            assertThat(c.closedByServer()).isTrue();
            m.awaitLog("too many errors after UNKNOWN from unknown\\[127\\.0\\.0\\.1\\]");
        }
    }

    @Test
    void underStressOneErrorIsEnough() throws Exception {
        // what the master passes to a child it starts while the service is at its process limit
        try (MasterProcess m = start("-o stress=yes"); SmtpClient c = new SmtpClient(port)) {
            c.greeting();
            assertThat(c.command("BOGUS")).isEqualTo("500 5.5.2 Error: command not recognized");
            assertThat(c.reply()).isEqualTo("421 4.7.0 " + HOST + " Error: too many errors");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void anIdleClientTimesOutWith421() throws Exception {
        try (MasterProcess m = start("-o smtpd_timeout=1s"); SmtpClient c = new SmtpClient(port)) {
            c.greeting();
            assertThat(c.command("EHLO slow.example")).startsWith("250-");
            assertThat(c.reply()).isEqualTo("421 4.4.2 " + HOST + " Error: timeout exceeded");
            assertThat(c.closedByServer()).isTrue();
            m.awaitLog("timeout after EHLO from unknown\\[127\\.0\\.0\\.1\\]");
        }
    }

    @Test
    void recipientDomainsAndTheRecipientLimitAreEnforced() throws Exception {
        try (MasterProcess m = start("-o smtpd_recipient_limit=2 -o { smtpd_accepted_domains = example.org, Example.NET }");
             SmtpClient c = new SmtpClient(port)) {
            c.greeting();
            c.command("HELO plain.example");
            assertThat(c.command("MAIL FROM:<a@elsewhere.example> SIZE=10")).isEqualTo("555 5.5.4 Unsupported option: SIZE=10");
            assertThat(c.command("MAIL FROM:<a@elsewhere.example>")).isEqualTo("250 2.1.0 Ok");
            assertThat(c.command("RCPT TO:<x@elsewhere.example>"))
                    .isEqualTo("554 5.7.1 <x@elsewhere.example>: Relay access denied");
            assertThat(c.command("RCPT TO:<x@EXAMPLE.org>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("RCPT TO:<y@example.net>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.command("RCPT TO:<z@example.net>")).isEqualTo("452 4.5.3 Error: too many recipients");
            assertThat(c.command("DATA")).startsWith("354 ");
            c.send("Subject: two\r\n\r\n.\r\n");
            assertThat(c.reply()).startsWith("250 ");
            String stored = Services.read(Services.files(Services.maildir(m), "new").get(0));
            assertThat(stored).contains(" with SMTP;").doesNotContain("\tfor <");
            assertThat(m.logText()).contains("NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 554 5.7.1"
                    + " <x@elsewhere.example>: Relay access denied; from=<a@elsewhere.example>"
                    + " to=<x@elsewhere.example> proto=SMTP helo=<plain.example>");
        }
    }

    @Test
    void maxUseRecyclingUnderABurstOf300ConnectionsLosesNoMessage() throws Exception {
        // the listen backlog is max(maxproc, default_process_limit): it must hold the whole burst, or
        // the kernel drops handshakes and a client of a server-speaks-first protocol waits forever
        try (MasterProcess m = start("-o max_use=5", "default_process_limit = 400")) {
            int n = 300;
            ExecutorService pool = Executors.newFixedThreadPool(n);
            try {
                List<Future<String>> replies = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String subject = "burst " + i;
                    replies.add(pool.submit(() -> SmtpClient.send(port, "a@example.org", "b@example.org",
                            "Subject: " + subject + "\r\n\r\nmessage " + subject)));
                }
                for (Future<String> f : replies) {
                    assertThat(f.get(180, TimeUnit.SECONDS)).startsWith("250 2.0.0 Ok: queued as ");
                }
            } finally {
                pool.shutdownNow();
            }
            List<Path> stored = Services.files(Services.maildir(m), "new");
            Set<String> subjects = new HashSet<>();
            for (Path p : stored) {
                Matcher s = Pattern.compile("\nSubject: (burst \\d+)\n").matcher(Services.read(p));
                assertThat(s.find()).isTrue();
                subjects.add(s.group(1));
            }
            assertThat(stored).hasSize(n);
            assertThat(subjects).hasSize(n);
            assertThat(Services.files(Services.maildir(m), "tmp")).isEmpty();
            // every process served at most five clients, so at least sixty took part
            Set<String> pids = new HashSet<>();
            Matcher pm = Pattern.compile("smtpd\\[(\\d+)\\]: connect from").matcher(m.logText());
            while (pm.find()) {
                pids.add(pm.group(1));
            }
            assertThat(pids.size()).isGreaterThanOrEqualTo(n / 5);
            assertThat(m.logText()).doesNotContain("throttling", "fatal", "warning: process");
        }
    }

    @Test
    void aReloadInTheMiddleOfASessionLetsItFinish() throws Exception {
        try (MasterProcess m = start("")) {
            long before;
            try (SmtpClient c = new SmtpClient(port)) {
                c.greeting();
                c.command("EHLO reload.example");
                assertThat(c.command("MAIL FROM:<a@example.org>")).startsWith("250");
                before = servingPid(m);
                m.signal("HUP");
                m.awaitLog("reload -- version");
                assertThat(c.command("RCPT TO:<b@example.org>")).startsWith("250");
                assertThat(c.command("DATA")).startsWith("354");
                c.send("Subject: across a reload\r\n\r\nbody\r\n.\r\n");
                assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
                assertThat(c.command("QUIT")).startsWith("221");
            }
            // the old generation leaves once its client is done; the next client gets a new process
            await().atMost(Duration.ofSeconds(20)).until(() -> ProcessHandle.of(before).isEmpty());
            assertThat(SmtpClient.send(port, "a@example.org", "b@example.org", "Subject: after")).startsWith("250 ");
            assertThat(servingPid(m)).isNotEqualTo(before);
            assertThat(Services.files(Services.maildir(m), "new")).hasSize(2);
        }
    }

    @Test
    void aStopInTheMiddleOfASessionIsAnnouncedWith421() throws Exception {
        try (MasterProcess m = start(""); SmtpClient c = new SmtpClient(port)) {
            c.greeting();
            c.command("EHLO stop.example");
            m.signal("TERM");
            assertThat(c.reply()).isEqualTo("421 4.3.2 " + HOST + " Service shutting down, closing transmission channel");
            assertThat(c.closedByServer()).isTrue();
            assertThat(m.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(m.logText()).contains("stop requested after EHLO from unknown[127.0.0.1]");
        }
    }

    /** The pid of the smtpd that logged the last "connect from". */
    private static long servingPid(MasterProcess m) {
        Matcher pm = Pattern.compile("smtpd\\[(\\d+)\\]: connect from").matcher(m.logText());
        long pid = -1;
        while (pm.find()) {
            pid = Long.parseLong(pm.group(1));
        }
        return pid;
    }
}
