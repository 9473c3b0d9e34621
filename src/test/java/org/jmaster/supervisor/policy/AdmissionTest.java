package org.jmaster.supervisor.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;
import org.jmaster.conf.MainConfig;
import org.jmaster.conf.ServiceEntry;
import org.jmaster.conf.ServiceTable;
import org.junit.jupiter.api.Test;

/**
 * Admission control: limits per source prefix, groups, exemptions, buckets, and its memory (issue
 * 12, finding 11): the refusal log is keyed by the same source prefix as the limits, so a client
 * rotating addresses inside its prefix is one source, and every map a stream of new sources can
 * grow has a hard cap that forgets the oldest entries first. Time is the test's.
 */
class AdmissionTest {
    static final Path DIR = Path.of("/etc/jmaster-test");
    static final long SECOND = 1_000_000_000L;

    private static Admission.Rules rules(String master) throws Exception {
        MainConfig main = MainConfig.parse(DIR.resolve("main.cf"), "compatibility_level = 3.6\n", DIR, Map.of());
        ServiceEntry e = ServiceTable.parse(DIR.resolve("master.cf"), master + "\n", main).services().get(0);
        return Admission.Rules.of(e.extName(), e.key().toString(), e.settings().admission());
    }

    private static TokenBucket rate(String master) throws Exception {
        MainConfig main = MainConfig.parse(DIR.resolve("main.cf"), "compatibility_level = 3.6\n", DIR, Map.of());
        ServiceEntry e = ServiceTable.parse(DIR.resolve("master.cf"), master + "\n", main).services().get(0);
        return e.settings().admission().rate().map(r -> new TokenBucket(r.count(), r.periodSeconds(), 0)).orElseThrow();
    }

    private static InetAddress ip(String literal) {
        return SourceAddress.parseLiteral(literal);
    }

    @Test
    void maxPerSourceCountsLiveConnectionsByPrefixAndReleaseFreesThem() throws Exception {
        Admission.Rules r = rules("127.0.0.1:7101 inet n n n - 5 /bin/cat -M protocol=inetd -M max_per_source=2"
                + " -M source_prefix=24/64");
        Admission a = new Admission();
        Admission.Verdict one = a.admit(r, null, ip("192.0.2.1"), 0);
        Admission.Verdict two = a.admit(r, null, ip("192.0.2.99"), 0);
        assertThat(one.admitted()).isTrue();
        assertThat(two.admitted()).isTrue();
        assertThat(one.key()).isEqualTo(two.key()).endsWith("|192.0.2.0/24");
        assertThat(a.admit(r, null, ip("192.0.2.7"), 0).refusal()).isEqualTo("per_source");
        assertThat(a.admit(r, null, ip("192.0.3.7"), 0).admitted()).as("another /24").isTrue();
        a.release(one.key());
        assertThat(a.live(one.key())).isEqualTo(1);
        assertThat(a.admit(r, null, ip("192.0.2.7"), 0).admitted()).isTrue();
    }

    @Test
    void localAndExemptClientsAreNeitherLimitedNorCounted() throws Exception {
        Admission.Rules r = rules("127.0.0.1:7101 inet n n n - 5 /bin/cat -M protocol=inetd -M max_per_source=1"
                + " -M source_exempt=198.51.100.0/24");
        Admission a = new Admission();
        for (int i = 0; i < 5; i++) {
            assertThat(a.admit(r, null, null, 0)).isEqualTo(new Admission.Verdict(null, null));
            assertThat(a.admit(r, null, ip("198.51.100.9"), 0)).isEqualTo(new Admission.Verdict(null, null));
        }
    }

    @Test
    void aSourceGroupSharesTheCountsOfItsServices() throws Exception {
        Admission.Rules imap = rules("127.0.0.1:143 inet n n n - 5 /bin/cat -M protocol=inetd -M max_per_source=1"
                + " -M source_group=mail");
        Admission.Rules pop = rules("127.0.0.1:110 inet n n n - 5 /bin/cat -M protocol=inetd -M max_per_source=1"
                + " -M source_group=mail");
        Admission a = new Admission();
        assertThat(a.admit(imap, null, ip("203.0.113.5"), 0).admitted()).isTrue();
        assertThat(a.admit(pop, null, ip("203.0.113.5"), 0).refusal()).isEqualTo("per_source");
    }

    @Test
    void theServiceBucketRefillsWithTheCallersClock() throws Exception {
        TokenBucket b = rate("127.0.0.1:7101 inet n n n - 5 /bin/cat -M protocol=inetd -M rate=2/10s");
        Admission.Rules r = rules("127.0.0.1:7101 inet n n n - 5 /bin/cat -M protocol=inetd -M rate=2/10s");
        Admission a = new Admission();
        assertThat(a.admit(r, b, ip("192.0.2.1"), 0).admitted()).isTrue();
        assertThat(a.admit(r, b, ip("192.0.2.2"), 1).admitted()).isTrue();
        assertThat(a.admit(r, b, ip("192.0.2.3"), 2).refusal()).isEqualTo("rate");
        // one token comes back every 5 s
        assertThat(a.admit(r, b, ip("192.0.2.3"), 5 * SECOND + 2).admitted()).isTrue();
        assertThat(a.admit(r, b, ip("192.0.2.4"), 5 * SECOND + 3).refusal()).isEqualTo("rate");
    }

    @Test
    void aRefusedConnectionIsNotCounted() throws Exception {
        Admission.Rules r = rules("127.0.0.1:7101 inet n n n - 5 /bin/cat -M protocol=inetd -M max_per_source=5"
                + " -M source_rate=1/1h");
        Admission a = new Admission();
        Admission.Verdict first = a.admit(r, null, ip("192.0.2.1"), 0);
        assertThat(a.admit(r, null, ip("192.0.2.1"), 1).refusal()).isEqualTo("source_rate");
        assertThat(a.live(first.key())).isEqualTo(1);
    }

    @Test
    void refusalsFromEveryAddressOfOneSlash64AreOneSourceInTheLog() throws Exception {
        Admission.Rules r = rules("[::1]:7101 inet n n n - 5 /bin/cat -M protocol=inetd -M max_per_source=1");
        Admission a = new Admission();
        int logged = 0;
        for (int i = 1; i <= 5000; i++) {
            logged += a.logDue(r, ip("2001:db8::" + Integer.toHexString(i)), 1000) ? 1 : 0;
        }
        assertThat(logged).isEqualTo(1);
        assertThat(a.loggedSources()).isEqualTo(1);
        // the next /64 is another source
        assertThat(a.logDue(r, ip("2001:db8:0:1::1"), 1000)).isTrue();
        assertThat(a.loggedSources()).isEqualTo(2);
        // and the same source is logged again a minute later
        assertThat(a.logDue(r, ip("2001:db8::1"), 1000 + Admission.LOG_INTERVAL_MS)).isTrue();
    }

    @Test
    void theRefusalLogUsesTheServicesSourcePrefixForIpv4Too() throws Exception {
        Admission.Rules r = rules("127.0.0.1:7101 inet n n n - 5 /bin/cat -M protocol=inetd -M source_prefix=24/64");
        Admission a = new Admission();
        for (int i = 0; i < 256; i++) {
            a.logDue(r, ip("127.0.0." + i), 0);
        }
        a.logDue(r, null, 0);
        assertThat(a.loggedSources()).isEqualTo(2);
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
        Admission.Rules r = rules("127.0.0.1:7101 inet n n n - 5 /bin/cat -M protocol=inetd -M source_rate=1/3600");
        Admission a = new Admission();
        int n = Admission.MAX_SOURCE_BUCKETS * 2;
        for (int i = 0; i < n; i++) {
            Admission.Verdict v = a.admit(r, null, address(i), i);
            assertThat(v.admitted()).isTrue();
            a.release(v.key());
        }
        assertThat(a.sourceBuckets()).isEqualTo(Admission.MAX_SOURCE_BUCKETS);
        assertThat(a.admit(r, null, address(n - 1), n).refusal()).isEqualTo("source_rate");
    }

    private static InetAddress address(int i) throws Exception {
        return InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
    }
}
