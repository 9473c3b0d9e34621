package org.jmaster.conf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random and mutated main.cf/master.cf text: the parsers throw nothing but ConfigException, and
 * every error or warning names the file and a line within the input (or 0 for the whole file).
 */
class ParserPropertiesTest {

    private static final String SPECIAL = " \t\r\n{}[]:?$!#=-/.,()\0\\\"'*<>%&|~+";
    private static final String ALPHABET = "abcdenoyinetuxfp0123456789" + SPECIAL;

    private static final List<String> MASTER_LINES = List.of(
            "smtp      inet  n       -       y       -       -       smtpd",
            "pickup    unix  n       -       y       60      1       pickup",
            "tlsmgr    unix  -       -       y       1000?   1       tlsmgr",
            "postlog   unix-dgram n  -       n       -       1       postlogd",
            "127.0.0.1:20025 inet n  -       n       -       -       fake -o { foo = bar baz } { spaced arg }",
            "[::1]:submission inet n - n - 4 smtpd -M protocol=inetd -M { refuse_reply = 421 busy }",
            "[ipv6:::1]:25 inet n - n - 2 smtpd -M source_prefix=24/56 -M rate=10/1m -M env={A=1 B=2}",
            "pst pass n - n - 2 fake mode=slow -M prefork=2 -M max_spare=4 -M umask=022 -M nice=-3",
            "fifo1 fifo n - n 10 1 fake -M rlimit_as=2g -M stderr=log -M groups={a, 4} -M fdname=a:b",
            "relay     unix  -       -       y       -       -       smtp\n  -o syslog_name=postfix/$service_name",
            "maildrop  unix  -       n       n       -       -       pipe\n  flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}",
            "# comment",
            "   ",
            "");

    private static final List<String> MAIN_LINES = List.of(
            "compatibility_level = 3.6",
            "default_process_limit = 50",
            "service_throttle_time = 10s",
            "max_idle = 2m",
            "inet_protocols = ipv4, ipv6",
            "inet_interfaces = loopback-only",
            "master_service_disable = !smtp/inet, inet",
            "known_tcp_ports = lmtp=24, smtp=25, smtps=submissions=465",
            "import_environment = MAIL_CONFIG { TZ = UTC } LANG=C",
            "syslog_name = ${multi_instance_name?{$multi_instance_name}:{postfix}}",
            "x = ${{$compatibility_level} <level {1} ? {a} : {b}}",
            "y = $x$(x)${x:z}$$",
            "z = ${y?{1}:{2}}",
            "debugger_command =\n\t PATH=/bin\n\t ddd $daemon_directory/$process_name $process_id & sleep 5",
            "# comment",
            "");

    @Provide
    Arbitrary<String> masterTexts() {
        return Arbitraries.oneOf(randomText(), mutated(MASTER_LINES));
    }

    @Provide
    Arbitrary<String> mainTexts() {
        return Arbitraries.oneOf(randomText(), mutated(MAIN_LINES));
    }

    private static Arbitrary<String> randomText() {
        return Arbitraries.strings().withChars(ALPHABET.toCharArray()).ofMaxLength(200);
    }

    /** A few corpus lines joined, then changed by a few edits. */
    private static Arbitrary<String> mutated(List<String> corpus) {
        Arbitrary<String> text = Arbitraries.of(corpus).list().ofMinSize(1).ofMaxSize(6)
                .map(lines -> String.join("\n", lines) + "\n");
        Arbitrary<List<Edit>> edits = edit().list().ofMaxSize(6);
        return Combinators.combine(text, edits).as(ParserPropertiesTest::apply);
    }

    private record Edit(int kind, double where, String what) {}

    private static Arbitrary<Edit> edit() {
        Arbitrary<String> inserts = Arbitraries.oneOf(
                Arbitraries.strings().withChars(SPECIAL.toCharArray()).ofMinLength(1).ofMaxLength(3),
                Arbitraries.of("{", "}", "?", "$", "${", "5x", "-", "99999999999", "[", "]:", "::", "-M", "-o",
                        "=", "\n ", "\n#", "\n", "{ }", "$(", "<level", "==", " inet ", " unix "),
                Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(12));
        return Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.doubles().between(0, 1), inserts)
                .as(Edit::new);
    }

    private static String apply(String text, List<Edit> edits) {
        StringBuilder sb = new StringBuilder(text);
        for (Edit e : edits) {
            int at = (int) (e.where() * sb.length());
            switch (e.kind()) {
                case 0: // delete one to three characters
                    if (sb.length() > 0) {
                        sb.delete(Math.min(at, sb.length() - 1), Math.min(sb.length(), at + 1 + e.what().length() % 3));
                    }
                    break;
                case 1: // insert
                    sb.insert(at, e.what());
                    break;
                default: // replace one character
                    if (sb.length() > 0) {
                        sb.replace(Math.min(at, sb.length() - 1), Math.min(at, sb.length() - 1) + 1, e.what());
                    }
            }
        }
        return sb.toString();
    }

    private static int physicalLines(String text) {
        return text.split("\n", -1).length;
    }

    private static void assertLinesWithin(List<ConfigError> list, Path file, String text) {
        int max = physicalLines(text);
        for (ConfigError e : list) {
            assertThat(e.file()).as(e.toString()).isEqualTo(file);
            assertThat(e.line()).as(e.toString()).isBetween(0, max);
            assertThat(e.text()).as(e.toString()).isNotBlank();
        }
    }

    @Property(tries = 3000)
    void masterCfParserOnlyThrowsConfigException(@ForAll("masterTexts") String text) {
        MainConfig main = TestConf.modernMain();
        try {
            ServiceTable table = TestConf.table(text, main);
            assertLinesWithin(table.warnings(), TestConf.MASTER, text);
            for (ServiceEntry e : table.services()) {
                assertThat(e.line()).isBetween(1, physicalLines(text));
                assertThat(e.childArgv(true, true, 2, true, true)).isNotEmpty();
                // relative commands live in daemon_directory; an absolute one is used as it is
                assertThat(e.execPath(Path.of("/d")).toString())
                        .startsWith(e.command().startsWith("/") ? "/" : "/d");
                e.parameterOverrides();
                e.attributes().asMap().keySet().forEach(name -> {
                    e.attributes().getInt(name);
                    e.attributes().getList(name);
                    e.attributes().getLimit(name);
                    e.attributes().getRate(name);
                });
                e.attributes().env();
                e.attributes().umask();
                assertThat(table.find(e.key())).contains(e);
            }
        } catch (ConfigException ex) {
            assertThat(ex.errors()).isNotEmpty();
            assertLinesWithin(ex.errors(), TestConf.MASTER, text);
            for (ConfigError e : ex.errors()) {
                assertThat(e.line()).as(e.toString()).isPositive();
            }
        }
    }

    @Property(tries = 3000)
    void mainCfParserOnlyThrowsConfigException(@ForAll("mainTexts") String text) {
        MainConfig main;
        try {
            main = TestConf.main(text);
        } catch (ConfigException ex) {
            assertThat(ex.errors()).isNotEmpty();
            assertLinesWithin(ex.errors(), TestConf.MAIN, text);
            return;
        }
        assertLinesWithin(main.warnings(), TestConf.MAIN, text);
        for (String name : main.names().keySet()) {
            main.get(name);
            main.raw(name);
            main.getList(name);
            try {
                main.getInt(name);
            } catch (ConfigException ex) {
                assertLinesWithin(ex.errors(), TestConf.MAIN, text);
            }
            try {
                main.getBool(name);
            } catch (ConfigException ex) {
                assertLinesWithin(ex.errors(), TestConf.MAIN, text);
            }
            try {
                main.getTimeSeconds(name);
            } catch (ConfigException ex) {
                assertLinesWithin(ex.errors(), TestConf.MAIN, text);
            }
        }
        main.inetProtocols();
        main.withOverrides(Map.of("x", text)).get("x");
        try {
            ServiceTable.parse(TestConf.MASTER, String.join("\n", MASTER_LINES), main,
                    TcpPorts.of(main.knownTcpPorts(), TestConf.SERVICES::get));
        } catch (ConfigException ex) {
            for (ConfigError e : ex.errors()) {
                assertThat(e.file()).isIn(TestConf.MASTER, TestConf.MAIN);
            }
        }
    }

    @Property(tries = 1000)
    void expanderNeverThrows(@ForAll("mainTexts") String pattern) {
        Expander.Result r = Expander.expand(pattern, name -> name.equals("loop") ? "$loop" : name.length() < 3 ? pattern : null);
        assertThat(r.value()).isNotNull();
    }

    @Property(tries = 1000)
    void logicalLinesKeepLineNumbersInRange(@ForAll("masterTexts") String text) {
        LogicalLines l = LogicalLines.parse(TestConf.MASTER, text);
        int max = physicalLines(text);
        int previous = 0;
        for (LogicalLine line : l.lines()) {
            assertThat(line.line()).isBetween(previous + 1, max);
            assertThat(line.text()).isNotBlank().doesNotContain("\n").doesNotContain("\0");
            assertThat(LogicalLines.isSpace(line.text().charAt(0))).isFalse();
            previous = line.line();
        }
        assertLinesWithin(l.warnings(), TestConf.MASTER, text);
    }
}
