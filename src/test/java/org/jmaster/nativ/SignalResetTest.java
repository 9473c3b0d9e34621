package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A JVM started with SIGHUP ignored (nohup, or a shell's {@code trap '' HUP}) silently skips
 * {@code sun.misc.Signal.handle(HUP)}; {@link Signals#resetToDefault} first makes it work. Run in a
 * child JVM so the test JVM's own signals stay untouched.
 */
class SignalResetTest {
    private static String probe(String mode) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        int[] out = Fds.pipe(false);
        int pid = Spawn.spawn(SpawnPlan.builder("/bin/sh")
                .argv(List.of("sh", "-c", "trap '' HUP; exec \"$@\"", "sh", java, "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                        "-cp", cp, SignalProbe.class.getName(), mode))
                .env(List.of("PATH=/usr/bin:/bin"))
                .open(0, "/dev/null", Fds.O_RDONLY).dup2(out[1], 1).dup2(2, 2)
                .build());
        TestNative.close(out[1]);
        String report = Proc.readAll(out[0]).trim();
        TestNative.close(out[0]);
        ExitStatus st = Proc.reap(Processes.pidfdOpen(pid));
        assertThat(st.success()).as(st + " " + report).isTrue();
        return report;
    }

    @Test
    void inheritedIgnoreSwallowsTheHandler() throws Exception {
        assertThat(probe("plain")).startsWith("ignoredAtStart=true changed=false delivered=false");
    }

    @Test
    void resetToDefaultMakesTheHandlerWork() throws Exception {
        assertThat(probe("reset")).isEqualTo("ignoredAtStart=true changed=true delivered=true"
                + " setsid=leader,again:setsid: Operation not permitted");
    }
}
