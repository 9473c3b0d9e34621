package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmaster.attack.LocalAttacker;
import org.jmaster.nativ.Inodes;
import org.jmaster.nativ.TestNative;
import org.jmaster.nativ.Users;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, findings 1 and 9, end to end: a local user who is {@code mail_owner} (here
 * {@code nobody}) attacks the files and sockets a root master makes in that user's directories.
 * No root-owned file may change.
 */
class RootSafeFilesIT {
    static final int SERVICES = 300;

    @TempDir
    Path tmp;

    /**
     * Finding 1: while the master makes 300 unix sockets in {@code private/} and {@code public/}
     * (both {@code nobody}'s), nobody swaps each new socket for a symbolic link to a root-owned
     * file (0600, in a root directory). Before the fix the master then chmodded and chowned the
     * link's target by path (164 of 300 swaps won); now the sockets are born as their owner with
     * their mode, and nothing follows a path there.
     */
    @Test
    void swappingNewSocketsForSymbolicLinksChangesNoRootFile() throws Exception {
        assumeTrue(Users.geteuid() == 0, "the attack is on a master running as root");
        Path base = LocalAttacker.openDirectory(tmp);
        LocalAttacker.Victims victims = new LocalAttacker.Victims(base.resolve("victims"), SERVICES, 0600);
        Path swapper = LocalAttacker.compile(base.resolve("bin"), "swapper");
        try (MasterProcess m = new MasterProcess(base.resolve("m"))) {
            LocalAttacker.openDirectory(m.dir);
            // an installed queue directory: private/ and public/ exist and belong to mail_owner
            Path priv = Files.createDirectories(m.queue.resolve("private"));
            Path pub = Files.createDirectories(m.queue.resolve("public"));
            LocalAttacker.openDirectory(m.queue);
            TestNative.chown(priv.toString(), LocalAttacker.NOBODY, LocalAttacker.NOBODY);
            TestNative.chmod(priv.toString(), 0700);
            TestNative.chown(pub.toString(), LocalAttacker.NOBODY, LocalAttacker.NOBODY);
            TestNative.chmod(pub.toString(), 0710);
            m.mainCf("mail_owner = nobody");
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < SERVICES; i++) {
                lines.add("s" + i + " unix " + (i % 2 == 0 ? "-" : "n") + " n n - 1 fake mode=serve " + m.rec());
            }
            m.masterCf(lines.toArray(String[]::new));
            long planted;
            try (LocalAttacker attacker = LocalAttacker.swap(swapper, victims, priv, pub)) {
                m.start();
                m.awaitLog("daemon started -- version");
                planted = attacker.stop();
            }
            System.out.println("RootSafeFilesIT: " + SERVICES + " sockets made, " + planted + " replaced by symbolic links");
            assertThat(planted).as("sockets the attacker replaced").isPositive();
            victims.assertUnchanged();
            // the sockets that were not swapped are mail_owner's, mode 0666, from the start
            for (int i = 0; i < SERVICES; i++) {
                Path p = (i % 2 == 0 ? priv : pub).resolve("s" + i);
                if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Inodes.Stat st = Inodes.lstat(p.toString());
                    if (st.isSocket()) {
                        assertThat(st.uid()).isEqualTo(LocalAttacker.NOBODY);
                        assertThat(st.permissions()).isEqualTo(0666);
                    }
                }
            }
            assertThat(m.process.isAlive()).isTrue();
        }
    }

    /**
     * Finding 9: nobody plants {@code $data_directory/master.lock} as a hard link to a root-owned
     * file. With {@code fs.protected_hardlinks = 1} (as here and on most systems) an ordinary user
     * may only link files it can read and write, so the victim is a root-owned file of mode 0666:
     * such files exist, and ownership of them must not pass to anyone. (With the protection off, as
     * the kernel's default is, any root file would do; the test does not switch a machine-wide
     * setting off under other tests.) Before the fix the master chowned the victim to nobody and
     * overwrote it with its pid, and ran on; now it refuses to start and says why.
     */
    @Test
    void aHardLinkPlantedAsTheDataLockStopsTheStartAndChangesNothing() throws Exception {
        assumeTrue(Users.geteuid() == 0, "the attack is on a master running as root");
        Path base = LocalAttacker.openDirectory(tmp);
        LocalAttacker.Victims victims = new LocalAttacker.Victims(base.resolve("victims"), 1, 0666);
        try (MasterProcess m = new MasterProcess(base.resolve("m"))) {
            LocalAttacker.openDirectory(m.dir);
            Path data = Files.createDirectories(m.dir.resolve("data"));
            TestNative.chown(data.toString(), LocalAttacker.NOBODY, LocalAttacker.NOBODY);
            TestNative.chmod(data.toString(), 0700);
            m.mainCf("mail_owner = nobody");
            m.masterCf("s0 unix - n n - 1 fake mode=serve " + m.rec());
            Path lock = data.resolve("master.lock");
            assertThat(LocalAttacker.runAsNobody("ln", victims.file(0).toString(), lock.toString()))
                    .as("nobody links the victim into the data directory").isZero();
            assertThat(Inodes.lstat(victims.file(0).toString()).nlink()).isEqualTo(2);

            Process master = new ProcessBuilder(MasterProcess.REPO.resolve("master").toString(), "-c", m.conf.toString(), "-d")
                    .redirectErrorStream(true).redirectOutput(m.log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            boolean exited;
            try {
                // it either gives up, or (before the fix) starts serving with the victim given away
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                        .until(() -> !master.isAlive() || m.logText().contains("daemon started"));
                exited = master.waitFor(5, TimeUnit.SECONDS);
            } finally {
                master.destroyForcibly();
                master.waitFor(10, TimeUnit.SECONDS);
            }
            victims.assertUnchanged();
            assertThat(exited).as("the master gives up; log:%n%s", m.logText()).isTrue();
            assertThat(master.exitValue()).isNotZero();
            assertThat(m.logText()).contains("fatal: open lock file " + lock + ": file has 2 hard links");
        }
    }

    /**
     * {@code maillog_file} in a directory nobody can write (a log directory given to
     * {@code mail_owner}): nobody plants the name as a symbolic link to a root-owned file. Before the
     * fix the master (and every Java service) appended its log lines to that file; now the file is
     * opened with Postfix's {@code safe_open} rules, refused, and the log goes to standard error.
     */
    @Test
    void aSymbolicLinkPlantedAsTheLogFileIsNotFollowed() throws Exception {
        assumeTrue(Users.geteuid() == 0, "the attack is on a master running as root");
        Path base = LocalAttacker.openDirectory(tmp);
        LocalAttacker.Victims victims = new LocalAttacker.Victims(base.resolve("victims"), 1, 0600);
        Path logs = LocalAttacker.openDirectory(base.resolve("logs"));
        TestNative.chown(logs.toString(), LocalAttacker.NOBODY, LocalAttacker.NOBODY);
        Path maillog = logs.resolve("maillog");
        assertThat(LocalAttacker.runAsNobody("ln", "-s", victims.file(0).toString(), maillog.toString())).isZero();
        try (MasterProcess m = new MasterProcess(base.resolve("m"))) {
            m.mainCf("mail_owner = nobody\nmaillog_file = " + maillog);
            m.masterCf("s0 unix - n n - 1 fake mode=serve " + m.rec());
            m.start();
            victims.assertUnchanged();
            assertThat(m.logText()).contains("open maillog_file " + maillog + ": file is a symbolic link; logging to stderr");
        }
    }
}
