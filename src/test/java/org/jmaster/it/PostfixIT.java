package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stock Postfix daemons (Debian's package), unmodified, under jmaster: mail in through smtpd and
 * sendmail/pickup, delivered by qmgr and local; Postfix's own control script drives jmaster.
 * Needs root (Postfix's daemons drop privileges themselves) and the postfix package, which
 * {@code .ci/run} installs.
 */
class PostfixIT {
    @BeforeAll
    static void rootAndPostfix() {
        Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0,
                "skipped: running stock Postfix daemons needs root (CI runs as root)");
        Assumptions.assumeTrue(Files.isExecutable(PostfixInstance.DAEMONS.resolve("smtpd")),
                "skipped: Debian's postfix package is not installed (.ci/run installs it)");
    }

    @Test
    void detachedJmasterRunsPostfixAndPostfixsControlScriptDrivesIt() throws Exception {
        int port = MasterProcess.freePort();
        try (PostfixInstance pf = new PostfixInstance(port)) {
            Path out = pf.dir.resolve("cmd.out");
            assertThat(pf.run(out, MasterProcess.REPO.resolve("master").toString(), "-c", pf.conf.toString()))
                    .as("detached start").isZero();
            long master = pf.masterPid();
            // the data lock belongs to mail_owner, as Postfix's own master creates it
            assertThat(Files.getOwner(pf.dir.resolve("data/master.lock")).getName()).isEqualTo("postfix");

            // 1000 messages through smtpd -> cleanup -> qmgr -> local
            long t0 = System.nanoTime();
            Process load = pf.smtpSource(10, 1000, port).redirectOutput(out.toFile()).start();
            assertThat(load.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(load.exitValue()).as(Files.readString(out)).isZero();
            pf.awaitDelivered(1000, Duration.ofSeconds(120));
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("PostfixIT: 1000 messages (10 sessions, 1 KiB) delivered in %.2f s under jmaster%n",
                    seconds);
            await().atMost(Duration.ofSeconds(30)).until(() -> pf.logCount("postfix/local\\[\\d+\\]: .* status=sent") >= 1000);
            assertThat(pf.delivered()).isEqualTo(1000);

            // sendmail -> postdrop -> maildrop -> pickup -> cleanup -> qmgr -> local
            Process sm = new ProcessBuilder("/usr/sbin/sendmail", "-C", pf.conf.toString(), "-f", "root@jmaster.test",
                    "nobody@localhost").redirectErrorStream(true).redirectOutput(out.toFile()).start();
            sm.getOutputStream().write("Subject: via sendmail\n\npicked up\n".getBytes());
            sm.getOutputStream().close();
            assertThat(sm.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(sm.exitValue()).as(Files.readString(out)).isZero();
            pf.awaitDelivered(1001, Duration.ofSeconds(90));
            assertThat(pf.log()).containsPattern("postfix/pickup\\[\\d+\\]: \\w+: uid=0 from=<root@jmaster.test>");

            // showq answers
            assertThat(pf.run(out, "/usr/sbin/postqueue", "-c", pf.conf.toString(), "-p")).isZero();
            assertThat(Files.readString(out)).contains("Mail queue is empty");

            // postfix status sees jmaster through the pid lock
            assertThat(pf.run(out, "/usr/sbin/postfix", "-c", pf.conf.toString(), "status")).isZero();
            assertThat(Files.readString(out) + pf.log()).contains("the Postfix mail system is running: PID: " + master);

            // reload with a changed master.cf while mail flows: no message lost, no client refused
            int port2 = MasterProcess.freePort();
            Process flowing = pf.smtpSource(5, 300, port).redirectOutput(pf.dir.resolve("load.out").toFile()).start();
            pf.writeMasterCf(List.of("127.0.0.1:" + port2 + " inet n - n - 4 smtpd"), "20");
            assertThat(pf.run(out, "/usr/sbin/postfix", "-c", pf.conf.toString(), "reload")).isZero();
            assertThat(flowing.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(flowing.exitValue()).as(Files.readString(pf.dir.resolve("load.out"))).isZero();
            assertThat(pf.log()).contains("reload -- version");
            Process second = pf.smtpSource(2, 20, port2).redirectOutput(out.toFile()).start();
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(second.exitValue()).as(Files.readString(out)).isZero();
            pf.awaitDelivered(1321, Duration.ofSeconds(90));
            assertThat(ProcessHandle.of(master)).map(ProcessHandle::isAlive).contains(true);

            // kill -9 of an smtpd under load: logged, survived, queue intact
            Process busy = pf.smtpSource(5, 200, port).redirectOutput(pf.dir.resolve("busy.out").toFile()).start();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                    .until(() -> smtpdChild(master).isPresent() || !busy.isAlive());
            Optional<ProcessHandle> smtpd = smtpdChild(master);
            assertThat(smtpd).as("an smtpd child while smtp-source runs").isPresent();
            long killed = smtpd.get().pid();
            smtpd.get().destroyForcibly();
            busy.waitFor(120, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).until(() -> pf.log().contains(
                    "process /usr/lib/postfix/sbin/smtpd pid " + killed + " killed by signal 9"));
            long before = pf.delivered();
            Process after = pf.smtpSource(2, 20, port).redirectOutput(out.toFile()).start();
            assertThat(after.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(after.exitValue()).as(Files.readString(out)).isZero();
            pf.awaitDelivered(before + 20, Duration.ofSeconds(60));
            assertThat(pf.run(out, "/usr/sbin/postqueue", "-c", pf.conf.toString(), "-p")).isZero();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                pf.run(out, "/usr/sbin/postqueue", "-c", pf.conf.toString(), "-p");
                return Files.readString(out).contains("Mail queue is empty");
            });
            try (var corrupt = Files.list(pf.queue.resolve("corrupt"))) {
                assertThat(corrupt).isEmpty();
            }

            // postfix stop stops jmaster and every daemon
            List<ProcessHandle> daemons = ProcessHandle.of(master).orElseThrow().children().toList();
            assertThat(daemons).isNotEmpty();
            assertThat(pf.run(out, "/usr/sbin/postfix", "-c", pf.conf.toString(), "stop")).isZero();
            await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(master).isEmpty()
                    && daemons.stream().noneMatch(ProcessHandle::isAlive));
            assertThat(pf.run(out, "/usr/sbin/postfix", "-c", pf.conf.toString(), "status")).isEqualTo(1);
            assertThat(pf.log()).doesNotContain("panic:").doesNotContainPattern("postfix/\\w+\\[\\d+\\]: fatal:");
        }
    }

    private static Optional<ProcessHandle> smtpdChild(long master) {
        return ProcessHandle.of(master).orElseThrow().children()
                .filter(h -> h.info().command().orElse("").endsWith("/smtpd")).findFirst();
    }

    @Test
    void foregroundJmasterDeliversMail() throws Exception {
        int port = MasterProcess.freePort();
        try (PostfixInstance pf = new PostfixInstance(port)) {
            Path log = pf.dir.resolve("master.out");
            Process master = new ProcessBuilder(MasterProcess.REPO.resolve("master").toString(), "-c",
                    pf.conf.toString(), "-d").redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(log).contains("daemon started"));
                Process load = pf.smtpSource(4, 100, port).start();
                assertThat(load.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(load.exitValue()).isZero();
                pf.awaitDelivered(100, Duration.ofSeconds(60));
                assertThat(Files.readString(log)).contains("postfix/master[" + master.pid() + "]: daemon started");
            } finally {
                master.destroy();
                assertThat(master.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(Files.readString(log)).contains("terminating on signal 15");
        }
    }
}
