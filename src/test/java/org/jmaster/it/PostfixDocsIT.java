package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
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
import org.junit.jupiter.api.Test;

/**
 * Issue 17: docs/postfix.md's two recipes, pasted into bash as written but for the values of their
 * first lines (the directory, the port, the configuration directory): a private Postfix instance run
 * by jmaster, then the same instance started by Postfix's own master and moved to jmaster.
 */
class PostfixDocsIT {
    record Run(int rc, String out) {}

    private static Run bash(Path pathDir, String script) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-e", "-o", "pipefail", "-c", script).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("PATH", pathDir + ":" + System.getenv("PATH"));
        pb.environment().remove("MAIL_CONFIG");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as(script).isTrue();
        return new Run(p.exitValue(), out);
    }

    /** The recipe of {@code kind}, with its lines that set {@code name=} given {@code value}. */
    private static String recipe(String kind, String... nameValues) {
        List<DocBlocks.Block> blocks = DocBlocks.all(kind);
        assertThat(blocks).as(kind).hasSize(1);
        List<String> lines = new ArrayList<>(blocks.get(0).lines());
        for (int i = 0; i + 1 < nameValues.length; i += 2) {
            String name = nameValues[i];
            int at = -1;
            for (int j = 0; j < lines.size(); j++) {
                if (lines.get(j).startsWith(name + "=")) {
                    at = j;
                    break;
                }
            }
            assertThat(at).as(kind + " sets " + name).isNotNegative();
            lines.set(at, name + "=" + nameValues[i + 1]);
        }
        return String.join("\n", lines) + "\n";
    }

    private static long delivered(Path mailbox) throws Exception {
        if (!Files.exists(mailbox)) {
            return 0;
        }
        return Pattern.compile("(?m)^From ").matcher(Files.readString(mailbox, StandardCharsets.ISO_8859_1))
                .results().count();
    }

    private static String cmdline(long pid) throws Exception {
        return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
    }

    @Test
    void thePrivateInstanceRecipeAndTheMoveRecipeRunAsWritten() throws Exception {
        assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "needs root");
        assumeTrue(Files.isExecutable(PostfixInstance.DAEMONS.resolve("smtpd")), "needs Debian's postfix");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/swaks")), "needs swaks");
        Path parent = Files.createTempDirectory(Path.of("/tmp"), "jmaster-docs-");
        Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path bin = Files.createDirectories(parent.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("jmaster"), MasterProcess.REPO.resolve("master"));
        Path dir = parent.resolve("postfix-try");
        Path conf = dir.resolve("conf");
        Path mailbox = dir.resolve("mail/nobody");
        int port = MasterProcess.freePort();
        try {
            Run tried = bash(bin, recipe("postfix-private", "dir", dir.toString(), "port", Integer.toString(port)));
            assertThat(tried.rc()).as(tried.out()).isZero();
            assertThat(tried.out()).contains("250 2.0.0 Ok: queued as").contains("From me@try.example");
            assertThat(delivered(mailbox)).isEqualTo(1);
            assertThat(Files.readString(dir.resolve("maillog"))).contains("/master[").contains("daemon started");

            // the same instance under Postfix's own master, then moved
            Run started = bash(bin, "postfix -c '" + conf + "' start");
            assertThat(started.rc()).as(started.out()).isZero();
            long postfixMaster = Long.parseLong(Files.readString(dir.resolve("queue/pid/master.pid")).trim());
            assertThat(cmdline(postfixMaster)).doesNotContain("org.jmaster");
            Run moved = bash(bin, recipe("postfix-move", "conf", conf.toString()));
            assertThat(moved.rc()).as(moved.out()).isZero();
            long master = Long.parseLong(Files.readString(dir.resolve("queue/pid/master.pid")).trim());
            assertThat(cmdline(master)).as("jmaster now holds the lock").contains("org.jmaster.cli.Main");
            Run sent = bash(bin, "swaks --server 127.0.0.1:" + port + " --from me@try.example --to nobody@localhost");
            assertThat(sent.rc()).as(sent.out()).isZero();
            await().atMost(Duration.ofSeconds(60)).until(() -> delivered(mailbox) == 2);
            Run stopped = bash(bin, "postfix -c '" + conf + "' stop");
            assertThat(stopped.rc()).as(stopped.out()).isZero();
            await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(master).isEmpty());
        } finally {
            Path pidFile = dir.resolve("queue/pid/master.pid");
            if (Files.exists(pidFile)) {
                ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).ifPresent(h -> {
                    h.descendants().forEach(ProcessHandle::destroyForcibly);
                    h.destroyForcibly();
                });
            }
            try (Stream<Path> walk = Files.walk(parent)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (java.io.IOException e) {
                // a socket of a killed instance may vanish under us; the rest is in /tmp
            }
        }
    }
}
