package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.jmaster.nativ.Inodes;
import org.jmaster.nativ.TestNative;
import org.jmaster.nativ.Users;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command on the default configuration (conf/ of this checkout, copied so that
 * its var/ lands in a temporary directory): smtpd on 127.0.0.1:2525 takes a message as the README
 * sends it, echo answers on 127.0.0.1:7007 and on var/spool/private/echo, sweep runs, the log is on
 * standard error and in var/log/jmaster.log; as the user running the tests and, when that is root,
 * as an ordinary user too.
 */
class DefaultConfigIT {
    /** The README's commands after {@code ./master -c conf -d}, read from README.md itself. */
    static final List<String> README = readmeCommands();

    private static List<String> readmeCommands() {
        try {
            List<String> lines = Files.readAllLines(MasterProcess.REPO.resolve("README.md"));
            int first = lines.indexOf("    ./master -c conf -d");
            assertThat(first).as("README.md shows ./master -c conf -d").isNotNegative();
            List<String> out = new ArrayList<>();
            for (int i = first + 1; i < lines.size() && lines.get(i).startsWith("    "); i++) {
                out.add(lines.get(i).substring(4));
            }
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The bytes the README pipes into nc: its printf format with the escapes applied. */
    static String readmeSession() {
        String line = README.stream().filter(l -> l.startsWith("printf '") && l.endsWith("' | nc 127.0.0.1 2525"))
                .findFirst().orElseThrow(() -> new AssertionError("no printf ... | nc line in README.md: " + README));
        return line.substring("printf '".length(), line.length() - "' | nc 127.0.0.1 2525".length())
                .replace("\\r", "\r").replace("\\n", "\n");
    }

    /** The README's swaks arguments. */
    static List<String> readmeSwaks() {
        String line = README.stream().filter(l -> l.startsWith("swaks ")).findFirst()
                .orElseThrow(() -> new AssertionError("no swaks line in README.md: " + README));
        return List.of(line.split(" +"));
    }

    @TempDir
    Path tmp;

    private Path copyConf(Path base) throws IOException {
        Path conf = Files.createDirectories(base.resolve("conf"));
        for (String f : new String[] {"main.cf", "master.cf"}) {
            Files.copy(MasterProcess.REPO.resolve("conf").resolve(f), conf.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        return conf;
    }

    private Process start(List<String> prefix, Path conf, Path out) throws IOException {
        return start(prefix, MasterProcess.REPO, conf, out);
    }

    private Process start(List<String> prefix, Path install, Path conf, Path out) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(install.resolve("master").toString(), "-c", conf.toString(), "-d"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> !p.isAlive()
                || Files.exists(out) && Files.readString(out).contains("daemon started -- version"));
        assertThat(p.isAlive()).as(Files.readString(out)).isTrue();
        return p;
    }

    private static void stop(Process p) throws InterruptedException {
        List<ProcessHandle> kids = p.toHandle().children().toList();
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        kids.forEach(ProcessHandle::destroyForcibly);
    }

    /** The README's nc session, byte for byte; returns everything the server said. */
    private static String ncSession() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 2525), 10_000);
            s.setSoTimeout(60_000);
            s.getOutputStream().write(readmeSession().getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static String echoTcp(String text) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 7007), 10_000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
            byte[] b = s.getInputStream().readNBytes(text.length());
            return new String(b, StandardCharsets.US_ASCII);
        }
    }

    private static String echoUnix(Path socket, String text) throws IOException {
        try (SocketChannel u = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            u.connect(UnixDomainSocketAddress.of(socket));
            u.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer back = ByteBuffer.allocate(text.length());
            while (back.hasRemaining() && u.read(back) > 0) {
                // until all of it came back
            }
            return new String(back.array(), 0, back.position(), StandardCharsets.US_ASCII);
        }
    }

    private void checkTheSystem(Path base, Process master, Path out) throws Exception {
        Path var = base.resolve("var");
        String said = ncSession();
        assertThat(said).startsWith("220 ").contains("\r\n354 ", "\r\n250 2.0.0 Ok: queued as ").endsWith("\r\n221 2.0.0 Bye\r\n");
        if (Services.haveSwaks()) {
            List<String> cmd = new ArrayList<>(readmeSwaks());
            cmd.add("--hide-all");
            Process swaks = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(base.resolve("swaks.out").toFile()).start();
            assertThat(swaks.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(swaks.exitValue()).as(Files.readString(base.resolve("swaks.out"))).isZero();
        }
        Path maildir = var.resolve("spool/Maildir");
        List<Path> stored = Services.files(maildir, "new");
        assertThat(stored).hasSize(Services.haveSwaks() ? 2 : 1);
        assertThat(stored.stream().map(Services::read)).anyMatch(t -> t.contains("\nHello from the README.\n"));
        assertThat(echoTcp("ping\n")).isEqualTo("ping\n");
        assertThat(echoUnix(var.resolve("spool/private/echo"), "pong\n")).isEqualTo("pong\n");
        // sweep was woken at start: its process is up (it has nothing to remove, so it says nothing)
        await().atMost(Duration.ofSeconds(30)).until(() -> master.toHandle().children()
                .anyMatch(c -> c.info().arguments().map(a -> String.join(" ", a)).orElse("")
                        .contains("org.jmaster.services.Sweep")));
        // the log: on standard error (-d) and in var/log/jmaster.log
        Path log = var.resolve("log/jmaster.log");
        Pattern stored1 = Pattern.compile("jmaster/smtpd\\[\\d+\\]: [0-9A-F]+: client=unknown\\[127\\.0\\.0\\.1\\], "
                + "from=<me@example\\.org>, nrcpt=1, size=\\d+, stored as new/");
        await().atMost(Duration.ofSeconds(10)).until(() -> stored1.matcher(Files.readString(log)).find()
                && stored1.matcher(Files.readString(out)).find());
        assertThat(Files.readString(out)).doesNotContain("warning", "fatal", "panic");
        // reload and stop as the README says, from the directory that holds var/
        List<String> kills = README.stream().filter(l -> l.startsWith("kill ")).toList();
        assertThat(kills).hasSize(2);
        assertThat(sh(base, kills.get(0))).isZero();
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(out).contains("reload -- version"));
        assertThat(ncSession()).contains("\r\n250 2.0.0 Ok: queued as ");
        List<ProcessHandle> kids = master.toHandle().children().toList();
        assertThat(kids).isNotEmpty();
        assertThat(sh(base, kills.get(1))).isZero();
        assertThat(master.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(out)).contains("terminating on signal 15");
        await().atMost(Duration.ofSeconds(10)).until(() -> kids.stream().noneMatch(ProcessHandle::isAlive));
    }

    private static int sh(Path dir, String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command).directory(dir.toFile()).inheritIO().start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    @Test
    void theReadmesFirstCommandGivesAWorkingSystem() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path conf = copyConf(tmp);
        Path out = tmp.resolve("stderr");
        Process master = start(List.of(), conf, out);
        try {
            checkTheSystem(tmp, master, out);
            if (Users.geteuid() == 0) {
                Users.Passwd nobody = Users.getpwnam("nobody").orElseThrow();
                Path stored = Services.files(tmp.resolve("var/spool/Maildir"), "new").get(0);
                assertThat(Inodes.lstat(stored.toString()).uid()).isEqualTo(nobody.uid());
            }
        } finally {
            stop(master);
        }
    }

    @Test
    void itWorksForAnOrdinaryUserToo() throws Exception {
        assumeTrue(Users.geteuid() == 0, "already running as an ordinary user: see the other case");
        Users.Passwd nobody = Users.getpwnam("nobody").orElseThrow();
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path home = Files.createDirectories(tmp.resolve("home"));
        TestNative.chown(home.toString(), nobody.uid(), nobody.gid());
        Path conf = copyConf(home);
        Path out = tmp.resolve("stderr");
        // the checkout itself may sit in a directory the user cannot enter (a clone under 0700):
        // give the user an installed copy (launcher, services, built jar and exec step) instead
        Path install = Files.createDirectories(tmp.resolve("install"));
        Files.createDirectories(install.resolve("target"));
        Process cp = new ProcessBuilder("sh", "-c", "cp -a \"$0/master\" \"$0/services\" \"$1\"/"
                + " && cp -a \"$0\"/target/jmaster.jar \"$0\"/target/jmaster-exec \"$1/target/\""
                + " && chmod -R a+rX \"$1\"", MasterProcess.REPO.toString(), install.toString()).inheritIO().start();
        assertThat(cp.waitFor()).isZero();
        Process master = start(List.of("setpriv", "--reuid=" + nobody.uid(), "--regid=" + nobody.gid(), "--clear-groups"),
                install, conf, out);
        try {
            checkTheSystem(home, master, out);
            assertThat(Files.readString(out)).contains("not running as root (uid " + nobody.uid() + ")");
        } finally {
            stop(master);
        }
    }
}
