package org.jmaster.conf;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostSyntaxTest {

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "mail.example.com", "a", "a-b.c_d", "x1.2", "1a", "0x7f.0.0.1",
        "a23456789012345678901234567890123456789012345678901234567890123.com"})
    void validHostnames(String name) {
        assertThat(HostSyntax.isHostname(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3.4", "123", "-a", "a-", "a.-b", "a..b", "a.", ".a", "a b", "a!b", "é.com",
        "a234567890123456789012345678901234567890123456789012345678901234.com"})
    void invalidHostnames(String name) {
        assertThat(HostSyntax.isHostname(name)).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
        "127.0.0.1,127.0.0.1", "0.0.0.0,0.0.0.0", "255.255.255.255,255.255.255.255",
        "::,::", "::1,::1", "1::,1::", "0:0:0:0:0:0:0:1,::1", "2001:DB8:0:0:1:0:0:1,2001:db8::1:0:0:1",
        "2001:db8:0:1:1:1:1:1,2001:db8:0:1:1:1:1:1", "1:0:0:2:0:0:0:3,1:0:0:2::3",
        "::ffff:1.2.3.4,::ffff:1.2.3.4", "::1.2.3.4,::1.2.3.4", "fe80::1:2,fe80::1:2",
        "1:2:3:4:5:6:7::,1:2:3:4:5:6:7:0", "::2:3:4:5:6:7:8,0:2:3:4:5:6:7:8",
    })
    void addressesAndTheirCanonicalText(String text, String canonical) {
        byte[] bytes = HostSyntax.parseAddress(text);
        assertThat(bytes).isNotNull();
        assertThat(HostSyntax.format(bytes)).isEqualTo(canonical);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", ":", ":::",
        "1::2::3", ":1::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::", "1.2.3.4::", "::1.2.3",
        "1:2:3:4:5:6:7:8::", "::%eth0"})
    void invalidAddresses(String text) {
        assertThat(HostSyntax.parseAddress(text)).isNull();
    }
}
