package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end, issue 12 finding 11: refusals are logged once per source as the limits see it (the
 * service's {@code source_prefix}), not once per address, so a client that rotates its address
 * inside its prefix cannot grow the log. Linux lets any 127/8 address be a source, so a /24
 * prefix on loopback stands in for a host rotating through its IPv6 /64.
 */
class RefusalLogIT {
    @TempDir
    Path tmp;

    private static String refusedFrom(String from, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(from, 0));
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(15_000);
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    @Test
    void aClientRotatingAddressesInsideItsPrefixIsLoggedOnce() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            // one token per hour: the first connection is served, every later one is refused
            m.masterCf(port + " inet n n n - 4 /bin/true -M protocol=inetd -M rate=1/3600 -M source_prefix=24/64"
                    + " -M refuse_reply={421 slow down}").start();
            assertThat(refusedFrom("127.0.0.1", port)).isNull();
            for (int i = 2; i < 202; i++) {
                assertThat(refusedFrom("127.0.0." + i, port)).isEqualTo("421 slow down");
            }
            // another /24 is another source
            assertThat(refusedFrom("127.0.1.1", port)).isEqualTo("421 slow down");
            m.awaitLog("refused connection from 127\\.0\\.1\\.1:\\d+ to service ");
            assertThat(m.countLog("refused connection from 127\\.0\\.0\\.\\d+:\\d+ to service .*: rate")).isEqualTo(1);
            assertThat(m.countLog("refused connection")).isEqualTo(2);
            assertThat(m.runCommand("-c", m.conf.toString(), "status", "--json")).isZero();
            assertThat(MasterProcess.JSON.readTree(m.commandOutput()).get("services").get(0).get("refusals").get("rate")
                    .asInt()).isEqualTo(201);
        }
    }
}
