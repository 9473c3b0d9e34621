package org.jmaster.conf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LogicalLinesTest {

    private static final Path FILE = Path.of("/x/master.cf");

    @Test
    void continuationAppendsWithLeadingWhitespaceAndDropsNewline() {
        assertThat(LogicalLines.read("abc\n def\n\tghi\nnext\n"))
                .containsExactly(new LogicalLine(1, "abc def\tghi"), new LogicalLine(4, "next"));
    }

    @Test
    void commentsAndBlankLinesAreSkippedEvenInsideAnEntry() {
        String text = "# head\n\n127.0.0.1:20025 inet n - n - - fake\n# comment\n   \n  # indented comment\n"
                + "  -o foo=bar\nsecond x\n";
        assertThat(LogicalLines.read(text)).containsExactly(
                new LogicalLine(3, "127.0.0.1:20025 inet n - n - - fake  -o foo=bar"),
                new LogicalLine(8, "second x"));
    }

    @Test
    void hashInsideALineIsText() {
        assertThat(LogicalLines.read("a b # c\n")).containsExactly(new LogicalLine(1, "a b # c"));
    }

    @Test
    void crlfLinesReadLikeLfLines() {
        assertThat(LogicalLines.read("a = 1\r\n  2\r\n\r\nb = 3\r\n"))
                .containsExactly(new LogicalLine(1, "a = 1  2"), new LogicalLine(4, "b = 3"));
    }

    @Test
    void lastLineNeedsNoNewline() {
        assertThat(LogicalLines.read("a\nb")).containsExactly(new LogicalLine(1, "a"), new LogicalLine(2, "b"));
    }

    @Test
    void lineNumberIsTheFirstPhysicalLine() {
        assertThat(LogicalLines.read("\n\n\nx\n y\n z\n\nw\n"))
                .containsExactly(new LogicalLine(4, "x y z"), new LogicalLine(8, "w"));
    }

    @Test
    void leadingWhitespaceLogicalLineIsDroppedWithWarning() {
        LogicalLines l = LogicalLines.parse(FILE, "# c\n  orphan continuation text that is long\n  more\nok\n");
        assertThat(l.lines()).containsExactly(new LogicalLine(4, "ok"));
        assertThat(l.warnings()).containsExactly(new ConfigError(FILE, 2,
                "logical line must not start with whitespace: \"  orphan continuation text tha...\""));
        assertThat(l.warnings().get(0).toString()).isEqualTo(
                "/x/master.cf: line 2: logical line must not start with whitespace: \"  orphan continuation text tha...\"");
    }

    @Test
    void shortLeadingWhitespaceLineIsQuotedWhole() {
        LogicalLines l = LogicalLines.parse(FILE, " x\n");
        assertThat(l.lines()).isEmpty();
        assertThat(l.warnings()).extracting(ConfigError::text)
                .containsExactly("logical line must not start with whitespace: \" x\"");
    }

    @Test
    void nulByteEndsTheTextWithWarning() {
        LogicalLines l = LogicalLines.parse(FILE, "a b\0c d\n e\nf\n");
        assertThat(l.lines()).containsExactly(new LogicalLine(1, "a b"), new LogicalLine(3, "f"));
        assertThat(l.warnings()).containsExactly(new ConfigError(FILE, 1, "text after null byte may be ignored"));
    }

    @Test
    void emptyInput() {
        assertThat(LogicalLines.read("")).isEmpty();
        assertThat(LogicalLines.read("\n\n# only\n")).isEmpty();
    }
}
