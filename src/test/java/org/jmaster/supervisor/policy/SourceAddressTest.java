package org.jmaster.supervisor.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SourceAddressTest {
    @Test
    void keysAreTheMaskedAddressAndTheLength() {
        assertThat(SourceAddress.key(SourceAddress.parseLiteral("192.0.2.77"), 32, 64)).isEqualTo("192.0.2.77/32");
        assertThat(SourceAddress.key(SourceAddress.parseLiteral("192.0.2.77"), 24, 64)).isEqualTo("192.0.2.0/24");
        assertThat(SourceAddress.key(SourceAddress.parseLiteral("2001:db8::1:2:3:4"), 32, 64))
                .isEqualTo("2001:db8:0:0:0:0:0:0/64");
        assertThat(SourceAddress.key(SourceAddress.parseLiteral("2001:db8:1:2:3::"), 32, 36))
                .isEqualTo("2001:db8:0:0:0:0:0:0/36");
    }

    @Test
    void literalsOnlyNeverNames() {
        assertThat(SourceAddress.parseLiteral("local")).isNull();
        assertThat(SourceAddress.parseLiteral("example.org")).isNull();
        assertThat(SourceAddress.parseLiteral("1.2.3")).isNull();
        assertThat(SourceAddress.parseLiteral("1.2.3.256")).isNull();
        assertThat(SourceAddress.parseLiteral("")).isNull();
        assertThat(SourceAddress.parseLiteral("::1")).isNotNull();
    }

    @Test
    void exemptionsMatchByPrefix() {
        List<SourceAddress.Network> list = SourceAddress.parseList(List.of("198.51.100.0/24", "[2001:db8::]/32",
                "203.0.113.9"));
        assertThat(SourceAddress.exempt(list, SourceAddress.parseLiteral("198.51.100.200"))).isTrue();
        assertThat(SourceAddress.exempt(list, SourceAddress.parseLiteral("198.51.101.1"))).isFalse();
        assertThat(SourceAddress.exempt(list, SourceAddress.parseLiteral("2001:db8:ffff::1"))).isTrue();
        assertThat(SourceAddress.exempt(list, SourceAddress.parseLiteral("203.0.113.9"))).isTrue();
        assertThat(SourceAddress.exempt(list, SourceAddress.parseLiteral("203.0.113.10"))).isFalse();
    }
}
