package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void errnoIsSavedAndReported() {
        assertThatThrownBy(() -> Posix.open("/nonexistent/x", Posix.O_RDONLY, 0))
                .isInstanceOf(NativeException.class)
                .hasMessage("open /nonexistent/x: No such file or directory")
                .satisfies(e -> assertThat(((NativeException) e).errno()).isEqualTo(Posix.ENOENT));
    }

    @Test
    void spawnTrue() throws Exception {
        ExitStatus st = Proc.run(SpawnPlan.builder("/bin/true").build());
        assertThat(st.success()).isTrue();
    }
}
