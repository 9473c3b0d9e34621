package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmaster.nativ.Inodes;
import org.jmaster.nativ.TestNative;
import org.jmaster.nativ.Users;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end: the Java service runtime under a real master: the multi-server and trigger
 * skeletons (echo, sweep), process lifetime, privileges and the jail, refusals and fatal errors,
 * the master's death, stand-alone mode.
 */
class RuntimeIT {
    @TempDir
    Path tmp;

    private static String echo(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[text.length()];
        int got = 0;
        while (got < buf.length) {
            int n = in.read(buf, got, buf.length - got);
            if (n < 0) {
                break;
            }
            got += n;
        }
        return new String(buf, 0, got, StandardCharsets.US_ASCII);
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        s.setSoTimeout(30_000);
        return s;
    }

    @Test
    void oneEchoProcessServesManyConnectionsAtOnce() throws Exception {
        int port = MasterProcess.freePort();
        int locked = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            Services.link(m, "echo");
            // one process at most: every connection below is served by the same one, interleaved
            m.masterCf(port + " inet n - n - 1 echo", "echo unix - - n - 1 echo", locked + " inet n - n - 4 echo")
                    .start();
            List<Socket> open = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    open.add(connect(port));
                }
                for (int round = 0; round < 2; round++) {
                    for (int i = 0; i < 3; i++) {
                        String text = "round " + round + " client " + i + "\r\n";
                        assertThat(echo(open.get(i), text)).isEqualTo(text);
                    }
                }
                assertThat(m.liveChildren()).hasSize(1);
                try (SocketChannel u = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    u.connect(UnixDomainSocketAddress.of(m.queue.resolve("private/echo")));
                    u.write(ByteBuffer.wrap("over unix\n".getBytes(StandardCharsets.US_ASCII)));
                    ByteBuffer back = ByteBuffer.allocate(64);
                    while (back.position() < 10) {
                        assertThat(u.read(back)).isPositive();
                    }
                    assertThat(new String(back.array(), 0, back.position(), StandardCharsets.US_ASCII)).isEqualTo("over unix\n");
                }
                assertThat(m.liveChildren()).hasSize(2);
                try (Socket s = connect(locked)) {
                    assertThat(echo(s, "x\n")).isEqualTo("x\n");
                }
                // the accept lock of §3.12, named after -t and -n (the service column as written);
                // services with one process (-l) need none
                assertThat(m.queue.resolve("pid/inet." + locked)).exists();
                assertThat(m.queue.resolve("pid/inet." + port)).doesNotExist();
                assertThat(m.queue.resolve("pid/unix.echo")).doesNotExist();
            } finally {
                for (Socket s : open) {
                    s.close();
                }
            }
        }
    }

    @Test
    void maxUseCountsConnectionsOfAMultiServerAndMaxIdleEndsIdleProcesses() throws Exception {
        int port = MasterProcess.freePort();
        int idlePort = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            Services.link(m, "echo");
            // -v: the children log why they leave
            m.masterCf(port + " inet n - n - 1 echo -o max_use=2 -o max_idle=1", idlePort + " inet n - n - 2 echo -i 1")
                    .start("-v");
            long first;
            try (Socket a = connect(port); Socket b = connect(port)) {
                assertThat(echo(a, "a\n")).isEqualTo("a\n");
                assertThat(echo(b, "b\n")).isEqualTo("b\n");
                assertThat(m.liveChildren()).hasSize(1);
                first = m.liveChildren().get(0).pid();
            }
            // two connections used it up: it leaves once both are closed, and the next client gets a new one
            await().atMost(Duration.ofSeconds(20)).until(() -> ProcessHandle.of(first).isEmpty());
            assertThat(m.logText()).contains("echo[" + first + "]: use limit reached -- exiting");
            try (Socket c = connect(port)) {
                assertThat(echo(c, "c\n")).isEqualTo("c\n");
                assertThat(m.liveChildren()).extracting(ProcessHandle::pid).doesNotContain(first);
            }
            try (Socket d = connect(idlePort)) {
                assertThat(echo(d, "d\n")).isEqualTo("d\n");
            }
            Services.awaitNoChildren(m);
            assertThat(m.countLog("echo\\[\\d+\\]: idle timeout -- exiting")).isEqualTo(2);
            assertThat(m.logText()).doesNotContain("throttling", "warning", "fatal");
        }
    }

    @Test
    void singleAndTriggerServersLeaveAfterMaxUseAndAfterMaxIdle() throws Exception {
        int used = MasterProcess.freePort();
        int idle = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            Services.link(m, "smtpd", "sweep");
            // -v: the children log why they leave
            m.masterCf(used + " inet n - n - 1 smtpd -o max_use=2", idle + " inet n - n - 1 smtpd -i 1",
                    "sweep unix - - n - 1 sweep -m 2", "idlesweep unix - - n - 1 sweep -o max_idle=1").start("-v");
            assertThat(SmtpClient.send(used, "a@example.org", "b@example.org", "Subject: 1")).startsWith("250 ");
            long first = m.liveChildren().get(0).pid();
            assertThat(SmtpClient.send(used, "a@example.org", "b@example.org", "Subject: 2")).startsWith("250 ");
            m.awaitLog("smtpd\\[" + first + "\\]: use limit reached -- exiting");
            await().atMost(Duration.ofSeconds(20)).until(() -> ProcessHandle.of(first).isEmpty());
            assertThat(SmtpClient.send(used, "a@example.org", "b@example.org", "Subject: 3")).startsWith("250 ");
            assertThat(m.liveChildren()).extracting(ProcessHandle::pid).doesNotContain(first);

            assertThat(SmtpClient.send(idle, "a@example.org", "b@example.org", "Subject: 4")).startsWith("250 ");
            m.awaitLog("smtpd\\[\\d+\\]: idle timeout -- exiting");

            trigger(m.queue.resolve("private/sweep"));
            trigger(m.queue.resolve("private/sweep"));
            m.awaitLog("sweep\\[\\d+\\]: use limit reached -- exiting");
            trigger(m.queue.resolve("private/idlesweep"));
            m.awaitLog("sweep\\[\\d+\\]: idle timeout -- exiting");

            assertThat(m.countLog("use limit reached")).isEqualTo(2);
            assertThat(m.countLog("idle timeout")).isEqualTo(2);
            assertThat(m.logText()).doesNotContain("throttling", "fatal");
        }
    }

    /** A trigger's request, as the master's wakeup sends it; returns once the service has closed the connection. */
    private static void trigger(Path socket) throws IOException {
        try (SocketChannel u = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            u.connect(UnixDomainSocketAddress.of(socket));
            u.write(ByteBuffer.wrap(new byte[] {'W', 0}));
            assertThat(u.read(ByteBuffer.allocate(1))).as("closed by the service").isEqualTo(-1);
        }
    }

    @Test
    void sweepRemovesOnlyStaleFilesFromTmpAtItsWakeup() throws Exception {
        try (MasterProcess m = new MasterProcess(tmp)) {
            Services.link(m, "sweep");
            Path md = m.queue.resolve("Maildir");
            for (String d : new String[] {"", "tmp", "new", "cur"}) {
                Files.createDirectories(md.resolve(d));
                chownToMailOwner(md.resolve(d));
            }
            Path stale = Files.writeString(md.resolve("tmp/1600000000.M1P1Q1.host"), "left by a crash");
            Path fresh = Files.writeString(md.resolve("tmp/1600000001.M1P1Q1.host"), "being written");
            Path delivered = Files.writeString(md.resolve("new/1600000002.M1P1Q1.host"), "old but delivered");
            Instant now = Instant.now();
            age(stale, now.minus(Duration.ofHours(37)));
            age(fresh, now.minus(Duration.ofHours(35)));
            age(delivered, now.minus(Duration.ofDays(30)));
            m.masterCf("sweep unix - - n 1 1 sweep").start();
            m.awaitLog("sweep\\[\\d+\\]: removed " + java.util.regex.Pattern.quote(md.toString())
                    + "/tmp/1600000000\\.M1P1Q1\\.host: untouched for 37h, 15 bytes");
            assertThat(stale).doesNotExist();
            assertThat(fresh).exists();
            assertThat(delivered).exists();
            // more wakeups come and find nothing more to do
            long pid = m.liveChildren().get(0).pid();
            await().atMost(Duration.ofSeconds(20)).until(() -> m.countLog("sweep\\[" + pid + "\\]") >= 1);
            assertThat(m.countLog("removed ")).isEqualTo(1);
        }
    }

    private static void age(Path p, Instant when) throws IOException {
        Files.getFileAttributeView(p, BasicFileAttributeView.class).setTimes(FileTime.from(when), FileTime.from(when), null);
    }

    private static void chownToMailOwner(Path p) throws IOException {
        Services.mailOwner("postfix").ifPresent(pw -> {
            try {
                TestNative.chown(p.toString(), pw.uid(), pw.gid());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void unprivilegedServicesRunAsMailOwnerWithOnlyItsGroup() throws Exception {
        assumeTrue(Users.geteuid() == 0, "needs root");
        Users.Passwd owner = Users.getpwnam("postfix").orElseThrow();
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            Services.link(m, "smtpd");
            m.masterCf(port + " inet n - n - 1 smtpd").start();
            try (SmtpClient c = new SmtpClient(port)) {
                assertThat(c.greeting()).startsWith("220 ");
                long pid = m.liveChildren().get(0).pid();
                String u = Integer.toString(owner.uid());
                String g = Integer.toString(owner.gid());
                assertThat(Services.status(pid, "Uid").split("\\s+")).containsOnly(u);
                assertThat(Services.status(pid, "Gid").split("\\s+")).containsOnly(g);
                assertThat(Services.status(pid, "Groups")).isEqualTo(g);
            }
            // what it created for itself before dropping privileges belongs to mail_owner
            assertThat(Inodes.lstat(m.queue.resolve("Maildir/new").toString()).uid()).isEqualTo(owner.uid());
        }
    }

    @Test
    void aChrootedServiceDeliversInsideItsJail() throws Exception {
        assumeTrue(Users.geteuid() == 0, "needs root");
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            Services.link(m, "smtpd");
            m.masterCf(port + " inet n - y - 1 smtpd").start();
            try (SmtpClient c = new SmtpClient(port)) {
                assertThat(c.greeting()).startsWith("220 ");
                long pid = m.liveChildren().get(0).pid();
                assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/root"))).isEqualTo(m.queue.toRealPath());
            }
            assertThat(SmtpClient.send(port, "a@example.org", "b@example.org", "Subject: jailed")).startsWith("250 ");
            assertThat(Services.files(m.queue.resolve("Maildir"), "new")).hasSize(1);
        }
    }

    @Test
    void rootWithoutTheUnprivilegedFlagIsRefusedAndTheServiceThrottled() throws Exception {
        assumeTrue(Users.geteuid() == 0, "needs root");
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            Services.link(m, "smtpd");
            m.masterCf(port + " inet n n n - 1 smtpd").start();
            connect(port).close();
            m.awaitLog("smtpd\\[\\d+\\]: fatal: refusing to run as the superuser: give service " + port
                    + " the unprivileged column y \\(or -\\) in master.cf");
            m.awaitLog("bad command startup -- throttling");
        }
    }

    @Test
    void badSettingsAreFatalAndNameWhereTheyCameFrom() throws Exception {
        int port = MasterProcess.freePort();
        int port2 = MasterProcess.freePort();
        int port3 = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            Services.link(m, "smtpd", "echo");
            m.mainCf("smtpd_timeout = soon");
            m.masterCf(port + " inet n - n - 1 echo -o max_use=lots", port2 + " inet n - n - 1 smtpd",
                    port3 + " inet n - n - 1 echo -x").start();
            connect(port).close();
            connect(port2).close();
            connect(port3).close();
            m.awaitLog("echo\\[\\d+\\]: fatal: -o max_use=lots: bad numerical configuration: max_use = lots");
            m.awaitLog("smtpd\\[\\d+\\]: fatal: " + java.util.regex.Pattern.quote(m.conf.resolve("main.cf").toString())
                    + ", line \\d+: parameter smtpd_timeout: bad time value: soon");
            m.awaitLog("echo\\[\\d+\\]: fatal: invalid option: -x");
        }
    }

    @Test
    void everySkeletonLeavesWhenTheMasterDies() throws Exception {
        int smtp = MasterProcess.freePort();
        int echo = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            Services.link(m, "smtpd", "echo", "sweep");
            m.masterCf(smtp + " inet n - n - 2 smtpd", echo + " inet n - n - 2 echo", "sweep unix - - n 3600 1 sweep")
                    .start();
            assertThat(SmtpClient.send(smtp, "a@example.org", "b@example.org", "Subject: x")).startsWith("250 ");
            try (Socket s = connect(echo)) {
                assertThat(echo(s, "x\n")).isEqualTo("x\n");
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> m.liveChildren().size() == 3);
            List<ProcessHandle> kids = m.liveChildren();
            m.process.destroyForcibly();
            assertThat(m.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
            // idle children see end-of-file on their status channel and exit 0
            await().atMost(Duration.ofSeconds(20)).until(() -> kids.stream().noneMatch(ProcessHandle::isAlive));
        }
    }

    @Test
    void theExampleServiceOfTheDocsWorksAsWritten() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            Services.link(m, "hello");
            m.mainCf("hello_greeting = Hi there");
            m.masterCf(port + " inet n - n - - hello").start();
            try (Socket s = connect(port)) {
                java.io.BufferedReader in = new java.io.BufferedReader(
                        new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                assertThat(in.readLine()).isEqualTo("Your name?");
                s.getOutputStream().write("Ada\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(in.readLine()).isEqualTo("Hi there, Ada!");
                assertThat(in.readLine()).isNull();
            }
        }
    }

    @Test
    void standAloneModeServesStandardInputWithoutAMaster() throws Exception {
        Path conf = Files.createDirectories(tmp.resolve("conf"));
        Path queue = Files.createDirectories(tmp.resolve("queue"));
        Files.writeString(conf.resolve("main.cf"), "queue_directory = " + queue + "\nmyhostname = alone.example\n"
                + "mail_owner = " + (Users.geteuid() == 0 ? "postfix" : "nobody") + "\n");
        ProcessBuilder pb = new ProcessBuilder(MasterProcess.REPO.resolve("services/smtpd").toString(), "-S", "-u")
                .redirectError(tmp.resolve("err").toFile()).redirectOutput(tmp.resolve("out").toFile());
        pb.environment().put("MAIL_CONFIG", conf.toString());
        Process p = pb.start();
        p.getOutputStream().write(("EHLO me\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
                + "Subject: alone\r\n\r\nhi\r\n.\r\nQUIT\r\n").getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(tmp.resolve("err"))).isZero();
        assertThat(Files.readString(tmp.resolve("out"))).startsWith("220 alone.example ESMTP jmaster\r\n")
                .contains("250 2.0.0 Ok: queued as ").endsWith("221 2.0.0 Bye\r\n");
        assertThat(Services.files(queue.resolve("Maildir"), "new")).hasSize(1);
    }
}
