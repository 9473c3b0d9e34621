package org.jmaster.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.jmaster.conf.MainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: the operator commands' signal fallback goes only to a process that holds the pid file
 * open, so the pid 1 a master in init mode records is never taken for this namespace's init.
 */
class SignalFallbackTest {
    @TempDir
    Path dir;

    private OperatorCommands commands(Path pidFile) throws Exception {
        MainConfig main = MainConfig.read(dir, Map.of()).config();
        return new OperatorCommands(main, pidFile, () -> null);
    }

    @Test
    void pid1IsRefusedUnlessItIsTheMasterInOurOwnNamespaceAndTheRefusalSaysHow() throws Exception {
        Path pidFile = Files.writeString(dir.resolve("master.pid"), String.format("%32d%n", 1));
        String refusal = commands(pidFile).whyNotSignal(1, "stop");
        assertThat(refusal).startsWith("not signalling pid 1: " + pidFile + " names pid 1")
                .contains("nsenter --target").contains("--pid --mount master -c " + dir + " stop");
        assertThat(ProcFacts.holdsOpen(1, pidFile)).isNotEqualTo(Boolean.TRUE);
    }

    @Test
    void aPidThatHoldsThePidFileOpenMayBeSignalledOneThatDoesNotMayNot() throws Exception {
        Path pidFile = Files.writeString(dir.resolve("master.pid"), "x\n");
        long self = ProcessHandle.current().pid();
        OperatorCommands c = commands(pidFile);
        assertThat(ProcFacts.holdsOpen(self, pidFile)).isFalse();
        assertThat(c.whyNotSignal(self, "reload")).startsWith("not signalling pid " + self
                + ": it does not hold " + pidFile + " open");
        try (FileChannel held = FileChannel.open(pidFile, StandardOpenOption.READ)) {
            assertThat(ProcFacts.holdsOpen(self, pidFile)).isTrue();
            assertThat(ProcFacts.holderOf(pidFile)).isEqualTo(self);
            assertThat(c.whyNotSignal(self, "reload")).isNull();
        }
        assertThat(ProcFacts.sameNamespace(self)).isTrue();
    }
}
