package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end: who children that do not speak Postfix's protocol really run as (issue 12, findings 3
 * and 4). Each child reports the ids and groups of its own process from {@code /proc/self/status}, so
 * what is measured is what the kernel says, not what the master meant. The programs are system ones
 * ({@code /bin/grep}, {@code /usr/bin/python3}): a checkout under a 0700 directory is not the
 * unprivileged user's to enter.
 */
class ChildPrivilegesIT {
    /** Prints the child's Uid, Gid and Groups lines. */
    private static final String GREP_IDS = "/bin/grep -E ^(Uid|Gid|Groups): /proc/self/status";
    /** A systemd socket-activated child: accepts one connection on fd 3 and sends its /proc/self/status. */
    private static final String PYTHON_IDS = "/usr/bin/python3 -c {import socket; s = socket.socket(fileno=3);"
            + " c, a = s.accept(); c.sendall(open('/proc/self/status', 'rb').read()); c.close()}";

    @TempDir
    Path tmp;

    private Passwd owner;

    /** One /etc/passwd entry. */
    private record Passwd(String name, long uid, long gid) {}

    private static Passwd passwd(String name) throws IOException {
        return Files.readAllLines(Path.of("/etc/passwd")).stream().map(l -> l.split(":"))
                .filter(f -> f.length > 3 && f[0].equals(name))
                .map(f -> new Passwd(f[0], Long.parseLong(f[2]), Long.parseLong(f[3]))).findFirst().orElse(null);
    }

    @BeforeEach
    void needsRootAndAMailOwner() throws IOException {
        Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0,
                "skipped: changing users needs root");
        // postfix (uid and gid differ, so a mix-up shows) where the package is installed, else nobody
        owner = passwd("postfix");
        if (owner == null) {
            owner = passwd("nobody");
        }
        assertThat(owner).as("a postfix or nobody user").isNotNull();
    }

    private MasterProcess master() throws IOException {
        MasterProcess m = new MasterProcess(tmp);
        m.mainCf("mail_owner = " + owner.name());
        return m;
    }

    /** Connects, reads until the child closes, and returns the Uid/Gid/Groups fields (real uid, real gid, groups). */
    private static Map<String, String> ids(int port) throws IOException {
        String text;
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(15_000);
            InputStream in = s.getInputStream();
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, String> out = new HashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && List.of("Uid", "Gid", "Groups").contains(line.substring(0, colon))) {
                out.put(line.substring(0, colon), line.substring(colon + 1).trim().replaceAll("\\s+", " "));
            }
        }
        assertThat(out).as("the child's answer: " + text).containsKeys("Uid", "Gid", "Groups");
        return out;
    }

    private static String all4(long id) {
        return id + " " + id + " " + id + " " + id;
    }

    @Test
    void inetdChildRunsAsMailOwnerWhenUnprivilegedAndAsRootWhenNot() throws Exception {
        int unpriv = MasterProcess.freePort();
        int priv = MasterProcess.freePort();
        try (MasterProcess m = master()) {
            m.masterCf(unpriv + " inet n - n - 5 " + GREP_IDS + " -M protocol=inetd",
                    priv + " inet n n n - 5 " + GREP_IDS + " -M protocol=inetd").start();
            Map<String, String> child = ids(unpriv);
            assertThat(child.get("Uid")).isEqualTo(all4(owner.uid()));
            assertThat(child.get("Gid")).isEqualTo(all4(owner.gid()));
            assertThat(child.get("Groups")).as("none but the primary group").isEqualTo(Long.toString(owner.gid()));
            assertThat(ids(priv).get("Uid")).isEqualTo(all4(0));
        }
    }

    @Test
    void systemdChildRunsAsMailOwnerWhenUnprivilegedAndAsRootWhenNot() throws Exception {
        int unpriv = MasterProcess.freePort();
        int priv = MasterProcess.freePort();
        try (MasterProcess m = master()) {
            m.masterCf(unpriv + " inet n - n - 1 " + PYTHON_IDS + " -M protocol=systemd",
                    priv + " inet n n n - 1 " + PYTHON_IDS + " -M protocol=systemd").start();
            Map<String, String> child = ids(unpriv);
            assertThat(child.get("Uid")).isEqualTo(all4(owner.uid()));
            assertThat(child.get("Gid")).isEqualTo(all4(owner.gid()));
            assertThat(child.get("Groups")).as("none but the primary group").isEqualTo(Long.toString(owner.gid()));
            assertThat(ids(priv).get("Uid")).isEqualTo(all4(0));
        }
    }

    @Test
    void withoutAUsableMailOwnerAnUnprivilegedChildIsNotStartedAtAll() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("mail_owner = no-such-mail-owner");
            m.masterCf(port + " inet n - n - 5 " + GREP_IDS + " -M protocol=inetd");
            // a child that cannot start is a warning (the master runs, the service throttles), at --check as at start
            String warning = "warning: " + m.conf.resolve("master.cf") + ": line 1: service " + port
                    + ": the unprivileged column is y: parameter mail_owner: unknown user name value: no-such-mail-owner";
            assertThat(m.runCommand("-c", m.conf.toString(), "--check")).as(m.commandOutput()).isZero();
            assertThat(m.commandOutput()).contains(warning);
            m.start();
            assertThat(m.logText()).contains(warning);
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(15_000);
                assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                        .as("no child, least of all one running as root").isEmpty();
            }
            m.awaitLog("cannot drop privileges: parameter mail_owner: unknown user name value: no-such-mail-owner");
            m.awaitLog("bad command startup -- throttling");
        }
    }

    @Test
    void checkShowsTheArgvAndTheUserTheChildReallyGets() throws Exception {
        int unpriv = MasterProcess.freePort();
        int priv = MasterProcess.freePort();
        try (MasterProcess m = master()) {
            m.masterCf(unpriv + " inet n - n - 5 /usr/bin/id -M protocol=inetd",
                    priv + " inet n n n - 5 /usr/bin/id -M protocol=inetd");
            assertThat(m.runCommand("-c", m.conf.toString(), "--check")).as(m.commandOutput()).isZero();
            List<String> lines = m.commandOutput().lines().toList();
            String u = lines.stream().filter(l -> l.startsWith(Integer.toString(unpriv))).findFirst().orElseThrow();
            String p = lines.stream().filter(l -> l.startsWith(Integer.toString(priv))).findFirst().orElseThrow();
            // no -u: the child never sees Postfix's options
            assertThat(u).contains(" /usr/bin/id    # /usr/bin/id, as uid=" + owner.uid() + "(" + owner.name() + ") gid="
                    + owner.gid() + " groups=" + owner.gid());
            assertThat(p).contains(" /usr/bin/id    # /usr/bin/id, as uid=0(root)");
        }
    }

    @Test
    void chrootColumnJailsAnInetdChildInTheQueueDirectory() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = master()) {
            // a static program inside the jail: it reports its ids and what its root directory holds
            Path src = tmp.resolve("probe.c");
            Files.writeString(src, String.join("\n",
                    "#include <stdio.h>",
                    "#include <unistd.h>",
                    "int main(void) {",
                    "    gid_t g[64];",
                    "    int n = getgroups(64, g);",
                    "    printf(\"Uid: %u\\nGid: %u\\nGroups:\", getuid(), getgid());",
                    "    for (int i = 0; i < n; i++) printf(\" %u\", g[i]);",
                    "    printf(\"\\nRoot: private=%d etc=%d\\n\", access(\"/private\", F_OK) == 0,"
                            + " access(\"/etc/passwd\", F_OK) == 0);",
                    "    return 0;",
                    "}", ""));
            Files.createDirectories(m.queue);
            Process cc = new ProcessBuilder("gcc", "-O2", "-static", "-o", m.queue.resolve("probe").toString(),
                    src.toString()).inheritIO().start();
            Assumptions.assumeTrue(cc.waitFor() == 0, "skipped: no static C library");
            m.masterCf(port + " inet n - y - 5 /probe -M protocol=inetd").start();
            String text;
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(15_000);
                text = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            }
            assertThat(text).contains("Uid: " + owner.uid() + "\n", "Gid: " + owner.gid() + "\n",
                    "Groups: " + owner.gid() + "\n", "Root: private=1 etc=0");
        }
    }

    @Test
    void numericUserGetsItsPasswdGroupAndNoOther() throws Exception {
        Passwd nobody = passwd("nobody");
        Assumptions.assumeTrue(nobody != null, "skipped: no nobody user");
        int port = MasterProcess.freePort();
        try (MasterProcess m = master()) {
            m.masterCf(port + " inet n n n - 5 " + GREP_IDS + " -M protocol=inetd -M user=" + nobody.uid()).start();
            Map<String, String> child = ids(port);
            assertThat(child.get("Uid")).isEqualTo(all4(nobody.uid()));
            assertThat(child.get("Gid")).isEqualTo(all4(nobody.gid()));
            assertThat(child.get("Groups")).isEqualTo(Long.toString(nobody.gid()));
        }
    }

    @Test
    void numericUserWithoutPasswdEntryNeedsAGroupAtStartCheckAndReload() throws Exception {
        long free = 4242;
        List<String> passwd = Files.readAllLines(Path.of("/etc/passwd"));
        while (true) {
            String id = ":" + free + ":";
            if (passwd.stream().noneMatch(l -> l.contains(id))) {
                break;
            }
            free++;
        }
        int port = MasterProcess.freePort();
        String good = port + " inet n - n - 5 " + GREP_IDS + " -M protocol=inetd";
        String bad = good + " -M user=" + free;
        String error = "master.cf: line 2: attribute \"user\": user ID " + free
                + " has no passwd entry: give its group with -M group=";
        try (MasterProcess m = master()) {
            m.masterCf("# numeric user", bad);
            assertThat(m.runCommand("-c", m.conf.toString(), "--check")).isEqualTo(1);
            assertThat(m.commandOutput()).contains(error);
            assertThat(m.runCommand("-c", m.conf.toString(), "-d")).isEqualTo(1);
            assertThat(m.commandOutput()).contains(error);
            // with its group it is fine
            m.masterCf("# numeric user", bad + " -M group=" + owner.gid());
            assertThat(m.runCommand("-c", m.conf.toString(), "--check")).as(m.commandOutput()).isZero();
            // at reload: the validation that start-up runs refuses it, and the running table stays (the
            // service keeps its previous user)
            m.masterCf("# numeric user", good).start();
            assertThat(ids(port).get("Uid")).isEqualTo(all4(owner.uid()));
            m.masterCf("# numeric user", bad);
            m.signal("HUP");
            m.awaitLog("still running the previous configuration");
            assertThat(m.logText()).contains(error);
            await().atMost(Duration.ofSeconds(20)).until(() -> ids(port).get("Uid").equals(all4(owner.uid())));
        }
    }
}
