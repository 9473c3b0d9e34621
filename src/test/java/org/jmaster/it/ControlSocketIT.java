package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jmaster.nativ.Inodes;
import org.jmaster.nativ.Users;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, finding 2: the control socket (and a unix metrics socket) against a local user —
 * {@code nobody} — who races the master's start-up or gets past the file's mode.
 */
class ControlSocketIT {
    @TempDir
    Path tmp;

    private static Users.Group controlGroup() {
        Optional<Users.Group> mail = Users.getgrnam("mail");
        Assumptions.assumeTrue(mail.isPresent() && Users.geteuid() == 0, "needs root and a group \"mail\"");
        return mail.get();
    }

    /**
     * Only root, the master's user and members of master_control_group are answered: nobody with
     * CAP_DAC_OVERRIDE (past the 0660 mode) is closed unanswered and its {@code abort} does nothing;
     * a member through a supplementary group gets the status. The same holds for the unix metrics
     * endpoint. Both files are root:mail 0660.
     */
    @Test
    void onlyRootAndTheControlGroupAreAnswered() throws Exception {
        Users.Group mail = controlGroup();
        Path pub = Hostile.publicDir("jmaster-ctl");
        Path ctl = pub.resolve("master.ctl");
        Path metrics = pub.resolve("metrics.sock");
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("master_control_socket = " + ctl + "\nmaster_control_group = mail\n"
                    + "master_metrics_listen = unix:" + metrics);
            m.masterCf(port + " inet n n n - 2 fake mode=hold " + m.rec()).start();
            for (String command : new String[] {"status", "abort"}) {
                Hostile.Result intruder = Hostile.run(Hostile.NOBODY_PAST_FILE_MODES, "request", ctl.toString(),
                        command);
                assertThat(intruder.exit()).as("nobody's " + command + " was answered: " + intruder.output())
                        .isEqualTo(3);
                assertThat(m.process.isAlive()).isTrue();
            }
            m.awaitLog("warning: control: refused connection: uid 65534 \\(pid \\d+\\) is not root and not in"
                    + " master_control_group mail");
            for (Path p : new Path[] {ctl, metrics}) {
                Inodes.Stat st = Inodes.lstat(p.toString());
                assertThat(st.isSocket()).isTrue();
                assertThat(st.uid()).isZero();
                assertThat(st.gid()).as(p + "'s group").isEqualTo(mail.gid());
                assertThat(st.permissions()).isEqualTo(0660);
            }
            Hostile.Result scraper = Hostile.run(Hostile.NOBODY_PAST_FILE_MODES, "request", metrics.toString(),
                    "GET /metrics HTTP/1.0\r\n\r");
            assertThat(scraper.exit()).as(scraper.output()).isEqualTo(3);
            m.awaitLog("warning: metrics: refused connection: uid 65534");

            Hostile.Result member = Hostile.run(Hostile.nobodyInGroup(mail.gid()), "request", ctl.toString(), "status");
            assertThat(member.exit()).as(member.output()).isZero();
            assertThat(member.output()).contains("\"pid\" : " + m.pid());
            Hostile.Result memberScrape = Hostile.run(Hostile.nobodyInGroup(mail.gid()), "request",
                    metrics.toString(), "GET /metrics HTTP/1.0\r\n\r");
            assertThat(memberScrape.output()).startsWith("HTTP/1.0 200 OK").contains("# EOF");

            assertThat(m.process.isAlive()).isTrue();
            assertThat(m.runCommand("-c", m.conf.toString(), "status")).isZero();
        } finally {
            Hostile.deleteTree(pub);
        }
    }

    /**
     * nobody connects to the control socket's path as fast as it can while the master starts, ten
     * times over: it never gets a connection, because the socket only ever appears (by rename) with
     * its final owner and mode, root:mail 0660. Before the fix the socket was bound 0666 and narrowed
     * afterwards, and nobody got answers.
     */
    @Test
    void theSocketNeverExistsWithAWiderModeThanItsFinalOne() throws Exception {
        Users.Group mail = controlGroup();
        Path pub = Hostile.publicDir("jmaster-ctl");
        Path ctl = pub.resolve("master.ctl");
        int port = MasterProcess.freePort();
        Pattern result = Pattern.compile("connected (\\d+) answered (\\d+)");
        int connected = 0;
        int answered = 0;
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("master_control_socket = " + ctl + "\nmaster_control_group = mail");
            m.masterCf(port + " inet n n n - 2 fake mode=hold " + m.rec());
            for (int round = 0; round < 10 && connected == 0; round++) {
                Process attacker = Hostile.start(Hostile.NOBODY, "race", ctl.toString(), "status", "3");
                java.nio.file.Files.deleteIfExists(m.log);
                m.start();
                assertThat(attacker.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                String out = new String(attacker.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                Matcher r = result.matcher(out);
                assertThat(r.find()).as(out).isTrue();
                connected += Integer.parseInt(r.group(1));
                answered += Integer.parseInt(r.group(2));
                Inodes.Stat st = Inodes.lstat(ctl.toString());
                assertThat(st.permissions()).isEqualTo(0660);
                assertThat(st.gid()).isEqualTo(mail.gid());
                m.close();
            }
            assertThat(connected).as("connections nobody made (%d answered)", answered).isZero();
        } finally {
            Hostile.deleteTree(pub);
        }
    }
}
