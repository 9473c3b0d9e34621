package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end, issue 12 finding 5 (configuration part): a running master whose main.cf (then
 * master.cf) is replaced by a file with one 30 MB line and told to reload logs a configuration
 * error that names the file and its size, keeps the table it had, and keeps serving. Before,
 * reading the file whole ran the master out of memory and it died.
 */
class ConfigSizeIT {
    static final int HUGE = 30 * 1024 * 1024;

    @TempDir
    Path tmp;

    private static String ask(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(15_000);
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }

    /** Replaces {@code file} by {@code head} plus one line of {@link #HUGE} bytes. */
    private static void oneHugeLine(Path file, String head) throws IOException {
        byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, (byte) 'x');
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            for (int n = 0; n < HUGE / chunk.length; n++) {
                out.write(chunk);
            }
            out.write('\n');
        }
    }

    @Test
    void aThirtyMegabyteLineAtReloadIsAConfigErrorAndTheMasterKeepsServing() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 4 /bin/sh -c {echo served} -M protocol=inetd").start();
            assertThat(ask(port)).isEqualTo("served");

            Path main = m.conf.resolve("main.cf");
            String good = Files.readString(main);
            oneHugeLine(main, good + "huge = ");
            long size = Files.size(main);
            m.signal("HUP");
            m.awaitLog(Pattern.quote("warning: " + main + ": file size " + size
                    + " bytes exceeds the limit for main.cf (1048576 bytes)"));
            m.awaitLog("reload failed: 1 error\\(s\\); still running the previous configuration");
            assertThat(m.process.isAlive()).isTrue();
            assertThat(ask(port)).isEqualTo("served");

            Files.writeString(main, good);
            Path master = m.conf.resolve("master.cf");
            oneHugeLine(master, "# ");
            long masterSize = Files.size(master);
            m.signal("HUP");
            m.awaitLog(Pattern.quote("warning: " + master + ": file size " + masterSize
                    + " bytes exceeds master_cf_size_limit (1048576 bytes)"));
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    m.countLog("reload failed: 1 error\\(s\\); still running the previous configuration") == 2);
            assertThat(m.process.isAlive()).isTrue();
            assertThat(ask(port)).isEqualTo("served");
            assertThat(m.logText()).doesNotContain("OutOfMemoryError");
        }
    }
}
