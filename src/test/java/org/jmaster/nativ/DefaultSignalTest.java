package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import sun.misc.Signal;

/** A JVM that caught SIGTERM can still end by it: {@link Signals#setDefault}, then kill itself. */
class DefaultSignalTest {
    /** Run in a child JVM: catches TERM, then dies by it. */
    public static final class Probe {
        private Probe() {}

        public static void main(String[] args) throws Exception {
            Signal.handle(new Signal("TERM"), s -> System.out.println("caught"));
            Signals.setDefault(Signals.SIGTERM);
            Processes.kill(Processes.getpid(), Signals.SIGTERM);
            Thread.sleep(10_000);
            System.out.println("survived");
        }
    }

    @Test
    void aCaughtSignalCanBeMadeFatalAgain() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        int[] out = Fds.pipe(false);
        int pid = Spawn.spawn(SpawnPlan.builder(java)
                .argv(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", cp, Probe.class.getName()))
                .env(List.of("PATH=/usr/bin:/bin"))
                .open(0, "/dev/null", Fds.O_RDONLY).dup2(out[1], 1).dup2(2, 2).build());
        TestNative.close(out[1]);
        String report = Proc.readAll(out[0]);
        TestNative.close(out[0]);
        ExitStatus st = Proc.reap(Processes.pidfdOpen(pid));
        assertThat(report).isEmpty();
        assertThat(st.signaled()).as(st.toString()).isTrue();
        assertThat(st.code()).isEqualTo(Signals.SIGTERM);
    }
}
