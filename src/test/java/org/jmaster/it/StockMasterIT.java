package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmaster.nativ.Inodes;
import org.jmaster.nativ.TestNative;
import org.jmaster.nativ.Users;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled Java services under stock Postfix's master (Debian's postfix package), from a
 * Postfix master.cf: the child protocol, options and wakeups are Postfix's own, not jmaster's.
 * Postfix's master runs only as root.
 */
class StockMasterIT {
    static final Path POSTFIX_MASTER = Path.of("/usr/lib/postfix/sbin/master");

    @TempDir
    Path tmp;

    @Test
    void smtpdEchoAndSweepRunUnderPostfixsOwnMaster() throws Exception {
        assumeTrue(Users.geteuid() == 0, "Postfix's master runs only as root");
        assumeTrue(Files.isExecutable(POSTFIX_MASTER), "Debian's postfix is not installed (.ci/run installs it)");
        Users.Passwd postfix = Users.getpwnam("postfix").orElseThrow();
        // the master opens the data lock as mail_owner, who must be able to reach it
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path conf = Files.createDirectories(tmp.resolve("conf"));
        Path queue = tmp.resolve("queue");
        Path data = tmp.resolve("data");
        // what `postfix check` would set up: the master opens data/master.lock as mail_owner
        for (Path d : List.of(queue, queue.resolve("pid"), queue.resolve("private"), queue.resolve("public"), data)) {
            Files.createDirectories(d);
        }
        for (Path d : List.of(queue.resolve("private"), queue.resolve("public"), data)) {
            TestNative.chown(d.toString(), postfix.uid(), postfix.gid());
        }
        // sweep needs a Maildir with something stale in tmp/
        Path md = queue.resolve("Maildir");
        for (String d : new String[] {"", "tmp", "new", "cur"}) {
            Files.createDirectories(md.resolve(d));
            TestNative.chown(md.resolve(d).toString(), postfix.uid(), postfix.gid());
        }
        Path stale = Files.writeString(md.resolve("tmp/1500000000.M1P1Q1.crashed"), "stale");
        FileTime old = FileTime.from(Instant.now().minus(Duration.ofDays(3)));
        Files.getFileAttributeView(stale, BasicFileAttributeView.class).setTimes(old, old, null);
        int smtp = MasterProcess.freePort();
        int echo = MasterProcess.freePort();
        Files.writeString(conf.resolve("main.cf"), String.join("\n",
                "queue_directory = " + queue,
                "data_directory = " + data,
                "daemon_directory = " + MasterProcess.REPO.resolve("services"),
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "myhostname = stock.example",
                "compatibility_level = 3.7",
                ""));
        Files.writeString(conf.resolve("master.cf"), String.join("\n",
                "127.0.0.1:" + smtp + " inet n - n - - smtpd -o { smtpd_banner = $myhostname ESMTP under Postfix }",
                "127.0.0.1:" + echo + " inet n - n - 1 echo",
                "sweep unix - - n 3600 1 sweep",
                ""));
        Path out = tmp.resolve("master.out");
        Process master = new ProcessBuilder(POSTFIX_MASTER.toString(), "-c", conf.toString(), "-d")
                .redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> listening(smtp) || !master.isAlive());
            assertThat(master.isAlive()).as(Files.readString(out)).isTrue();
            try (SmtpClient c = new SmtpClient(smtp)) {
                assertThat(c.greeting()).isEqualTo("220 stock.example ESMTP under Postfix");
                assertThat(c.command("EHLO client.example")).contains("250-PIPELINING");
                assertThat(c.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
                assertThat(c.command("RCPT TO:<b@example.org>")).startsWith("250 ");
                assertThat(c.command("DATA")).startsWith("354 ");
                c.send("Subject: under postfix\r\n\r\nhello\r\n.\r\n");
                assertThat(c.reply()).startsWith("250 2.0.0 Ok: queued as ");
                assertThat(c.command("QUIT")).startsWith("221 ");
            }
            List<Path> stored = Services.files(md, "new");
            assertThat(stored).hasSize(1);
            assertThat(Services.read(stored.get(0))).contains("Subject: under postfix");
            assertThat(Inodes.lstat(stored.get(0).toString()).uid()).isEqualTo(postfix.uid());
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", echo), 10_000);
                s.setSoTimeout(30_000);
                s.getOutputStream().write("through Postfix\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(readLine(s.getInputStream())).isEqualTo("through Postfix");
            }
            // Postfix's master woke sweep up at start, through private/sweep
            await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(stale));
            assertThat(Files.readString(out)).contains("removed " + md + "/tmp/1500000000.M1P1Q1.crashed: untouched for");
            // a reload retires every child (status channel EOF); new ones serve afterwards
            List<ProcessHandle> before = master.toHandle().children().toList();
            assertThat(before).isNotEmpty();
            new ProcessBuilder("kill", "-HUP", Long.toString(master.pid())).start().waitFor();
            await().atMost(Duration.ofSeconds(30)).until(() -> before.stream().noneMatch(ProcessHandle::isAlive));
            assertThat(SmtpClient.send(smtp, "a@example.org", "b@example.org", "Subject: after reload")).startsWith("250 ");
            assertThat(Services.files(md, "new")).hasSize(2);
            assertThat(Files.readString(out)).doesNotContain("fatal", "panic");
        } finally {
            List<ProcessHandle> kids = master.toHandle().children().toList();
            master.destroy();
            if (!master.waitFor(20, TimeUnit.SECONDS)) {
                master.destroyForcibly();
            }
            kids.forEach(ProcessHandle::destroyForcibly);
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
            b.append((char) c);
        }
        return b.toString();
    }
}
