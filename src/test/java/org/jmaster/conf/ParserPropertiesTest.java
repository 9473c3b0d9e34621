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

    @Provide
    Arbitrary<String> masterTexts() {
        return Arbitraries.oneOf(randomText(), mutated(TestConf.MASTER_SAMPLES));
    }

    @Provide
    Arbitrary<String> mainTexts() {
        return Arbitraries.oneOf(randomText(), mutated(TestConf.MAIN_SAMPLES));
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
                TestConf.useEveryAccessor(e);
                // relative commands live in daemon_directory; an absolute one is used as it is
                assertThat(e.execPath(Path.of("/d")).toString())
                        .startsWith(e.command().startsWith("/") ? "/" : "/d");
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
            ServiceTable.parse(TestConf.MASTER, String.join("\n", TestConf.MASTER_SAMPLES), main,
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
