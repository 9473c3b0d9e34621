package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * setgroups/setgid/setuid/chroot/chdir change the whole process for good, so each case runs in a
 * child JVM ({@link PrivilegeProbe}); getgroups is read in place.
 */
class PrivilegeTest {
    @TempDir
    Path tmp;

    private static String probe(String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> argv = new ArrayList<>(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", cp,
                PrivilegeProbe.class.getName()));
        argv.addAll(List.of(args));
        int[] out = Fds.pipe(false);
        int pid = Spawn.spawn(SpawnPlan.builder(java).argv(argv).env(List.of("PATH=/usr/bin:/bin"))
                .open(0, "/dev/null", Fds.O_RDONLY).dup2(out[1], 1).dup2(2, 2).build());
        TestNative.close(out[1]);
        String report = Proc.readAll(out[0]);
        TestNative.close(out[0]);
        ExitStatus st = Proc.reap(Processes.pidfdOpen(pid));
        assertThat(st.success()).as(st + " " + report).isTrue();
        return report;
    }

    @Test
    void getgroupsMatchesProc() {
        String listed = Proc.status("self", "Groups");
        List<Integer> expected = new ArrayList<>();
        for (String g : listed.isEmpty() ? new String[0] : listed.split("\\s+")) {
            expected.add(Integer.parseInt(g));
        }
        List<Integer> got = new ArrayList<>();
        for (int g : TestNative.getgroups()) {
            got.add(g);
        }
        assertThat(got).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void rootDropsGroupsGidAndUidForGood() throws Exception {
        assumeTrue(Users.geteuid() == 0, "needs root");
        Users.Passwd nobody = Users.getpwnam("nobody").orElseThrow();
        String r = probe("drop", Integer.toString(nobody.uid()), Integer.toString(nobody.gid()));
        String u = Integer.toString(nobody.uid());
        String g = Integer.toString(nobody.gid());
        assertThat(r).contains("ids=" + u + "," + u + "," + g + "," + g + "\n")
                .contains("groups=[" + g + "]\n")
                .contains("status=" + u + " " + u + " " + u + " " + u + "/" + g + " " + g + " " + g + " " + g + "/" + g + "\n")
                .contains("back=setuid 0: Operation not permitted\n");
    }

    @Test
    void chrootAndChdirMoveTheWholeProcess() throws Exception {
        assumeTrue(Users.geteuid() == 0, "needs root");
        Path jail = Files.createDirectories(tmp.resolve("jail"));
        Files.writeString(jail.resolve("marker"), "x");
        String r = probe("jail", jail.toString());
        assertThat(r).contains("marker=true\n", "cwd=true\n", "outside=false\n",
                "chdir=chdir /no/such/dir: No such file or directory\n");
    }

    @Test
    void withoutPrivilegesTheCallsFailWithEperm() throws Exception {
        assumeTrue(Users.geteuid() != 0, "as root these succeed; see the other cases");
        String r = probe("refused", "0");
        assertThat(r).contains("setuid=setuid 0: Operation not permitted\n",
                "chroot=chroot /: Operation not permitted\n", "setgroups=setgroups []: Operation not permitted\n");
    }
}
