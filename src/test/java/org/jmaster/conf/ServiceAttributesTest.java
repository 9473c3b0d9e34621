package org.jmaster.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jmaster.conf.TestConf.MASTER;
import static org.jmaster.conf.TestConf.entry;
import static org.jmaster.conf.TestConf.errors;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ServiceAttributesTest {

    private static ServiceAttributes attrs(String args) throws Exception {
        return entry("smtp inet n - n - - cmd " + args).attributes();
    }

    private static void assertAttributeError(String args, String text) {
        assertThat(errors("# x\nsmtp inet n - n - - cmd " + args + "\n"))
                .containsExactly(new ConfigError(MASTER, 2, text));
    }

    @Test
    void attributesAreRemovedFromTheArgumentsAnywhere() throws Exception {
        ServiceEntry e = entry("smtp inet n - n - 4 cmd -M protocol=inetd a -o x=y\n"
                + "  -M { refuse_reply = 421 4.7.0 too many connections } b -M max_per_source=3");
        assertThat(e.args()).containsExactly("a", "-o", "x=y", "b");
        assertThat(e.attributes().asMap()).containsExactly(Map.entry("protocol", "inetd"),
                Map.entry("refuse_reply", "421 4.7.0 too many connections"), Map.entry("max_per_source", "3"));
        assertThat(e.protocol()).isEqualTo(Protocol.INETD);
        assertThat(e.attributes().getInt("max_per_source")).hasValue(3);
        assertThat(e.childArgv(false, false, 1, false, false))
                .containsExactly("cmd", "-n", "smtp", "-t", "inet", "-u", "a", "-o", "x=y", "b");
    }

    @Test
    void bracedValueAfterEquals() throws Exception {
        ServiceAttributes a = attrs("-M refuse_reply={421 4.7.0 too many connections from your address}"
                + " -M env={A=1 B=two}");
        assertThat(a.get("refuse_reply")).contains("421 4.7.0 too many connections from your address");
        assertThat(a.env()).containsExactly(Map.entry("A", "1"), Map.entry("B", "two"));
    }

    @Test
    void bracedMinusMIsAnOrdinaryArgument() throws Exception {
        ServiceEntry e = entry("svc unix n - n - - pipe argv=/bin/prog {-M} x=y");
        assertThat(e.args()).containsExactly("argv=/bin/prog", "-M", "x=y");
        assertThat(e.attributes().isEmpty()).isTrue();
    }

    @Test
    void settingsAreTypedWithTheirDefaults() throws Exception {
        ServiceSettings d = entry("svc unix - - n - - prog").settings();
        assertThat(d.protocol()).isEqualTo(Protocol.POSTFIX);
        assertThat(d.stderr()).isEqualTo(ServiceSettings.Stderr.INHERIT);
        assertThat(d.fdNames()).containsExactly("svc");
        assertThat(d.admission().sourcePrefix()).isEqualTo("32/64");
        assertThat(d.prefork()).isZero();
        ServiceSettings s = entry("127.0.0.1:9 inet n - n - 4 /bin/cat -M protocol=inetd -M max_per_source=2"
                + " -M source_prefix=24/48 -M rate=10/1m -M refuse_reply={421 busy} -M rlimit_nofile=64"
                + " -M rlimit_core=1m -M user=nobody -M groups=adm,mail -M env={A=1 B=2}").settings();
        assertThat(s.protocol()).isEqualTo(Protocol.INETD);
        assertThat(s.stderr()).isEqualTo(ServiceSettings.Stderr.LOG);
        assertThat(s.admission().maxPerSource()).isEqualTo(2);
        assertThat(s.admission().ipv4Bits()).isEqualTo(24);
        assertThat(s.admission().ipv6Bits()).isEqualTo(48);
        assertThat(s.admission().rate()).contains(new ServiceAttribute.Rate(10, 60));
        assertThat(s.refuseReply()).contains("421 busy");
        assertThat(s.exec().rlimits()).containsExactly(java.util.Map.entry("nofile", 64L),
                java.util.Map.entry("core", 1L << 20));
        assertThat(s.exec().user()).contains("nobody");
        assertThat(s.exec().groups()).contains(java.util.List.of("adm", "mail"));
        assertThat(s.exec().env()).containsExactly(java.util.Map.entry("A", "1"), java.util.Map.entry("B", "2"));
        assertThat(entry("web unix n - n - 1 /bin/web -M protocol=systemd -M fdname=a:b").settings().fdNames())
                .containsExactly("a", "b");
    }

    @Test
    void defaults() throws Exception {
        ServiceAttributes a = attrs("");
        assertThat(a).isSameAs(ServiceAttributes.EMPTY);
        assertThat(a.get("protocol")).isEmpty();
        assertThat(a.valueOrDefault(ServiceAttribute.SOURCE_PREFIX)).contains("32/64");
        assertThat(a.valueOrDefault(ServiceAttribute.USER)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "protocol=postfix", "protocol=inetd", "protocol=systemd",
        "prefork=0", "prefork=12", "max_spare=4", "max_per_source=0", "max_use_jitter=10",
        "source_prefix=32/64", "source_prefix=0/0", "source_prefix=24/128",
        "source_group=smtp_and-submission.1",
        "source_exempt=127.0.0.1", "source_exempt={127.0.0.0/8, ::1 10.0.0.0/8,2001:db8::/32}",
        "rate=10/1", "rate=10/1s", "rate=100/5m", "rate=1000/1h", "source_rate=3/60",
        "refuse_reply={421 4.7.0 go away}", "throttle_reply=421-busy",
        "fdname=smtp", "fdname=smtp:submission",
        "user=nobody", "user=1000", "group=nogroup", "group=0", "groups=adm,mail", "groups={adm, 4, mail}",
        "user=machine$",
        "chroot=/var/spool/postfix", "cwd=/", "umask=022", "umask=0022", "umask=7",
        "nice=-20", "nice=19", "nice=0", "nice=+5",
        "rlimit_nofile=1024", "rlimit_nofile=infinity", "rlimit_nproc=0",
        "rlimit_as=512m", "rlimit_as=2G", "rlimit_core=0", "rlimit_core=infinity", "rlimit_as=100k",
        "env=LANG=C", "env=X=", "env={A=1 B=2}", "env={ _P=a=b }",
        "stderr=log", "stderr=null", "stderr=inherit",
    })
    void validValues(String pair) throws Exception {
        String name = pair.substring(0, pair.indexOf('='));
        assertThat(attrs("-M " + pair).get(name)).isPresent();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "protocol=inet|protocol|inet",
        "protocol=Postfix|protocol|Postfix",
        "prefork=-1|prefork|-1",
        "prefork=5x|prefork|5x",
        "max_spare=|max_spare|''",
        "max_per_source=many|max_per_source|many",
        "source_prefix=33/64|source_prefix|33/64",
        "source_prefix=32/129|source_prefix|32/129",
        "source_prefix=32|source_prefix|32",
        "source_group=a/b|source_group|a/b",
        "source_exempt=localhost|source_exempt|localhost",
        "source_exempt=127.0.0.1/33|source_exempt|127.0.0.1/33",
        "source_exempt=::1/129|source_exempt|::1/129",
        "rate=0/1|rate|0/1",
        "rate=10|rate|10",
        "rate=10/0|rate|10/0",
        "rate=10/1d|rate|10/1d",
        "source_rate=x/1|source_rate|x/1",
        "fdname=a::b|fdname|a::b",
        "user=a:b|user|a:b",
        "user=-x|user|-x",
        "groups=a,,b|groups|a,,b",
        "chroot=relative/dir|chroot|relative/dir",
        "cwd=.|cwd|.",
        "umask=8|umask|8",
        "umask=01777|umask|01777",
        "nice=20|nice|20",
        "nice=-21|nice|-21",
        "rlimit_nofile=-1|rlimit_nofile|-1",
        "rlimit_nofile=1k|rlimit_nofile|1k",
        "rlimit_as=1t|rlimit_as|1t",
        "rlimit_core=unlimited|rlimit_core|unlimited",
        "env=1A=x|env|1A=x",
        "env=NOEQUALS|env|NOEQUALS",
        "stderr=file|stderr|file",
    })
    void badValues(String pair, String name, String value) {
        String syntax = ServiceAttribute.byName(name).orElseThrow().syntax();
        assertAttributeError("-M " + pair, "attribute \"" + name + "\": bad value: \"" + value
                + "\" (expected " + syntax + ")");
    }

    @Test
    void multiLineReplyIsRejected() {
        // a CR can only arrive inside a braced group in the middle of a physical line
        assertAttributeError("-M {throttle_reply=a\rb}", "attribute \"throttle_reply\": bad value: \"a\rb\""
                + " (expected one line of text)");
    }

    @Test
    void unknownName() {
        assertAttributeError("-M bogus=1", "unknown service attribute: \"bogus\"");
        assertAttributeError("-M Protocol=inetd", "unknown service attribute: \"Protocol\"");
    }

    @Test
    void missingEquals() {
        assertAttributeError("-M prefork", "missing '=' after attribute name: \"prefork\"");
        assertAttributeError("-M { prefork 3 }", "missing '=' after attribute name: \"prefork 3\"");
    }

    @Test
    void missingName() {
        assertAttributeError("-M =3", "missing attribute name: \"=3\"");
        assertAttributeError("-M {}", "missing attribute name: \"\"");
    }

    @Test
    void repeatedName() {
        assertAttributeError("-M prefork=1 x -M prefork=2", "duplicate service attribute: \"prefork\"");
    }

    @Test
    void missingPairAfterMinusM() {
        assertAttributeError("a -M", "missing attribute after \"-M\"");
    }

    @Test
    void badBracesInThePair() {
        assertAttributeError("-M { prefork=1", "missing '}' in \"{ prefork=1\"");
        assertAttributeError("-M refuse_reply={a}b", "attribute \"refuse_reply\": syntax error after '}' in \"{a}b\"");
    }

    @Test
    void everyProblemOfALineIsReported() {
        assertThat(errors("smtp inet n - n - - cmd -M bogus=1 -M prefork=x -M prefork=1 -M prefork=2\n"))
                .extracting(ConfigError::text).containsExactly(
                        "unknown service attribute: \"bogus\"",
                        "attribute \"prefork\": bad value: \"x\" (expected an integer >= 0)",
                        "duplicate service attribute: \"prefork\"");
    }

    @Test
    void typedAccessors() throws Exception {
        ServiceAttributes a = attrs("-M rate=10/2m -M source_rate=5/1 -M rlimit_as=2m -M rlimit_nofile=infinity"
                + " -M umask=027 -M nice=-5 -M groups={adm, 4} -M fdname=a:b -M source_exempt={::1, 10.0.0.0/8}");
        assertThat(a.getRate("rate")).contains(new ServiceAttribute.Rate(10, 120));
        assertThat(a.getRate("source_rate")).contains(new ServiceAttribute.Rate(5, 1));
        assertThat(a.getLimit("rlimit_as")).contains(2L << 20);
        assertThat(a.getLimit("rlimit_nofile")).contains(ServiceAttribute.Limit.INFINITY);
        assertThat(a.getLimit("rlimit_core")).isEmpty();
        assertThat(a.umask()).isEqualTo(OptionalInt.of(027));
        assertThat(a.getInt("nice")).hasValue(-5);
        assertThat(a.getList("groups")).containsExactly("adm", "4");
        assertThat(a.getList("fdname")).containsExactly("a", "b");
        assertThat(a.getList("source_exempt")).containsExactly("::1", "10.0.0.0/8");
        assertThat(a.get("nope")).isEqualTo(Optional.empty());
    }

    @Test
    void groupListsAreBoundedLikeTheExecStep() throws Exception {
        String full = String.join(",", java.util.Collections.nCopies(ServiceAttribute.MAX_GROUPS, "4"));
        assertThat(attrs("-M groups=" + full).getList("groups")).hasSize(1024);
        assertThat(errors("# x\nsmtp inet n - n - - cmd -M groups=" + full + ",4\n")).singleElement()
                .extracting(ConfigError::toString).asString()
                .contains("attribute \"groups\": bad value:", "(expected a comma-separated list of at most 1024 group");
        assertThat(attrs("-M user=2147483647").get("user")).contains("2147483647");
        assertAttributeError("-M user=2147483648", "attribute \"user\": bad value: \"2147483648\" (expected "
                + ServiceAttribute.USER.syntax() + ")");
    }

    @Test
    void registryListsEveryAttributeOnce() {
        assertThat(ServiceAttribute.values()).extracting(ServiceAttribute::attributeName).containsExactly(
                "protocol", "prefork", "max_spare", "max_per_source", "source_prefix", "source_group",
                "source_exempt", "rate", "source_rate", "refuse_reply", "throttle_reply", "max_use_jitter",
                "fdname", "user", "group", "groups", "chroot", "umask", "nice", "rlimit_nofile", "rlimit_nproc",
                "rlimit_as", "rlimit_core", "env", "cwd", "stderr");
        assertThat(ServiceAttribute.byName("stderr")).contains(ServiceAttribute.STDERR);
    }
}
