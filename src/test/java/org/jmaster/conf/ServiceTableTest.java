package org.jmaster.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jmaster.conf.TestConf.MASTER;
import static org.jmaster.conf.TestConf.entry;
import static org.jmaster.conf.TestConf.errors;
import static org.jmaster.conf.TestConf.main;
import static org.jmaster.conf.TestConf.table;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServiceTableTest {

    private static final String HEAD = "# master.cf\nok unix n - n - - ok\n";

    /** The single error of HEAD + the bad line, which is line 3. */
    private static void assertError(String badLine, String text) {
        assertThat(errors(HEAD + badLine + "\n")).containsExactly(new ConfigError(MASTER, 3, text));
    }

    private static void assertError(String badLine, MainConfig main, String text) {
        assertThat(errors(HEAD + badLine + "\n", main)).containsExactly(new ConfigError(MASTER, 3, text));
    }

    // ---- §1.2 error texts, one test each ----

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "svc|transport type",
        "svc unix|private",
        "svc unix n|unprivileged",
        "svc unix n -|chroot",
        "svc unix n - n|wakeup_time",
        "svc unix n - n -|max_proc",
        "svc unix n - n - -|command",
    })
    void missingField(String line, String field) {
        assertError(line, "missing \"" + field + "\" field");
    }

    @Test
    void typeHasNoDefault() {
        assertError("svc - n - n - - cmd", "field \"transport type\" has no default value");
    }

    @Test
    void commandHasNoDefault() {
        assertError("svc unix n - n - - -", "field \"command\" has no default value");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "svc unix yes - n - - cmd|private|yes",
        "svc unix n Y n - - cmd|unprivileged|Y",
        "svc unix n - no - - cmd|chroot|no",
        "svc unix n - n -5 - cmd|wakeup_time|-5",
        "svc unix n - n -? - cmd|wakeup_time|-?",
        "svc unix n - n 5x - cmd|wakeup_time|5x",
        "svc unix n - n 5?? - cmd|wakeup_time|5??",
        "svc unix n - n ? - cmd|wakeup_time|?",
        "svc unix n - n 99999999999 - cmd|wakeup_time|99999999999",
        "svc unix n - n - -5 cmd|max_proc|-5",
        "svc unix n - n - 5x cmd|max_proc|5x",
        "svc unix n - n - 5? cmd|max_proc|5?",
        "svc unix n - n - +5 cmd|max_proc|+5",
    })
    void badValue(String line, String field, String value) {
        assertError(line, "field \"" + field + "\": bad value: \"" + value + "\"");
    }

    @Test
    void badTransportType() {
        assertError("svc tcp n - n - - cmd", "bad transport type: tcp");
        assertError("svc UNIX n - n - - cmd", "bad transport type: UNIX");
    }

    @Test
    void inetServiceCannotBePrivate() {
        assertError("20032 inet - - n - - x", "inet service cannot be private");
        assertError("20032 inet y - n - - x", "inet service cannot be private");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "[127.0.0.1:25|missing \"]\"",
        "[127.0.0.1]x25|garbage after \"]\"",
        "[ipv6:1.2.3.4]:25|malformed IPv6 address",
        "[IPv6:::1::2]:25|malformed IPv6 address",
        "[]:25|missing host information",
        "127.0.0.1:|missing service information",
        "[::1]|missing service information",
        "[::1]:|missing service information",
        "bad!host:25|valid hostname or network address required",
        "-host:25|valid hostname or network address required",
        "1.2.3:25|valid hostname or network address required",
        "127.0.0.1:25x|garbage after numerical service",
        "2x|garbage after numerical service",
    })
    void hostPortErrors(String name, String problem) {
        assertError(name + " inet n - n - - smtpd", problem + " in \"" + name + "\"");
    }

    @Test
    void unknownPortNameIsCaughtAtParseTime() {
        assertError("127.0.0.1:x inet n - n - - fake", "unknown service: \"x\" in \"127.0.0.1:x\"");
        assertError("nosuchservice inet n - n - - fake", "unknown service: \"nosuchservice\" in \"nosuchservice\"");
        assertError("70000 inet n - n - - fake", "bad port number: \"70000\" in \"70000\"");
    }

    @Test
    void numericHostOfADisabledFamily() throws Exception {
        assertError("[::1]:20031 inet n - n - - fake", main("compatibility_level = 2\ninet_protocols = ipv4\n"),
                "bad hostname or network address: [::1]:20031");
        assertError("127.0.0.1:20031 inet n - n - - fake", main("compatibility_level = 2\ninet_protocols = ipv6\n"),
                "bad hostname or network address: 127.0.0.1:20031");
    }

    @Test
    void wildcardWithEmptyInetInterfaces() throws Exception {
        MainConfig m = main("compatibility_level = 2\ninet_interfaces =\n");
        assertError("25 inet n - n - - smtpd", m,
                "service definition requires valid host name or address, or non-empty inet_interfaces setting");
        assertThat(table("127.0.0.1:25 inet n - n - - smtpd\n", m).services()).hasSize(1);
    }

    @Test
    void missingCloseBrace() {
        assertError("svc unix n - n - - cmd { a b", "missing '}' in \"{ a b\"");
    }

    @Test
    void syntaxErrorAfterCloseBrace() {
        assertError("svc unix n - n - - cmd {a}b", "syntax error after '}' in \"{a}b\"");
    }

    @Test
    void errorFormat() {
        assertThat(errors(HEAD + "svc tcp n - n - - x\n").get(0).toString())
                .isEqualTo("/etc/jmaster-test/master.cf: line 3: bad transport type: tcp");
    }

    @Test
    void allErrorsOfTheFileAndOfALineAreReported() {
        List<ConfigError> errs = errors("a unix yes maybe n - - x\n# c\nb tcp n - n - - x\n c unix\nd unix n - n 5x 5x x\n");
        assertThat(errs).containsExactly(
                new ConfigError(MASTER, 1, "field \"private\": bad value: \"yes\""),
                new ConfigError(MASTER, 1, "field \"unprivileged\": bad value: \"maybe\""),
                new ConfigError(MASTER, 3, "bad transport type: tcp"),
                new ConfigError(MASTER, 5, "field \"wakeup_time\": bad value: \"5x\""),
                new ConfigError(MASTER, 5, "field \"max_proc\": bad value: \"5x\""));
    }

    @Test
    void missingFileIsAnError(@TempDir Path dir) {
        try {
            ServiceTable.load(dir, TestConf.modernMain());
            throw new AssertionError("no exception");
        } catch (ConfigException e) {
            assertThat(e.errors()).containsExactly(
                    new ConfigError(dir.resolve("master.cf"), 0, "cannot open file: No such file or directory"));
            assertThat(e.getMessage()).isEqualTo(dir.resolve("master.cf") + ": cannot open file: No such file or directory");
        }
    }

    @Test
    void loadReadsMasterCf(@TempDir Path dir) throws IOException, ConfigException {
        Files.writeString(dir.resolve("master.cf"), "pickup unix n - n 60 1 pickup\n");
        ServiceTable t = ServiceTable.load(dir, TestConf.modernMain());
        assertThat(t.services()).extracting(ServiceEntry::name).containsExactly("public/pickup");
        assertThat(t.file()).isEqualTo(dir.resolve("master.cf"));
    }

    // ---- fields and defaults ----

    @Test
    void defaultsOfTheDashFields() throws Exception {
        ServiceEntry e = entry("svc unix - - - - - cmd");
        assertThat(e.privateAccess()).isTrue();
        assertThat(e.unprivileged()).isTrue();
        assertThat(e.chroot()).isFalse();
        assertThat(e.wakeupSeconds()).isZero();
        assertThat(e.conditionalWakeup()).isFalse();
        assertThat(e.maxProc()).isEqualTo(100);
        assertThat(e.file()).isEqualTo(MASTER);
        assertThat(e.line()).isEqualTo(1);
    }

    @Test
    void maxprocDashIsDefaultProcessLimit() throws Exception {
        MainConfig m = main("compatibility_level = 2\ndefault_process_limit = 4\n");
        assertThat(table("svc unix - - - - - cmd\n", m).services().get(0).maxProc()).isEqualTo(4);
    }

    @Test
    void chrootDefaultsToYesBeforeCompatibilityLevelOneWithInfo() throws Exception {
        ServiceTable t = table("# x\nsvc unix - - - - - cmd\nother unix - - n - - cmd\n", main(""));
        assertThat(t.services().get(0).chroot()).isTrue();
        assertThat(t.services().get(1).chroot()).isFalse();
        assertThat(t.warnings()).containsExactly(
                new ConfigError(MASTER, 2, "using backwards-compatible default setting chroot=y"));
        assertThat(t.warnings().get(0).toString())
                .isEqualTo("/etc/jmaster-test/master.cf: line 2: using backwards-compatible default setting chroot=y");
        assertThat(table("svc unix - - - - - cmd\n", main("compatibility_level = 1\n")).services().get(0).chroot())
                .isFalse();
        assertThat(table("svc unix - - - - - cmd\n", main("compatibility_level = 0.9\n")).services().get(0).chroot())
                .isTrue();
    }

    @Test
    void explicitValues() throws Exception {
        ServiceEntry e = entry("svc unix n n y 30 7 cmd");
        assertThat(e.privateAccess()).isFalse();
        assertThat(e.unprivileged()).isFalse();
        assertThat(e.chroot()).isTrue();
        assertThat(e.wakeupSeconds()).isEqualTo(30);
        assertThat(e.maxProc()).isEqualTo(7);
        assertThat(e.command()).isEqualTo("cmd");
        assertThat(e.args()).isEmpty();
        assertThat(e.attributes()).isEqualTo(ServiceAttributes.EMPTY);
    }

    @ParameterizedTest
    @CsvSource({"0,0,false", "-,0,false", "5,5,false", "5?,5,true", "0?,0,false", "1000?,1000,true", "007,7,false"})
    void wakeup(String field, int seconds, boolean conditional) throws Exception {
        ServiceEntry e = entry("wc unix n - n " + field + " 1 fake");
        assertThat(e.wakeupSeconds()).isEqualTo(seconds);
        assertThat(e.conditionalWakeup()).isEqualTo(conditional);
    }

    @ParameterizedTest
    @CsvSource({"0,0", "1,1", "100,100", "-,100"})
    void maxproc(String field, int maxProc) throws Exception {
        assertThat(entry("svc unix n - n - " + field + " fake").maxProc()).isEqualTo(maxProc);
    }

    // ---- types and canonical names ----

    @ParameterizedTest
    @CsvSource({
        "unix,n,public/svc", "unix,y,private/svc", "unix,-,private/svc",
        "unix-dgram,n,public/svc", "fifo,n,public/svc", "pass,n,public/svc",
        "unix-dgram,y,private/svc", "fifo,y,private/svc", "pass,y,private/svc",
    })
    void localTypesAndTheirCanonicalNames(String type, String priv, String name) throws Exception {
        ServiceEntry e = entry("svc " + type + " " + priv + " - n - - cmd");
        assertThat(e.type()).isEqualTo(ServiceType.fromWire(type).orElseThrow());
        assertThat(e.name()).isEqualTo(name);
        assertThat(e.key()).isEqualTo(new ServiceKey(e.name(), e.type()));
        assertThat(e.inetHost()).isNull();
        assertThat(e.inetPort()).isEqualTo(-1);
    }

    @Test
    void privateColumnMakesADifferentService() throws Exception {
        ServiceTable t = table("svc unix y - n - - cmd\nsvc unix n - n - - cmd\n");
        assertThat(t.services()).extracting(ServiceEntry::name).containsExactly("private/svc", "public/svc");
        assertThat(t.warnings()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
        "25|null|25|25",
        "smtp|null|25|25",
        "submission|null|587|587",
        "smtps|null|465|465",
        "submissions|null|465|465",
        "lmtp|null|24|24",
        "pop3|null|110|110",
        ":25|null|25|25",
        "127.0.0.1:25|127.0.0.1|25|[127.0.0.1]:25",
        "127.0.0.1:smtp|127.0.0.1|25|[127.0.0.1]:25",
        "[127.0.0.1]:20025|127.0.0.1|20025|[127.0.0.1]:20025",
        "[::1]:25|::1|25|[::1]:25",
        "[ipv6:::1]:25|::1|25|[::1]:25",
        "[IPv6:0:0:0:0:0:0:0:1]:smtp|0:0:0:0:0:0:0:1|25|[::1]:25",
        "::1:smtp|::1|25|[::1]:25",
        "::1:25|::1|25|[::1]:25",
        "2001:DB8::0:1:25|2001:DB8::0:1|25|[2001:db8::1]:25",
        "[::ffff:127.0.0.1]:25|::ffff:127.0.0.1|25|[::ffff:127.0.0.1]:25",
        "localhost:25|localhost|25|[localhost]:25",
        "[mail.example.com]:submission|mail.example.com|587|[mail.example.com]:587",
        "mail.example.com:http|mail.example.com|80|[mail.example.com]:80",
    })
    void inetNames(String field, String host, int port, String canonical) throws Exception {
        ServiceEntry e = entry(field + " inet n - n - - smtpd");
        assertThat(e.type()).isEqualTo(ServiceType.INET);
        assertThat(e.extName()).isEqualTo(field);
        assertThat(e.inetHost()).isEqualTo(host);
        assertThat(e.inetPort()).isEqualTo(port);
        assertThat(e.name()).isEqualTo(canonical);
    }

    @Test
    void knownTcpPortsComesBeforeEtcServices() throws Exception {
        MainConfig m = main("compatibility_level = 2\nknown_tcp_ports = smtp=2525, foo=bar=9\n");
        ServiceTable t = table("smtp inet n - n - - smtpd\nbar inet n - n - - x\nssh inet n - n - - x\n", m);
        assertThat(t.services()).extracting(ServiceEntry::inetPort).containsExactly(2525, 9, 22);
    }

    @Test
    void systemResolverReadsEtcServices() throws Exception {
        // the public parse uses /etc/services; "smtp" is also in known_tcp_ports, so this is stable
        ServiceTable t = ServiceTable.parse(MASTER, "smtp inet n - n - - smtpd\n", TestConf.modernMain());
        assertThat(t.services().get(0).name()).isEqualTo("25");
        assertThat(TcpPorts.EtcServices.parse("# x\nhttp\t80/tcp www # web\nhttp 80/udp\ndomain 53/udp\nfoo 1/tcp\nfoo 2/tcp\n"))
                .containsOnly(Map.entry("http", 80), Map.entry("www", 80), Map.entry("foo", 1));
    }

    @Test
    void sameServiceWhetherWrittenAsNameOrNumber() throws Exception {
        ServiceTable t = table("smtp inet n - n - - smtpd\n25 inet n - n - - other\n");
        assertThat(t.services()).hasSize(1);
        assertThat(t.services().get(0).command()).isEqualTo("other");
        assertThat(t.warnings()).containsExactly(new ConfigError(MASTER, 2,
                "duplicate master.cf entry for service \"25\" (25) -- using the last entry"));
    }

    // ---- command and arguments ----

    @Test
    void argumentsWithBraces() throws Exception {
        ServiceEntry e = entry("svc unix n - n - - cmd plain { spaced arg } {} { } a{b c} {x}"
                + " { nested {inner} group } last");
        assertThat(e.args()).containsExactly("plain", "spaced arg", "", "", "a{b c}", "x", "nested {inner} group", "last");
    }

    @Test
    void hashInArgumentsIsText() throws Exception {
        assertThat(entry("svc unix n - n - - cmd a # b").args()).containsExactly("a", "#", "b");
    }

    @Test
    void commandIsNotBraceProcessed() throws Exception {
        ServiceEntry e = entry("svc unix n - n - - {cmd} x");
        assertThat(e.command()).isEqualTo("{cmd}");
    }

    @Test
    void noDollarExpansionInMasterCf() throws Exception {
        ServiceEntry e = entry("relay unix - - n - - smtp\n  -o syslog_name=postfix/$service_name ${x}");
        assertThat(e.args()).containsExactly("-o", "syslog_name=postfix/$service_name", "${x}");
    }

    @Test
    void bothOptionForms() throws Exception {
        ServiceEntry e = entry("127.0.0.1:20025 inet n - n - - fake\n# comment between\n"
                + "  -o smtpd_tls=yes\n  -o { foo = bar baz }\n  -o {x=1}");
        assertThat(e.args()).containsExactly("-o", "smtpd_tls=yes", "-o", "foo = bar baz", "-o", "x=1");
        assertThat(e.parameterOverrides()).containsExactly(Map.entry("smtpd_tls", "yes"),
                Map.entry("foo", "bar baz"), Map.entry("x", "1"));
    }

    @Test
    void crlfMasterCf() throws Exception {
        ServiceTable t = table("a unix n - n - 1 cmd x\r\n  -o y=z\r\n\r\nb unix n - n - 1 cmd\r\n");
        assertThat(t.services()).extracting(ServiceEntry::args).containsExactly(List.of("x", "-o", "y=z"), List.of());
    }

    @Test
    void execPathIsDaemonDirectoryPlusCommand() throws Exception {
        assertThat(entry("svc unix n - n - - smtpd").execPath(Path.of("/usr/lib/postfix/sbin")))
                .isEqualTo(Path.of("/usr/lib/postfix/sbin/smtpd"));
        assertThat(entry("svc unix n - n - - bin/tool").execPath(Path.of("/d"))).isEqualTo(Path.of("/d/bin/tool"));
        // jmaster: an absolute command is used as it is (Postfix would look for /d//usr/bin/cat)
        assertThat(entry("svc unix n - n - - /usr/bin/cat").execPath(Path.of("/d")))
                .isEqualTo(Path.of("/usr/bin/cat"));
    }

    // ---- duplicates ----

    @Test
    void duplicateLastWinsAtThePositionOfTheFirst() throws Exception {
        ServiceTable t = table("a unix n - n - 1 first\nb unix n - n - 1 b\na unix n - n 10 2 second x\n");
        assertThat(t.services()).extracting(ServiceEntry::extName).containsExactly("a", "b");
        ServiceEntry a = t.services().get(0);
        assertThat(a.command()).isEqualTo("second");
        assertThat(a.maxProc()).isEqualTo(2);
        assertThat(a.line()).isEqualTo(3);
        assertThat(t.warnings()).containsExactly(new ConfigError(MASTER, 3,
                "duplicate master.cf entry for service \"a\" (public/a) -- using the last entry"));
        assertThat(t.find(new ServiceKey("public/a", ServiceType.UNIX))).contains(a);
        assertThat(t.find(new ServiceKey("public/a", ServiceType.FIFO))).isEmpty();
    }

    @Test
    void sameNameDifferentTypeIsNoDuplicate() throws Exception {
        ServiceTable t = table("smtp inet n - n - - smtpd\nsmtp unix - - n - - smtp\n");
        assertThat(t.services()).extracting(ServiceEntry::key).containsExactly(
                new ServiceKey("25", ServiceType.INET), new ServiceKey("private/smtp", ServiceType.UNIX));
        assertThat(t.warnings()).isEmpty();
    }

    // ---- master_service_disable ----

    private static List<String> enabled(String disable, String master) throws Exception {
        MainConfig m = main("compatibility_level = 2\nmaster_service_disable = " + disable + "\n");
        return table(master, m).services().stream().map(e -> e.extName() + "/" + e.type()).toList();
    }

    private static final String SERVICES = "smtp inet n - n - - smtpd\nsubmission inet n - n - - smtpd\n"
            + "pickup unix n - n 60 1 pickup\nsmtp unix - - n - - smtp\npostlog unix-dgram n - n - 1 postlogd\n";

    @Test
    void disableByType() throws Exception {
        assertThat(enabled("inet", SERVICES)).containsExactly("pickup/unix", "smtp/unix", "postlog/unix-dgram");
        assertThat(enabled("INET unix-dgram", SERVICES)).containsExactly("pickup/unix", "smtp/unix");
    }

    @Test
    void disableByNameAndType() throws Exception {
        assertThat(enabled("smtp/inet", SERVICES))
                .containsExactly("submission/inet", "pickup/unix", "smtp/unix", "postlog/unix-dgram");
        assertThat(enabled("SMTP.INET, pickup.unix", SERVICES))
                .containsExactly("submission/inet", "smtp/unix", "postlog/unix-dgram");
    }

    @Test
    void negationAndFirstMatchDecides() throws Exception {
        assertThat(enabled("!smtp/inet, inet", SERVICES))
                .containsExactly("smtp/inet", "pickup/unix", "smtp/unix", "postlog/unix-dgram");
        assertThat(enabled("inet, !smtp/inet", SERVICES))
                .containsExactly("pickup/unix", "smtp/unix", "postlog/unix-dgram");
        assertThat(enabled("!!smtp/inet", SERVICES))
                .containsExactly("submission/inet", "pickup/unix", "smtp/unix", "postlog/unix-dgram");
    }

    @Test
    void disabledLinesAreCheckedOnlyForFieldsOneAndTwo() throws Exception {
        assertThat(enabled("bogus", "x bogus yes no maybe -5 x5\nok unix n - n - - ok\n")).containsExactly("ok/unix");
        assertThat(errors("x - n\n", main("master_service_disable = x/-\n"))).containsExactly(
                new ConfigError(MASTER, 1, "field \"transport type\" has no default value"));
        assertThat(errors("x\n", main("master_service_disable = x\n"))).containsExactly(
                new ConfigError(MASTER, 1, "missing \"transport type\" field"));
    }

    @Test
    void noInetProtocolsDisablesInetServicesWithWarnings() throws Exception {
        MainConfig m = main("compatibility_level = 2\ninet_protocols =\nmaster_service_disable = !smtp/inet\n");
        ServiceTable t = table(SERVICES + "[::1]:x inet n - n - - broken\n", m);
        assertThat(t.services()).extracting(ServiceEntry::type).doesNotContain(ServiceType.INET).hasSize(3);
        assertThat(t.warnings()).containsExactly(
                new ConfigError(MASTER, 0, "all network protocols are disabled (inet_protocols = )"),
                new ConfigError(MASTER, 0, "disabling all type \"inet\" services in master.cf"));
    }

    @Test
    void leadingWhitespaceWarningFromMasterCf() throws Exception {
        ServiceTable t = table("  orphan\nok unix n - n - - ok\n");
        assertThat(t.services()).hasSize(1);
        assertThat(t.warnings()).extracting(ConfigError::text)
                .containsExactly("logical line must not start with whitespace: \"  orphan\"");
    }

    @Test
    void entriesAreImmutable() throws Exception {
        ServiceTable t = table("svc unix n - n - - cmd a b\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.services().get(0).args().add("x"))
                .isInstanceOf(UnsupportedOperationException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.services().clear())
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
