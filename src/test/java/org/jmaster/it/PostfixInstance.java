package org.jmaster.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A self-contained stock Postfix instance (Debian's daemons, unmodified) in its own directory:
 * loopback only, chroot off, nothing relayed off the host, logging through postlogd to a file,
 * local delivery into {@code mail/nobody}. The queue is created by Postfix's own
 * {@code postfix check}. jmaster is its master.
 */
final class PostfixInstance implements AutoCloseable {
    static final Path DAEMONS = Path.of("/usr/lib/postfix/sbin");

    final Path dir;
    final Path conf;
    final Path queue;
    final Path maillog;
    final Path mailbox;
    final int port;

    PostfixInstance(int port) throws IOException, InterruptedException {
        // not a JUnit @TempDir: Postfix's unprivileged daemons must be able to traverse it
        this.dir = Files.createTempDirectory(Path.of("/tmp"), "jmaster-postfix-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        this.conf = Files.createDirectories(dir.resolve("conf"));
        this.queue = Files.createDirectories(dir.resolve("queue"));
        this.maillog = dir.resolve("maillog");
        Path mail = Files.createDirectories(dir.resolve("mail"));
        Files.setPosixFilePermissions(mail, PosixFilePermissions.fromString("rwxrwxrwx"));
        this.mailbox = mail.resolve("nobody");
        this.port = port;
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(conf.resolve("main.cf"), String.join("\n",
                "compatibility_level = 3.7",
                "queue_directory = " + queue,
                "data_directory = " + data,
                "daemon_directory = " + DAEMONS,
                "command_directory = /usr/sbin",
                "meta_directory = /etc/postfix",
                "shlib_directory = /usr/lib/postfix",
                "mail_owner = postfix",
                "setgid_group = postdrop",
                "myhostname = jmaster.test",
                "mydomain = jmaster.test",
                "myorigin = jmaster.test",
                "mydestination = jmaster.test, localhost",
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "mynetworks = 127.0.0.0/8",
                "default_transport = error:nothing leaves this test instance",
                "relay_transport = error:nothing leaves this test instance",
                "maillog_file = " + maillog,
                "maillog_file_prefixes = " + dir,
                "alias_maps =",
                "alias_database =",
                "local_recipient_maps =",
                "mail_spool_directory = " + mail,
                "biff = no",
                "smtpd_banner = $myhostname ESMTP",
                ""));
        writeMasterCf(List.of());
        Files.setOwner(data, data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix"));
        int rc = run(null, "/usr/sbin/postfix", "-c", conf.toString(), "check");
        if (rc != 0 || !Files.isDirectory(queue.resolve("maildrop"))) {
            throw new IOException("postfix check failed: " + rc);
        }
    }

    /** The stock service set (Debian's master.cf.dist, chroot off), smtpd on our port, plus {@code extra}. */
    void writeMasterCf(List<String> extra) throws IOException {
        writeMasterCf(extra, "-");
    }

    void writeMasterCf(List<String> extra, String smtpdMaxproc) throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "127.0.0.1:" + port + " inet n - n - " + smtpdMaxproc + " smtpd",
                "pickup    unix  n - n 60    1 pickup",
                "cleanup   unix  n - n -     0 cleanup",
                "qmgr      unix  n - n 300   1 qmgr",
                "tlsmgr    unix  - - n 1000? 1 tlsmgr",
                "rewrite   unix  - - n -     - trivial-rewrite",
                "bounce    unix  - - n -     0 bounce",
                "defer     unix  - - n -     0 bounce",
                "trace     unix  - - n -     0 bounce",
                "verify    unix  - - n -     1 verify",
                "flush     unix  n - n 1000? 0 flush",
                "proxymap  unix  - - n -     - proxymap",
                "proxywrite unix - - n -     1 proxymap",
                "smtp      unix  - - n -     - smtp",
                "relay     unix  - - n -     - smtp",
                "        -o syslog_name=postfix/$service_name",
                "showq     unix  n - n -     - showq",
                "error     unix  - - n -     - error",
                "retry     unix  - - n -     - error",
                "discard   unix  - - n -     - discard",
                "local     unix  - n n -     - local",
                "virtual   unix  - n n -     - virtual",
                "lmtp      unix  - - n -     - lmtp",
                "anvil     unix  - - n -     1 anvil",
                "scache    unix  - - n -     1 scache",
                "postlog   unix-dgram n - n - 1 postlogd"));
        lines.addAll(extra);
        Files.writeString(conf.resolve("master.cf"), String.join("\n", lines) + "\n");
    }

    /** Runs a command to completion (at most two minutes), its output into {@code out} when given. */
    int run(Path out, String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.redirectOutput(out == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(out.toFile()));
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timeout: " + String.join(" ", cmd));
        }
        return p.exitValue();
    }

    /** {@code smtp-source} with {@code sessions} parallel sessions sending {@code messages} of 1 KiB. */
    ProcessBuilder smtpSource(int sessions, int messages, int toPort) {
        return new ProcessBuilder("smtp-source", "-s", Integer.toString(sessions), "-m", Integer.toString(messages),
                "-l", "1024", "-f", "sender@jmaster.test", "-t", "nobody@localhost", "127.0.0.1:" + toPort)
                .redirectErrorStream(true);
    }

    long delivered() {
        return count(mailbox, Pattern.compile("^From "));
    }

    long logCount(String regex) {
        return count(maillog, Pattern.compile(regex));
    }

    String log() {
        try {
            return Files.exists(maillog) ? Files.readString(maillog) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void awaitDelivered(long n, Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(200)).until(() -> delivered() >= n);
    }

    private static long count(Path file, Pattern p) {
        if (!Files.exists(file)) {
            return 0;
        }
        try (Stream<String> lines = Files.lines(file, java.nio.charset.StandardCharsets.ISO_8859_1)) {
            return lines.filter(l -> p.matcher(l).find()).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    long masterPid() throws IOException {
        Path pid = queue.resolve("pid/master.pid");
        return Files.exists(pid) ? Long.parseLong(Files.readString(pid).trim()) : -1;
    }

    @Override
    public void close() throws IOException {
        long pid = masterPid();
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(h -> {
                List<ProcessHandle> kids = h.children().toList();
                h.destroyForcibly();
                kids.forEach(ProcessHandle::destroyForcibly);
            });
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // sockets of a killed instance may vanish under us; what is left is in /tmp
        }
    }
}
