package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jmaster.conf.MainConfig;
import org.jmaster.conf.ServiceTable;
import org.junit.jupiter.api.Test;

/**
 * Admission control's memory (issue 12, finding 11): the refusal log is keyed by the same source
 * prefix as the limits, so a client rotating addresses inside its prefix is one source, and every
 * map a stream of new sources can grow has a hard cap that forgets the oldest entries first.
 */
class AdmissionTest {
    static final Path DIR = Path.of("/etc/jmaster-test");

    private static Service service(String master) throws Exception {
        MainConfig main = MainConfig.parse(DIR.resolve("main.cf"), "compatibility_level = 3.6\n", DIR, Map.of());
        ServiceTable t = ServiceTable.parse(DIR.resolve("master.cf"), master + "\n", main);
        return new Service(t.services().get(0), List.of(), List.of(), false);
    }

    @Test
    void refusalsFromEveryAddressOfOneSlash64AreOneSourceInTheLog() throws Exception {
        Service s = service("[::1]:7101 inet n n n - 5 /bin/cat -M protocol=inetd -M max_per_source=1");
        Admission a = new Admission();
        for (int i = 1; i <= 5000; i++) {
            a.logRefusal(s, "[2001:db8::" + Integer.toHexString(i) + "]:4000", "2001:db8:0:0:0:0:0:" + Integer.toHexString(i),
                    "per_source");
        }
        assertThat(a.loggedSources()).isEqualTo(1);
        // the next /64 is another source
        a.logRefusal(s, "[2001:db8:0:1::1]:4000", "2001:db8:0:1:0:0:0:1", "per_source");
        assertThat(a.loggedSources()).isEqualTo(2);
    }

    @Test
    void theRefusalLogUsesTheServicesSourcePrefixForIpv4Too() throws Exception {
        Service s = service("127.0.0.1:7101 inet n n n - 5 /bin/cat -M protocol=inetd -M source_prefix=24/64");
        Admission a = new Admission();
        for (int i = 0; i < 256; i++) {
            a.logRefusal(s, "127.0.0." + i + ":4000", "127.0.0." + i, "rate");
        }
        a.logRefusal(s, "local client", "local", "limit");
        assertThat(a.loggedSources()).isEqualTo(2);
        assertThat(Admission.refusalKey("smtp", "24/64", "127.0.0.77")).isEqualTo("smtp|127.0.0.0/24");
        assertThat(Admission.refusalKey("smtp", "32/64", "2001:db8::1:2:3:4")).isEqualTo("smtp|2001:db8:0:0:0:0:0:0/64");
        assertThat(Admission.refusalKey("smtp", "32/64", "local")).isEqualTo("smtp|local");
    }

    @Test
    void theRefusalLogIsCappedAndForgetsTheOldestFirst() {
        Admission a = new Admission();
        int n = Admission.MAX_LOGGED_SOURCES * 3;
        long now = 1_000_000;
        for (int i = 0; i < n; i++) {
            assertThat(a.logDue("smtp|198.51." + (i >> 8) + "." + (i & 255) + "/32", now)).isTrue();
        }
        assertThat(a.loggedSources()).isEqualTo(Admission.MAX_LOGGED_SOURCES);
        // the newest are still remembered (no second line within the minute), the oldest were forgotten
        int last = n - 1;
        assertThat(a.logDue("smtp|198.51." + (last >> 8) + "." + (last & 255) + "/32", now + 1)).isFalse();
        assertThat(a.logDue("smtp|198.51.0.0/32", now + 1)).isTrue();
        // a minute later every entry has expired and one new refusal leaves just itself
        assertThat(a.logDue("smtp|203.0.113.1/32", now + 60_001)).isTrue();
        assertThat(a.loggedSources()).isEqualTo(1);
    }

    @Test
    void perSourceRateBucketsAreCappedAndTheRecentSourcesKeepTheirLimit() throws Exception {
        Service s = service("127.0.0.1:7101 inet n n n - 5 /bin/cat -M protocol=inetd -M source_rate=1/3600");
        Admission a = new Admission();
        int n = Admission.MAX_SOURCE_BUCKETS * 2;
        for (int i = 0; i < n; i++) {
            Child.Source src = new Child.Source();
            assertThat(a.admit(s, address(i), src)).isNull();
            a.release(src);
        }
        assertThat(a.sourceBuckets()).isEqualTo(Admission.MAX_SOURCE_BUCKETS);
        assertThat(a.admit(s, address(n - 1), new Child.Source())).isEqualTo("source_rate");
    }

    private static InetAddress address(int i) throws Exception {
        return InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
    }
}
