package org.jmaster.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.jmaster.conf.TestConf.MAIN;
import static org.jmaster.conf.TestConf.main;
import static org.jmaster.conf.TestConf.mainErrors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MainConfigTest {

    // ---- syntax ----

    @Test
    void nameValueWithWhitespaceTrimmed() throws Exception {
        MainConfig m = main("  \nfoo   =   bar baz   \nempty =\n");
        assertThat(m.raw("foo")).isEqualTo("bar baz");
        assertThat(m.get("empty")).isEmpty();
        assertThat(m.isSet("empty")).isTrue();
        assertThat(m.names()).containsExactly(Map.entry("foo", "bar baz"), Map.entry("empty", ""));
    }

    @Test
    void continuationLinesJoinTheValue() throws Exception {
        MainConfig m = main("debugger_command =\n\t PATH=/bin:/usr/bin\n\t ddd $daemon_directory/$process_name\n");
        assertThat(m.raw("debugger_command")).isEqualTo("PATH=/bin:/usr/bin\t ddd $daemon_directory/$process_name");
    }

    @Test
    void missingEqualsIsAnErrorWithLineAndText() {
        assertThat(mainErrors("a = 1\n\nfoo bar\n")).containsExactly(
                new ConfigError(MAIN, 3, "missing '=' after attribute name: \"foo bar\""));
    }

    @Test
    void missingNameIsAnError() {
        assertThat(mainErrors("= 1\n")).extracting(ConfigError::toString)
                .containsExactly("/etc/jmaster-test/main.cf, line 1: missing attribute name: \"= 1\"");
    }

    @Test
    void allErrorsOfTheFileAreReported() {
        assertThat(mainErrors("x\ny = 1\nz\n")).extracting(ConfigError::line).containsExactly(1, 3);
    }

    @Test
    void lastOneWinsWithWarning() throws Exception {
        MainConfig m = main("a = one\nb = x\na = two\n");
        assertThat(m.get("a")).isEqualTo("two");
        assertThat(m.line("a")).isEqualTo(3);
        assertThat(m.warnings()).containsExactly(new ConfigError(MAIN, 3, "overriding earlier entry: a=one"));
    }

    @Test
    void readOnlyParametersAreIgnoredWithWarning() throws Exception {
        MainConfig m = MainConfig.parse(MAIN, "process_name = foo\nmail_version = 9\nprocess_id = 1\n",
                TestConf.DIR, Map.of("mail_version", "1.2.3"));
        assertThat(m.get("process_name")).isEqualTo("master");
        assertThat(m.get("mail_version")).isEqualTo("1.2.3");
        assertThat(m.get("process_id")).isEqualTo(Long.toString(ProcessHandle.current().pid()));
        assertThat(m.warnings()).extracting(ConfigError::text).containsExactly(
                "ignoring read-only parameter: process_name = foo",
                "ignoring read-only parameter: mail_version = 9",
                "ignoring read-only parameter: process_id = 1");
    }

    @Test
    void configDirectoryIsAlwaysTheDirectoryRead() throws Exception {
        MainConfig m = MainConfig.parse(MAIN, "config_directory = /elsewhere\n", Path.of("rel/dir"), Map.of());
        assertThat(m.get("config_directory")).isEqualTo(Path.of("rel/dir").toAbsolutePath().toString());
        assertThat(m.configDirectory().isAbsolute()).isTrue();
        assertThat(m.warnings()).hasSize(1);
    }

    // ---- defaults ----

    @Test
    void builtInDefaults() throws Exception {
        MainConfig m = main("");
        assertThat(m.get("default_process_limit")).isEqualTo("100");
        assertThat(m.get("service_throttle_time")).isEqualTo("60s");
        assertThat(m.get("max_idle")).isEqualTo("100s");
        assertThat(m.get("max_use")).isEqualTo("100");
        assertThat(m.get("inet_interfaces")).isEqualTo("all");
        assertThat(m.get("inet_protocols")).isEqualTo("all");
        assertThat(m.get("import_environment")).isEqualTo("MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ XAUTHORITY"
                + " DISPLAY LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME XDG_RUNTIME_DIR");
        assertThat(m.get("mail_owner")).isEqualTo("postfix");
        assertThat(m.get("setgid_group")).isEqualTo("postdrop");
        assertThat(m.get("compatibility_level")).isEqualTo("0");
        assertThat(m.get("tcp_windowsize")).isEqualTo("0");
        assertThat(m.get("known_tcp_ports")).isEqualTo("lmtp=24, smtp=25, smtps=submissions=465, submission=587");
        assertThat(m.get("syslog_name")).isEqualTo("postfix");
        assertThat(m.get("syslog_facility")).isEqualTo("mail");
        assertThat(m.get("maillog_file")).isEmpty();
        assertThat(m.get("postlog_service_name")).isEqualTo("postlog");
        assertThat(m.get("myhostname")).isNotEmpty();
        assertThat(m.get("debugger_command")).isEmpty();
        assertThat(m.get("master_service_disable")).isEmpty();
        assertThat(m.get("daemon_directory")).isEqualTo("/usr/libexec/postfix");
        assertThat(m.get("queue_directory")).isEqualTo("/var/spool/postfix");
        assertThat(m.get("data_directory")).isEqualTo("/var/lib/postfix");
        assertThat(m.get("config_directory")).isEqualTo("/etc/jmaster-test");
        assertThat(m.get("process_name")).isEqualTo("master");
        assertThat(m.get("mail_version")).isEmpty();
        assertThat(m.get("service_throttle_max_time")).isEqualTo("3600s");
        assertThat(m.get("master_shutdown_grace_time")).isEqualTo("5s");
        assertThat(m.get("no_such_parameter")).isEmpty();
        assertThat(m.isSet("max_idle")).isFalse();
        assertThat(m.names()).isEmpty();
    }

    @Test
    void compiledDefaultsReplaceBuiltIns() throws Exception {
        MainConfig m = MainConfig.parse(MAIN, "", TestConf.DIR,
                Map.of("daemon_directory", "/opt/jmaster/services", "mail_version", "0.1.0"));
        assertThat(m.get("daemon_directory")).isEqualTo("/opt/jmaster/services");
        assertThat(m.get("mail_version")).isEqualTo("0.1.0");
    }

    @Test
    void syslogNameDefaultFollowsMultiInstanceName() throws Exception {
        assertThat(main("multi_instance_name = postfix-out\n").get("syslog_name")).isEqualTo("postfix-out");
    }

    @Test
    void loadWithoutMainCfGivesDefaults(@TempDir Path dir) throws Exception {
        MainConfig m = MainConfig.load(dir, Map.of());
        assertThat(m.get("default_process_limit")).isEqualTo("100");
        assertThat(m.file()).isEqualTo(dir.resolve("main.cf"));
    }

    @Test
    void loadReadsMainCf(@TempDir Path dir) throws IOException, ConfigException {
        Files.writeString(dir.resolve("main.cf"), "default_process_limit = 7\n");
        assertThat(MainConfig.load(dir, Map.of()).getInt("default_process_limit")).isEqualTo(7);
    }

    // ---- expansion ----

    @ParameterizedTest(name = "{0} -> [{1}]")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "$set|value",
        "${set}|value",
        "$(set)|value",
        "x$set.y|xvalue.y",
        "$unset|''",
        "${unset}|''",
        "a$$b|a$b",
        "$$set|$set",
        "${set?yes}|yes",
        "${unset?yes}|''",
        "${empty?yes}|''",
        "${set?{ yes }}|' yes '",
        "${set:no}|''",
        "${unset:no}|no",
        "${empty:no}|no",
        "${unset:{no}}|no",
        "${set?{t}:{f}}|t",
        "${unset?{t}:{f}}|f",
        "${set?{t}:f}|t",
        "${unset?{t}:f}|f",
        "${set?a:b}|a:b",
        "${set?$set}|value",
        "${unset:$set}|value",
        "${{a} == {a} ? {eq} : {ne}}|eq",
        "${{a} == {b} ? {eq} : {ne}}|ne",
        "${{a} != {b} ? {ne} : {eq}}|ne",
        "${{$set} == {value}?{y}:{n}}|y",
        "${{10} < {9} ? {lt} : {ge}}|ge",
        "${{10} > {9} ? {gt} : {le}}|gt",
        "${{010} == {10} ? {numeq} : {numne}}|numeq",
        "${{b} < {a} ? {lt} : {ge}}|ge",
        "${{a} <= {a} ? {le} : {gt}}|le",
        "${{a} >= {b} ? {ge} : {lt}}|lt",
        "${{9} <= {10} ? {le} : {gt}}|le",
        "${{a} == {a}}|true",
        "${{a} == {b}}|''",
        "${{3.6} <level {3.10} ? {lt} : {ge}}|lt",
        "${{$compatibility_level} <level {1} ? {old} : {new}}|old",
        "${{2} >=level {2.0.0} ? {ge} : {lt}}|ge",
        "$chain|value-value",
        "${set?${chain}}|value-value",
    })
    void expansionForms(String pattern, String expected) throws Exception {
        MainConfig m = main("set = value\nempty =\nchain = $set-${set}\nx = " + pattern + "\n");
        assertThat(m.get("x")).isEqualTo(expected);
    }

    @Test
    void expansionIsLazyAndUsesTheLastValue() throws Exception {
        MainConfig m = main("a = $b\nb = one\nb = two\n");
        assertThat(m.get("a")).isEqualTo("two");
        assertThat(m.raw("a")).isEqualTo("$b");
    }

    @Test
    void defaultsTakePartInExpansion() throws Exception {
        MainConfig m = main("x = $mail_owner:$default_process_limit\n");
        assertThat(m.get("x")).isEqualTo("postfix:100");
    }

    @Test
    void selfReferenceHitsTheNestingLimit() throws Exception {
        assertThat(mainErrors("syslog_name = $syslog_name\n")).containsExactly(new ConfigError(MAIN, 1,
                "parameter syslog_name: unreasonable macro call nesting: \"syslog_name\""));
        MainConfig m = main("a = $a\n");
        assertThat(m.warnings()).containsExactly(
                new ConfigError(MAIN, 1, "parameter a: unreasonable macro call nesting: \"a\""));
        assertThat(m.get("a")).isEmpty();
    }

    @Test
    void mutualRecursionIsReportedForEveryKnownParameter() {
        assertThat(mainErrors("max_use = $max_idle\nmax_idle = $max_use\n"))
                .extracting(ConfigError::line).containsExactly(1, 2);
    }

    @Test
    void nestingOfOneHundredIsFine() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            sb.append("p").append(i).append(" = $p").append(i + 1).append('\n');
        }
        sb.append("p100 = end\n");
        assertThat(main(sb.toString()).get("p0")).isEqualTo("end");
        sb.append("p101 = x\n");
        String deeper = sb.toString().replace("p100 = end", "p100 = $p101").replace("p101 = x", "p101 = $p102\np102 = x");
        assertThat(mainErrors("max_idle = $p0\n" + deeper.replace("p0 = $p1\n", "p0 = $p1\n")))
                .extracting(ConfigError::text).first().asString().contains("unreasonable macro call nesting");
    }

    @Test
    void syntaxErrorsInUnknownParametersAreWarnings() throws Exception {
        MainConfig m = main("foo = ${bar\nbaz = $\n");
        assertThat(m.warnings()).extracting(ConfigError::toString).containsExactly(
                "/etc/jmaster-test/main.cf, line 1: parameter foo: truncated macro reference: \"${bar\"",
                "/etc/jmaster-test/main.cf, line 2: parameter baz: empty macro name: \"$\"");
        assertThat(m.get("foo")).isEmpty();
    }

    @Test
    void syntaxErrorsInKnownParametersAreErrors() {
        assertThat(mainErrors("master_service_disable = ${x\n")).containsExactly(
                new ConfigError(MAIN, 1, "parameter master_service_disable: truncated macro reference: \"${x\""));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "${a-b}|attribute name syntax error at: \"...a>>>-b\"",
        "${{a} = {b}}|\"==\", \"!=\", \"<\", \"<=\", \">=\", or \">\" expected at: \"...{a}>>>= {b}\"",
        "${{a} == b}|\"{expression}\" expected at: \"...{a} ==>>> b\"",
        "${{a} == {b} x}|\"?\" or \":\" expected at: \"...}>>>x\"",
        "${x?{a} y}|\":\" expected at: \"...a}>>>y\"",
        "${x:{a} y}|unexpected input at: \"...a}>>>y\"",
        "${{a} == {b}|truncated macro reference: \"${{a} == {b}\"",
        "$({a} == {b)|unbalanced {} in attribute expression: \"{b\"",
        "${{x} <level {3.x} ? {a} : {b}}|bad compatibility level: \"x\"",
    })
    void expansionSyntaxErrors(String value, String error) {
        assertThat(mainErrors("x = 1\nsyslog_name = " + value + "\n")).containsExactly(
                new ConfigError(MAIN, 2, "parameter syslog_name: " + error));
    }

    @Test
    void exponentialExpansionIsCutOff() {
        StringBuilder sb = new StringBuilder("syslog_name = $a0\n");
        for (int i = 0; i < 40; i++) {
            sb.append("a").append(i).append(" = $a").append(i + 1).append("$a").append(i + 1).append('\n');
        }
        sb.append("a40 = x\n");
        assertThat(mainErrors(sb.toString())).extracting(ConfigError::text)
                .anyMatch(t -> t.startsWith("parameter syslog_name: unreasonable macro expansion size"));
    }

    // ---- typed getters ----

    @Test
    void getInt() throws Exception {
        MainConfig m = main("a = 42\nb = -3\nc = 5x\nd = $a\n");
        assertThat(m.getInt("a")).isEqualTo(42);
        assertThat(m.getInt("b")).isEqualTo(-3);
        assertThat(m.getInt("d")).isEqualTo(42);
        assertThatThrownBy(() -> m.getInt("c")).isInstanceOf(ConfigException.class)
                .hasMessage("/etc/jmaster-test/main.cf, line 3: bad numerical configuration: c = 5x");
        assertThatThrownBy(() -> m.getInt("unset")).hasMessage(
                "/etc/jmaster-test/main.cf: bad numerical configuration: unset = ");
    }

    @Test
    void knownIntegerParametersAreCheckedAtLoad() {
        assertThat(mainErrors("default_process_limit = 5x\nmax_use = 0\ntcp_windowsize = -1\n")).containsExactly(
                new ConfigError(MAIN, 1, "bad numerical configuration: default_process_limit = 5x"),
                new ConfigError(MAIN, 2, "invalid max_use parameter value 0 < 1"),
                new ConfigError(MAIN, 3, "invalid tcp_windowsize parameter value -1 < 0"));
    }

    @Test
    void integerOverflowIsBadNumerical() {
        assertThat(mainErrors("default_process_limit = 99999999999\n")).extracting(ConfigError::text)
                .containsExactly("bad numerical configuration: default_process_limit = 99999999999");
    }

    @Test
    void getBool() throws Exception {
        MainConfig m = main("a = yes\nb = NO\nc = Yes\nd = true\n");
        assertThat(m.getBool("a")).isTrue();
        assertThat(m.getBool("b")).isFalse();
        assertThat(m.getBool("c")).isTrue();
        assertThatThrownBy(() -> m.getBool("d")).hasMessage(
                "/etc/jmaster-test/main.cf, line 4: bad boolean configuration: d = true");
    }

    @ParameterizedTest
    @CsvSource({"10,10", "10s,10", "2m,120", "3h,10800", "1d,86400", "2w,1209600", "0,0"})
    void timeUnits(String value, long seconds) throws Exception {
        assertThat(main("t = " + value + "\n").getTimeSeconds("t")).isEqualTo(seconds);
    }

    @Test
    void timeDefaultUnitIsPerParameter() throws Exception {
        MainConfig m = main("max_idle = 7\nservice_throttle_time = 2\nipc_timeout = 9\ndaemon_timeout = 1\n");
        assertThat(m.getTimeSeconds("max_idle")).isEqualTo(7);
        assertThat(m.getTimeSeconds("service_throttle_time")).isEqualTo(2);
        assertThat(m.getTimeSeconds("ipc_timeout")).isEqualTo(9);
        assertThat(m.getTimeSeconds("daemon_timeout")).isEqualTo(1);
        assertThat(main("").getTimeSeconds("service_throttle_max_time")).isEqualTo(3600);
        assertThat(main("").getTimeSeconds("master_shutdown_grace_time")).isEqualTo(5);
    }

    @Test
    void badTimeValues() throws Exception {
        MainConfig m = main("a = 5x\nb = 1ms\nc = -1s\nd = s\ne = 1M\n");
        for (String name : new String[] {"a", "b", "c", "d", "e"}) {
            assertThatThrownBy(() -> m.getTimeSeconds(name)).isInstanceOf(ConfigException.class)
                    .hasMessage("/etc/jmaster-test/main.cf, line " + m.line(name) + ": parameter " + name
                            + ": bad time value: " + m.get(name));
        }
        assertThat(mainErrors("service_throttle_time = 0\nmax_idle = 1x\n")).containsExactly(
                new ConfigError(MAIN, 1, "invalid service_throttle_time parameter value 0 < 1"),
                new ConfigError(MAIN, 2, "parameter max_idle: bad time value: 1x"));
    }

    @Test
    void listsSplitOnCommaAndWhitespaceWithBraceGroups() throws Exception {
        MainConfig m = main("l = a, b\tc ,,d\nenv = MAIL_CONFIG { TZ = UTC } {LANG=C}\nempty =\nbad = { x\n");
        assertThat(m.getList("l")).containsExactly("a", "b", "c", "d");
        assertThat(m.getList("env")).containsExactly("MAIL_CONFIG", "TZ = UTC", "LANG=C");
        assertThat(m.getList("empty")).isEmpty();
        assertThat(m.getList("bad")).containsExactly("x");
        assertThat(m.getList("import_environment")).hasSize(10).contains("LANG=C");
    }

    @Test
    void knownListParametersRejectBadBraces() {
        assertThat(mainErrors("import_environment = { TZ=UTC\n")).containsExactly(new ConfigError(MAIN, 1,
                "parameter import_environment: missing '}' in \"{ TZ=UTC\""));
        assertThat(mainErrors("inet_interfaces = {a}b\n")).containsExactly(new ConfigError(MAIN, 1,
                "parameter inet_interfaces: syntax error after '}' in \"{a}b\""));
    }

    @Test
    void inetProtocols() throws Exception {
        assertThat(main("").inetProtocols()).isEqualTo(new InetProtocols(true, true));
        assertThat(main("inet_protocols = ipv4\n").inetProtocols()).isEqualTo(new InetProtocols(true, false));
        assertThat(main("inet_protocols = ipv6, ipv4\n").inetProtocols()).isEqualTo(new InetProtocols(true, true));
        assertThat(main("inet_protocols =\n").inetProtocols().none()).isTrue();
        assertThat(mainErrors("inet_protocols = ipv4, ipx\n")).containsExactly(new ConfigError(MAIN, 1,
                "unknown inet_protocols value \"ipx\" in \"ipv4, ipx\""));
    }

    @Test
    void compatibilityLevel() throws Exception {
        assertThat(main("compatibility_level = 3.6\n").compatibilityLevel()).isEqualTo(new CompatLevel(3, 6, 0));
        assertThat(mainErrors("compatibility_level = three\n")).containsExactly(new ConfigError(MAIN, 1,
                "bad compatibility_level value: \"three\""));
    }

    @Test
    void knownTcpPorts() throws Exception {
        assertThat(main("").knownTcpPorts()).containsOnly(Map.entry("lmtp", 24), Map.entry("smtp", 25),
                Map.entry("smtps", 465), Map.entry("submissions", 465), Map.entry("submission", 587));
        assertThat(mainErrors("known_tcp_ports = foo, 25=smtp, bar=x\n")).extracting(ConfigError::text).containsExactly(
                "known_tcp_ports: missing '=' in \"foo\"",
                "known_tcp_ports: non-numerical service port in \"25=smtp\"",
                "known_tcp_ports: non-numerical service port in \"bar=x\"");
    }

    @Test
    void withOverrides() throws Exception {
        MainConfig m = main("max_use = 10\nx = $max_use\n");
        MainConfig o = m.withOverrides(Map.of("max_use", "20", "process_name", "evil"));
        assertThat(o.get("x")).isEqualTo("20");
        assertThat(o.getInt("max_use")).isEqualTo(20);
        assertThat(o.get("process_name")).isEqualTo("master");
        assertThat(m.get("x")).isEqualTo("10");
        assertThat(o.line("max_use")).isZero();
    }

    @Test
    void configErrorFormats() {
        assertThat(new ConfigError(Path.of("/a/master.cf"), 3, "x").toString()).isEqualTo("/a/master.cf: line 3: x");
        assertThat(new ConfigError(Path.of("/a/master.cf"), 0, "x").toString()).isEqualTo("/a/master.cf: x");
        assertThat(new ConfigError(null, 0, "x").toString()).isEqualTo("x");
        ConfigException e = new ConfigException(java.util.List.of(new ConfigError(Path.of("/f"), 1, "a"),
                new ConfigError(Path.of("/f"), 2, "b")));
        assertThat(e.getMessage()).isEqualTo("/f, line 1: a\n/f, line 2: b");
    }
}
