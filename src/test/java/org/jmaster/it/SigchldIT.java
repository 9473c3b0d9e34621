package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGCHLD without a thread per signal (issue 14): the launcher starts the JVM with SIGCHLD blocked in
 * every thread, and the master reads it from a signalfd in its loop. The JDK would otherwise start a
 * Java thread for each delivery, one per child that exits. Orphans are still reaped
 * ({@code OperationsIT.orphanedGrandchildrenAreReaped}).
 */
class SigchldIT {
    @TempDir
    Path tmp;

    @Test
    void everyThreadBlocksSigchldAndTheLoopReadsItFromASignalfd() throws Exception {
        int port = MasterProcess.freePort();
        Path orphanPid = tmp.resolve("orphan.pid");
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 fake mode=serve max_use=1 orphan=" + orphanPid + " " + m.rec()).start();
            for (int i = 0; i < 5; i++) {
                assertThat(Client.session(port)).isPositive();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> m.countEvents("exit") >= 4);
            long sigchld = 1L << (17 - 1);
            List<String> unblocked = new ArrayList<>();
            for (Path task : tasks(m.pid())) {
                if ((sigBlk(task) & sigchld) == 0) {
                    unblocked.add(Files.readString(task.resolve("comm")).strip());
                }
            }
            assertThat(unblocked).as("threads of the master with SIGCHLD unblocked").isEmpty();
            assertThat(fdLinks(m.pid())).contains("anon_inode:[signalfd]");
            // the orphan of a child is still reaped by the master, its subreaper
            long orphan = Long.parseLong(Files.readString(orphanPid).trim());
            await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(Path.of("/proc/" + orphan)));
        }
    }

    private static List<Path> tasks(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return s.toList();
        }
    }

    private static long sigBlk(Path task) throws IOException {
        for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("SigBlk:")) {
                return Long.parseUnsignedLong(line.substring(7).strip(), 16);
            }
        }
        return 0;
    }

    private static List<String> fdLinks(long pid) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : (Iterable<Path>) s::iterator) {
                try {
                    out.add(Files.readSymbolicLink(fd).toString());
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return out;
    }
}
