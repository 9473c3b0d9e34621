package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12, finding 7: a child that floods its status channel cannot flood the log or stall the master. */
class StatusFloodIT {
    @TempDir
    Path tmp;

    /**
     * {@code statusflood} writes frames with its own pid and generation but an unknown status, as
     * fast as the master reads them, for eight seconds. {@code status} answers while it still
     * floods; the warnings stay within the service's budget of 100 lines/s (bursts of 200), and
     * summary lines count the rest (before: 760,000 warnings in 5 s).
     */
    @Test
    void aStatusChannelFloodIsBudgetedAndStatusStillAnswers() throws Exception {
        try (MasterProcess m = new MasterProcess(tmp)) {
            Files.copy(Hostile.build("statusflood"), m.daemons.resolve("statusflood"), StandardCopyOption.REPLACE_EXISTING);
            m.masterCf("flood unix - - n - 1 statusflood 8").start();
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(m.queue.resolve("private/flood")))) {
                await().atMost(Duration.ofSeconds(20)).until(() -> !m.liveChildren().isEmpty());
                ProcessHandle child = m.liveChildren().get(0);
                m.awaitLog("ignoring unknown status: 7 allegedly from pid: " + child.pid());
                await().atMost(Duration.ofSeconds(6)).until(() -> m.runCommand("-c", m.conf.toString(), "status") == 0);
                assertThat(child.isAlive()).as("the flood was still on when status answered").isTrue();
                await().atMost(Duration.ofSeconds(30)).until(() -> !child.isAlive());
            }
            m.awaitLog("service flood: suppressed \\d+ status channel warning\\(s\\) \\(over 100 lines/s\\)");
            // every frame read was either warned about or counted in a summary
            await().atMost(Duration.ofSeconds(10)).until(() -> warned(m) + suppressed(m) == frames(m));
            long warned = warned(m);
            long suppressed = suppressed(m);
            System.out.printf("status flood: %d frames, %d warnings logged, %d suppressed%n", warned + suppressed,
                    warned, suppressed);
            // 200 at once, then 100 per second for the eight seconds the flood lasts
            assertThat(warned).isBetween(100L, 1500L);
            assertThat(suppressed).isGreaterThan(warned);
            assertThat(m.process.isAlive()).isTrue();
        }
    }

    private static long warned(MasterProcess m) {
        return m.countLog("ignoring unknown status|partial status update");
    }

    private static long suppressed(MasterProcess m) {
        long n = 0;
        Matcher s = Pattern.compile("suppressed (\\d+) status channel").matcher(m.logText());
        while (s.find()) {
            n += Long.parseLong(s.group(1));
        }
        return n;
    }

    private static long frames(MasterProcess m) throws Exception {
        assertThat(m.runCommand("-c", m.conf.toString(), "status", "--json")).isZero();
        return MasterProcess.JSON.readTree(m.commandOutput()).get("services").get(0).get("statusFrames").asLong();
    }
}
