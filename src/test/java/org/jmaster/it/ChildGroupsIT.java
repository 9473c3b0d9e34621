package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end: the supplementary groups children start with (issue 13, fault 3). Postfix's master
 * calls {@code set_ugid(getuid(), getgid())} after taking its data lock, so its children start with
 * the master's primary group as their only supplementary group ({@code Groups: 0} for a root
 * master), whatever groups the master itself was started with. Measured from
 * {@code /proc/PID/status} of the children: what the kernel says, not what the master meant.
 */
class ChildGroupsIT {
    /** An inetd child that prints its own Groups line. */
    private static final String GREP_GROUPS = "/bin/grep -E ^Groups: /proc/self/status";

    @TempDir
    Path tmp;

    private long gid;

    @BeforeEach
    void needsRoot() {
        com.sun.security.auth.module.UnixSystem me = new com.sun.security.auth.module.UnixSystem();
        Assumptions.assumeTrue(me.getUid() == 0, "skipped: setting groups needs root");
        gid = me.getGid();
    }

    @Test
    void childrenOfAMasterStartedWithOtherGroupsHaveJustItsPrimaryGroup() throws Exception {
        // groups that are neither empty nor the primary group: the master must replace them
        childrenHaveJustThePrimaryGroup("--groups=65534,100");
    }

    @Test
    void childrenOfAMasterStartedWithoutGroupsHaveItsPrimaryGroup() throws Exception {
        childrenHaveJustThePrimaryGroup("--clear-groups");
    }

    private void childrenHaveJustThePrimaryGroup(String setprivGroups) throws Exception {
        int postfix = MasterProcess.freePort();
        int inetd = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(postfix + " inet n n n - 1 fake mode=serve " + m.rec(),
                    inetd + " inet n n n - 1 " + GREP_GROUPS + " -M protocol=inetd");
            List<String> cmd = new ArrayList<>(List.of("setpriv", setprivGroups, "--",
                    MasterProcess.REPO.resolve("master").toString(), "-c", m.conf.toString(), "-d"));
            m.startCommand(Map.of(), cmd);
            // a Postfix-protocol child: its pid from the session, its groups from the kernel
            int child = Client.session(postfix);
            assertThat(groupsOf(child)).as("a Postfix-protocol child's groups").isEqualTo(Long.toString(gid));

            // a child that does not speak Postfix's protocol (runs as root: unprivileged column n)
            try (Socket s = new Socket("127.0.0.1", inetd)) {
                s.setSoTimeout(15_000);
                String line = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                assertThat(line.replaceAll("\\s+", " ")).as("an inetd child's groups").isEqualTo("Groups: " + gid);
            }
            // and the master's own, from which every child starts
            assertThat(groupsOf(m.pid())).as("the master's own groups").isEqualTo(Long.toString(gid));
        }
    }

    /** The Groups field of /proc/PID/status, blanks collapsed; waits for a process that is still starting. */
    private static String groupsOf(long pid) {
        AtomicReference<String> groups = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                    if (line.startsWith("Groups:")) {
                        groups.set(line.substring("Groups:".length()).trim().replaceAll("\\s+", " "));
                        return true;
                    }
                }
            } catch (NoSuchFileException | java.io.UncheckedIOException gone) {
                throw new AssertionError("process " + pid + " is gone");
            } catch (IOException e) {
                return false;
            }
            return false;
        });
        return groups.get();
    }
}
