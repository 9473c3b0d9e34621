package org.jmaster.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class AddressResolverTest {
    @Test
    void wildcardPerProtocolIpv4First() throws Exception {
        AddressResolver r = AddressResolver.forProtocols(List.of("ipv6", "ipv4"));
        assertThat(r.interfaces(List.of("all"))).extracting(InetAddress::getHostAddress)
                .containsExactly("0.0.0.0", "0:0:0:0:0:0:0:0");
    }

    @Test
    void explicitHostsAreSortedAndDeduplicated() throws Exception {
        AddressResolver r = AddressResolver.forProtocols(List.of("ipv4", "ipv6"));
        assertThat(r.interfaces(List.of("::1", "127.0.0.1", "127.0.0.1"))).extracting(InetAddress::getHostAddress)
                .containsExactly("127.0.0.1", "0:0:0:0:0:0:0:1");
        assertThat(AddressResolver.allLoopback(r.interfaces(List.of("loopback-only")))).isTrue();
    }

    @Test
    void disabledFamiliesAreDroppedAndEmptyIsAnError() throws Exception {
        AddressResolver v4 = AddressResolver.forProtocols(List.of("ipv4"));
        assertThatThrownBy(() -> v4.host("::1")).hasMessage("bad hostname or network address: ::1");
        assertThatThrownBy(() -> v4.interfaces(List.of())).hasMessageContaining(
                "service definition requires valid host name or address, or non-empty inet_interfaces setting");
        assertThatThrownBy(() -> AddressResolver.forProtocols(List.of("ipx"))).hasMessageContaining("ipx");
    }

    @Test
    void nonLocalInterfaceIsRefused() throws Exception {
        AddressResolver r = AddressResolver.forProtocols(List.of("ipv4"));
        assertThatThrownBy(() -> r.interfaces(List.of("192.0.2.77"))).hasMessageContaining("no local interface");
    }
}
