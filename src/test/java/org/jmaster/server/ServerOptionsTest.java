package org.jmaster.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The skeletons' getopt, against the argument vectors masters really build (protocol doc §3.6, §3.7). */
class ServerOptionsTest {
    private static ServerOptions single(String... args) throws ServerOptions.UsageException {
        return ServerOptions.parse(args, ServerOptions.SINGLE);
    }

    @Test
    void postfixsOwnArgumentVectors() throws Exception {
        ServerOptions o = single("-n", "smtp", "-t", "inet", "-u", "-o", "stress=", "-s", "2");
        assertThat(o.serviceName()).isEqualTo("smtp");
        assertThat(o.transport()).isEqualTo("inet");
        assertThat(o.unprivileged()).isTrue();
        assertThat(o.chroot()).isFalse();
        assertThat(o.overrides()).containsExactly(Map.entry("stress", ""));
        assertThat(o.socketCount()).isEqualTo(2);
        assertThat(o.arguments()).isEmpty();

        ServerOptions p = single("-l", "-t", "unix", "-d", "-v", "-u", "-c");
        assertThat(p.solitary()).isTrue();
        assertThat(p.foreground()).isTrue();
        assertThat(p.verbose()).isEqualTo(1);
        assertThat(p.chroot()).isTrue();
        assertThat(p.serviceName()).isNull();
        assertThat(single("-z", "-t", "unix").unlimited()).isTrue();
    }

    @Test
    void clusteredFlagsAttachedValuesAndTheEndOfOptions() throws Exception {
        ServerOptions o = single("-dvvu", "-tinet", "-n127.0.0.1:2525", "-omax_use=5", "extra", "-o", "not=an option");
        assertThat(o.foreground()).isTrue();
        assertThat(o.verbose()).isEqualTo(2);
        assertThat(o.unprivileged()).isTrue();
        assertThat(o.transport()).isEqualTo("inet");
        assertThat(o.serviceName()).isEqualTo("127.0.0.1:2525");
        assertThat(o.overrides()).containsExactly(Map.entry("max_use", "5"));
        assertThat(o.arguments()).containsExactly("extra", "-o", "not=an option");
        assertThat(single("-t", "unix", "--", "-x").arguments()).containsExactly("-x");
        assertThat(single("-t", "unix", "-").arguments()).containsExactly("-");
    }

    @Test
    void overridesKeepTheirOrderAndTheLastOneWins() throws Exception {
        ServerOptions o = single("-t", "unix", "-o", "{ smtpd_banner = a b }".replaceAll("[{}]", "").trim(),
                "-i", "10s", "-o", "max_idle = 20s", "-m", "3", "-o", "smtpd_banner=c");
        assertThat(o.overrides()).containsExactly(Map.entry("max_idle", "20s"), Map.entry("max_use", "3"),
                Map.entry("smtpd_banner", "c"));
        assertThat(single("-t", "unix", "-o", "empty=").overrides()).containsEntry("empty", "");
    }

    @Test
    void retireAndStandAlone() throws Exception {
        assertThat(single("-t", "inet", "-r", "60").retireSeconds()).isEqualTo(60);
        ServerOptions s = single("-S");
        assertThat(s.standalone()).isTrue();
        assertThat(s.transport()).isNull();
    }

    @Test
    void badCommandLinesSayWhat() {
        assertThatThrownBy(() -> single("-x", "-t", "inet")).hasMessage("invalid option: -x");
        assertThatThrownBy(() -> single("-t")).hasMessage("option requires an argument: -t");
        assertThatThrownBy(() -> single("-u")).hasMessage("no transport type specified");
        assertThatThrownBy(() -> single("-t", "inet", "-s", "0")).hasMessage("invalid socket_count: 0");
        assertThatThrownBy(() -> single("-t", "inet", "-s", "two")).hasMessage("invalid socket_count: two");
        assertThatThrownBy(() -> single("-t", "inet", "-o", "novalue"))
                .hasMessage("invalid \"-o novalue\" option value: missing '=' after attribute name");
        assertThatThrownBy(() -> single("-t", "inet", "-o", " =x"))
                .hasMessage("invalid \"-o  =x\" option value: missing attribute name");
        assertThatThrownBy(() -> single("-t", "inet", "-r", "-5")).hasMessage("invalid retire time: -5");
        // -r is the single server's alone, as in Postfix
        assertThatThrownBy(() -> ServerOptions.parse(new String[] {"-t", "inet", "-r", "5"}, ServerOptions.MULTI))
                .hasMessage("invalid option: -r");
        assertThatThrownBy(() -> single("-:", "-t", "inet")).hasMessage("invalid option: -:");
    }

    @Test
    void argumentsAreImmutableCopies() throws Exception {
        ServerOptions o = single("-t", "inet", "a");
        assertThatThrownBy(() -> o.arguments().add("b")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(o.arguments()).isEqualTo(List.of("a"));
    }
}
