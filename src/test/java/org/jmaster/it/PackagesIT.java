package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What {@code mvn package} makes (packaging/build), installed and run for real: the Debian package
 * installed with dpkg, run, and purged without a trace; the jmaster-postfix drop-in on a private
 * Postfix instance, and Postfix's own master back after its removal; the tarball run from a
 * temporary directory through a symlink by a user who cannot write it; a second build that gives
 * the same bytes. The install tests need root and dpkg (CI has both) and leave the machine as they
 * found it, whatever happens.
 */
class PackagesIT {
    static final Path TARGET = MasterProcess.REPO.resolve("target");
    static final List<String> ROOTS = List.of("/etc", "/usr", "/lib", "/var", "/opt", "/bin", "/sbin");
    /** Changed by anything that runs on this machine, or rebuilt by the tools a package triggers. */
    static final List<String> NOT_COMPARED = List.of("/var/tmp", "/var/log", "/var/cache/man", "/var/cache/apt",
            "/var/lib/apt", "/var/lib/dpkg", "/var/spool/postfix", "/var/lib/postfix", "/var/mail", "/var/cache/debconf",
            "/var/lib/systemd", "/var/cache/ldconfig");
    /** The lock and the backups of the user database that useradd and userdel write (the account itself is checked). */
    static final Set<String> NOT_COMPARED_FILES = Set.of("/etc/.pwd.lock", "/etc/passwd-", "/etc/group-",
            "/etc/shadow-", "/etc/gshadow-", "/etc/subuid-", "/etc/subgid-");

    static boolean root() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }

    static Path artifact(String glob) throws IOException {
        try (Stream<Path> s = Files.list(TARGET)) {
            List<Path> found = s.filter(p -> TARGET.getFileSystem().getPathMatcher("glob:" + glob)
                    .matches(p.getFileName())).toList();
            assertThat(found).as("target/" + glob + " (made by mvn package)").hasSize(1);
            return found.get(0);
        }
    }

    static void assumeDpkgAndRoot() {
        assumeTrue(root(), "skipped: installing packages needs root (CI runs as root)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/dpkg")), "skipped: not a Debian system (no dpkg)");
    }

    static boolean installed(String pkg) throws Exception {
        Result r = run(null, "dpkg-query", "-W", "-f=${Status}", pkg);
        return r.rc == 0 && r.out.contains("install ok installed");
    }

    @Test
    void theDebianPackageInstallsRunsAndPurgesWithoutATrace() throws Exception {
        assumeDpkgAndRoot();
        assumeTrue(!installed("jmaster") && !Files.exists(Path.of("/etc/jmaster")),
                "skipped: jmaster is installed on this machine; the test installs and purges its own");
        Path deb = artifact("jmaster_*_*.deb");
        Set<String> before = snapshot();
        // what the package holds, and which of it was there before (/usr/share/man, /lib, ...)
        Set<String> preexisting = new TreeSet<>();
        Result contents = run(null, "sh", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -t", "sh", deb.toString());
        assertThat(contents.rc).as(contents.out).isZero();
        for (String line : contents.out.lines().toList()) {
            String f = Path.of("/").resolve(line).normalize().toString();
            if (Files.exists(Path.of(f), LinkOption.NOFOLLOW_LINKS)) {
                preexisting.add(f);
            }
        }
        Process master = null;
        Path log = Files.createTempFile("jmaster-deb-", ".log");
        try {
            Result install = run(null, "dpkg", "-i", deb.toString());
            assertThat(install.rc).as(install.out).isZero();
            List<String> files = run(null, "dpkg", "-L", "jmaster").out.lines().toList();
            assertThat(files).contains("/usr/sbin/jmaster", "/usr/lib/jmaster/lib/jmaster.jar", "/etc/jmaster/main.cf",
                    "/lib/systemd/system/jmaster.service", "/usr/share/man/man8/jmaster.8.gz");
            assertThat(Path.of("/var/spool/jmaster")).as("the master makes its spool itself").doesNotExist();
            Result man = run(null, "man", "-w", "8", "jmaster");
            assertThat(man.out.trim()).as(man.out).isEqualTo("/usr/share/man/man8/jmaster.8.gz");

            master = new ProcessBuilder("/usr/sbin/jmaster", "-c", "/etc/jmaster", "-d").redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            Process started = master;
            await().atMost(Duration.ofSeconds(60)).until(() -> !started.isAlive()
                    || Files.readString(log).contains("daemon started -- version"));
            assertThat(master.isAlive()).as(Files.readString(log)).isTrue();

            String said = smtp(2525, DefaultConfigIT.readmeSession());
            assertThat(said).as(said).contains("250 2.0.0 Ok: queued as ");
            Path maildir = Path.of("/var/spool/jmaster/Maildir/new");
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.isDirectory(maildir) && count(maildir) == 1);
            try (Stream<Path> s = Files.list(maildir)) {
                assertThat(Files.readString(s.findFirst().orElseThrow())).contains("Hello from the README.");
            }
            Result status = run(null, "/usr/sbin/jmaster", "-c", "/etc/jmaster", "status");
            assertThat(status.rc).as(status.out).isZero();
            assertThat(status.out).contains("127.0.0.1:2525", "configuration /etc/jmaster");
            Result stop = run(null, "/usr/sbin/jmaster", "-c", "/etc/jmaster", "stop");
            assertThat(stop.rc).as(stop.out).isZero();
            assertThat(master.waitFor(30, TimeUnit.SECONDS)).isTrue();

            Result purge = run(null, "dpkg", "--purge", "jmaster");
            assertThat(purge.rc).as(purge.out).isZero();
            for (String f : files) {
                if (!preexisting.contains(Path.of(f).normalize().toString())) {
                    assertThat(Path.of(f)).as("installed by the package and left after the purge").doesNotExist();
                }
            }
            Set<String> after = snapshot();
            Set<String> left = new TreeSet<>(after);
            left.removeAll(before);
            assertThat(left).as("paths that the purge left").isEmpty();
            assertThat(run(null, "getent", "passwd", "jmaster").rc).as("the services' account is gone").isNotZero();
        } finally {
            if (master != null && master.isAlive()) {
                master.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
                master.destroyForcibly();
                master.waitFor(10, TimeUnit.SECONDS);
            }
            if (installed("jmaster") || Files.exists(Path.of("/var/lib/dpkg/info/jmaster.list"))) {
                run(null, "dpkg", "--purge", "jmaster");
            }
            Files.deleteIfExists(log);
        }
    }

    @Test
    void jmasterPostfixRunsJmasterAsPostfixsMasterAndItsRemovalBringsPostfixsBack() throws Exception {
        assumeDpkgAndRoot();
        Path postfixMaster = PostfixInstance.DAEMONS.resolve("master");
        assumeTrue(Files.isExecutable(PostfixInstance.DAEMONS.resolve("smtpd")),
                "skipped: Debian's postfix package is not installed (.ci/run installs it)");
        assumeTrue(!installed("jmaster") && !installed("jmaster-postfix"),
                "skipped: jmaster is installed on this machine; the test installs and purges its own");
        String stock = sha256(postfixMaster);
        Path deb = artifact("jmaster_*_*.deb");
        Path dropIn = artifact("jmaster-postfix_*_all.deb");
        try (PostfixInstance pf = new PostfixInstance(MasterProcess.freePort())) {
            // a stock main.cf does not name the daemon directory: Postfix has it compiled in
            Path mainCf = pf.conf.resolve("main.cf");
            Files.writeString(mainCf, String.join("\n", Files.readAllLines(mainCf).stream()
                    .filter(l -> !l.startsWith("daemon_directory")).toList()) + "\n");
            Path out = pf.dir.resolve("cmd.out");
            try {
                Result install = run(null, "dpkg", "-i", deb.toString(), dropIn.toString());
                assertThat(install.rc).as(install.out).isZero();
                assertThat(run(null, "dpkg-divert", "--list", postfixMaster.toString()).out).contains("jmaster-postfix");
                assertThat(sha256(PostfixInstance.DAEMONS.resolve("master.postfix"))).isEqualTo(stock);

                assertThat(pf.run(out, "/usr/sbin/postfix", "-c", pf.conf.toString(), "start")).as(log(out, pf)).isZero();
                long pid = pf.masterPid();
                assertThat(cmdline(pid)).as("postfix start runs jmaster").contains("org.jmaster.cli.Main");
                Process mail = pf.smtpSource(1, 1, pf.port).redirectOutput(out.toFile()).start();
                assertThat(mail.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(mail.exitValue()).as(Files.readString(out)).isZero();
                pf.awaitDelivered(1, Duration.ofSeconds(60));
                assertThat(pf.run(out, "/usr/sbin/postfix", "-c", pf.conf.toString(), "stop")).as(log(out, pf)).isZero();
                await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(pid).isEmpty());

                // postfix start-fg (not as PID 1) runs master -s: jmaster serves in the foreground until postfix stop
                Process fg = new ProcessBuilder("/usr/sbin/postfix", "-c", pf.conf.toString(), "start-fg")
                        .redirectErrorStream(true).redirectOutput(pf.dir.resolve("start-fg.out").toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
                try {
                    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> !fg.isAlive()
                            || pf.masterPid() != pid && pf.logCount("daemon started -- version") >= 2);
                    assertThat(fg.isAlive()).as(Files.readString(pf.dir.resolve("start-fg.out"))).isTrue();
                    long fgPid = pf.masterPid();
                    assertThat(cmdline(fgPid)).contains("org.jmaster.cli.Main", " -s");
                    assertThat(fg.toHandle().descendants().map(ProcessHandle::pid)).contains(fgPid);
                    assertThat(pf.run(out, "/usr/sbin/postfix", "-c", pf.conf.toString(), "stop")).as(log(out, pf)).isZero();
                    assertThat(fg.waitFor(30, TimeUnit.SECONDS)).as("start-fg returns when the master is gone").isTrue();
                } finally {
                    fg.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
                    fg.destroyForcibly();
                }

                Result remove = run(null, "dpkg", "--purge", "jmaster-postfix");
                assertThat(remove.rc).as(remove.out).isZero();
                assertThat(sha256(postfixMaster)).as("Postfix's master is back").isEqualTo(stock);
                assertThat(PostfixInstance.DAEMONS.resolve("master.postfix")).doesNotExist();
                assertThat(pf.run(out, "/usr/sbin/postfix", "-c", pf.conf.toString(), "start")).as(log(out, pf)).isZero();
                long stockPid = pf.masterPid();
                assertThat(Files.readSymbolicLink(Path.of("/proc/" + stockPid + "/exe"))).isEqualTo(postfixMaster);
                assertThat(pf.run(out, "/usr/sbin/postfix", "-c", pf.conf.toString(), "stop")).as(log(out, pf)).isZero();
                await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(stockPid).isEmpty());
            } finally {
                if (installed("jmaster-postfix") || Files.exists(Path.of("/var/lib/dpkg/info/jmaster-postfix.list"))) {
                    long pid = pf.masterPid();
                    if (pid > 0) {
                        ProcessHandle.of(pid).ifPresent(h -> {
                            h.descendants().forEach(ProcessHandle::destroyForcibly);
                            h.destroyForcibly();
                        });
                    }
                    run(null, "dpkg", "--purge", "jmaster-postfix");
                }
                if (installed("jmaster") || Files.exists(Path.of("/var/lib/dpkg/info/jmaster.list"))) {
                    run(null, "dpkg", "--purge", "jmaster");
                }
            }
        }
        assertThat(sha256(postfixMaster)).isEqualTo(stock);
        assertThat(run(null, "dpkg-divert", "--list", postfixMaster.toString()).out).doesNotContain("jmaster");
    }

    @Test
    void theTarballRunsFromWhereverItIsUnpackedThroughASymlinkByAUserWhoCannotWriteIt() throws Exception {
        Path tarball = artifact("jmaster-*.tar.gz");
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "jmaster-tarball-");
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Result untar = run(null, "tar", "-xzf", tarball.toString(), "-C", dir.toString());
            assertThat(untar.rc).as(untar.out).isZero();
            Path tree;
            try (Stream<Path> s = Files.list(dir)) {
                tree = s.findFirst().orElseThrow();
            }
            Path link = Files.createSymbolicLink(dir.resolve("jmaster"), tree.resolve("bin/master"));
            List<String> as = new ArrayList<>();
            if (root()) {
                as.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
            } else {
                run(null, "chmod", "-R", "a-w", tree.toString());
            }
            Set<String> files = listing(tree);
            List<String> test = new ArrayList<>(as);
            test.addAll(List.of(link.toString(), "-c", tree.resolve("etc").toString(), "-t"));
            Result t = run(null, test.toArray(String[]::new));
            assertThat(t.rc).as("master -t: no master runs; " + t.out).isZero();
            assertThat(t.out).isEmpty();
            List<String> check = new ArrayList<>(as);
            check.addAll(List.of(link.toString(), "-c", "etc", "--check"));
            Result c = run(tree.toFile(), check.toArray(String[]::new));
            assertThat(c.rc).as(c.out).isZero();
            assertThat(c.out).as("the daemon directory is the tree's libexec/")
                    .contains("# " + tree.toRealPath().resolve("libexec/smtpd"));
            assertThat(listing(tree)).as("nothing written into the tree").isEqualTo(files);
        } finally {
            run(null, "chmod", "-R", "u+w", dir.toString());
            deleteTree(dir);
        }
    }

    @Test
    void aSecondBuildGivesTheSameBytes() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/mvn")) || run(null, "sh", "-c", "command -v mvn").rc == 0,
                "skipped: no mvn");
        List<String> names = List.of("jmaster.jar", artifact("jmaster-*.tar.gz").getFileName().toString(),
                artifact("jmaster_*_*.deb").getFileName().toString(),
                artifact("jmaster-postfix_*_all.deb").getFileName().toString());
        Path copy = Files.createTempDirectory("jmaster-rebuild-");
        try {
            Path src = copy.resolve("jmaster");
            copySources(MasterProcess.REPO, src);
            Result build = run(src.toFile(), "mvn", "-o", "-B", "-q", "-Dstyle.color=never", "-DskipTests", "package");
            assertThat(build.rc).as(build.out).isZero();
            StringBuilder sums = new StringBuilder();
            for (String n : names) {
                String first = sha256(TARGET.resolve(n));
                assertThat(sha256(src.resolve("target").resolve(n))).as(n + " built twice").isEqualTo(first);
                sums.append(first).append("  ").append(n).append('\n');
            }
            System.out.print("PackagesIT: reproducible (built twice, in two directories):\n" + sums);
        } finally {
            deleteTree(copy);
        }
    }

    /** The tracked files of the checkout (all but target/ when it is not a git checkout), as they are now. */
    private static void copySources(Path from, Path to) throws Exception {
        List<String> files;
        Result git = run(from.toFile(), "git", "ls-files", "-z");
        if (git.rc == 0 && !git.out.isEmpty()) {
            files = List.of(git.out.split("\0"));
        } else {
            try (Stream<Path> s = Files.walk(from)) {
                files = s.filter(Files::isRegularFile).map(p -> from.relativize(p).toString())
                        .filter(p -> !p.startsWith("target/") && !p.startsWith(".git/")).toList();
            }
        }
        for (String f : files) {
            Path src = from.resolve(f);
            if (!Files.isRegularFile(src, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            Path dst = to.resolve(f);
            Files.createDirectories(dst.getParent());
            Files.copy(src, dst, StandardCopyOption.COPY_ATTRIBUTES);
        }
    }

    /** Every path under the directories a package writes to, less those that others change. */
    private static Set<String> snapshot() throws IOException {
        Set<String> paths = new TreeSet<>();
        for (String r : ROOTS) {
            Path root = Path.of(r);
            if (Files.isSymbolicLink(root) || !Files.isDirectory(root)) {
                continue;
            }
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
                    if (NOT_COMPARED.contains(d.toString())) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    paths.add(d.toString());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                    if (!NOT_COMPARED_FILES.contains(f.toString())) {
                        paths.add(f.toString());
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        return paths;
    }

    private static Set<String> listing(Path tree) throws IOException {
        try (Stream<Path> s = Files.walk(tree)) {
            return new TreeSet<>(s.map(Path::toString).toList());
        }
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    private static String cmdline(long pid) throws IOException {
        return Files.readString(Path.of("/proc/" + pid + "/cmdline"), StandardCharsets.ISO_8859_1).replace('\0', ' ');
    }

    private static String log(Path out, PostfixInstance pf) throws IOException {
        return (Files.exists(out) ? Files.readString(out) : "") + pf.log();
    }

    private static String smtp(int port, String session) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.setSoTimeout(60_000);
            s.getOutputStream().write(session.getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    record Result(int rc, String out) {}

    static Result run(File cwd, String... cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("jmaster-run-", ".out");
        try {
            Process p = new ProcessBuilder(cmd).directory(cwd).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timeout: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
