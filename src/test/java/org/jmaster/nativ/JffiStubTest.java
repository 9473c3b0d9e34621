package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jffi stub comes out of the class path whole, and a JVM pointed at it loads it without a temporary copy. */
class JffiStubTest {
    @TempDir
    Path tmp;

    @Test
    void extractsTheStubAndJffiLoadsItFromThere() throws Exception {
        Path stub = JffiStub.extract(tmp.resolve("jni"));
        byte[] head = Arrays.copyOf(Files.readAllBytes(stub), 4);
        assertThat(head).containsExactly(0x7f, 'E', 'L', 'F');
        assertThat(Files.list(tmp.resolve("jni")).map(p -> p.getFileName().toString())).containsExactly(JffiStub.FILE);
        // a child JVM with the boot library path maps our copy: its /proc/PID/maps names it
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        int[] out = Fds.pipe(false);
        int pid = Spawn.spawn(SpawnPlan.builder(java)
                .argv(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Djffi.boot.library.path=" + stub.getParent(),
                        "-cp", cp, MapsProbe.class.getName()))
                .env(List.of("PATH=/usr/bin:/bin"))
                .open(0, "/dev/null", Fds.O_RDONLY).dup2(out[1], 1).dup2(2, 2).build());
        TestNative.close(out[1]);
        String maps = Proc.readAll(out[0]);
        TestNative.close(out[0]);
        assertThat(Proc.reap(Processes.pidfdOpen(pid)).success()).isTrue();
        assertThat(maps).contains(stub.toString()).doesNotContain("/tmp/jffi");
    }

    /** Run in a child JVM: loads the native layer, prints its own memory map. */
    public static final class MapsProbe {
        private MapsProbe() {}

        public static void main(String[] args) throws Exception {
            Processes.getpid();
            System.out.print(Files.readString(Path.of("/proc/self/maps")));
        }
    }
}
