package org.jmaster.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SLF4J provider writes what Logback wrote: the expected lines below are Logback 1.5's output
 * for the same calls (same placeholders, a trailing Throwable taken as the exception whatever the
 * placeholders say, markers, multi-line texts, one level for every logger).
 */
class PostfixLoggerTest {
    @TempDir
    Path tmp;

    @AfterEach
    void quiet() {
        MasterLog.setVerbose(false);
    }

    @Test
    void linesAreLogbacksForTheSameCalls() throws Exception {
        Path file = tmp.resolve("maillog");
        MasterLog.configure(new MasterLog.Settings("jm/master", false, false, file.toString(), "mail", "h.example"),
                p -> null);
        Logger log = LoggerFactory.getLogger("master");
        Exception e = new IllegalStateException("boom");
        log.warn("one {}", e);
        log.warn("two {} {}", "a", e);
        log.warn("three {} {} {}", "a", "b", e);
        log.warn("none", e);
        log.warn("cons {}: {}", e, "z");
        log.error(Severity.PANIC, "{}: sending SIGTERM to {} children", e, 3);
        log.error(Severity.FATAL, "fatal {}", "x");
        log.error("plain error {}", (Object) null);
        log.info("multi\nline {}", "ok");
        log.info("brace \\{} {} {}", "a");
        log.info("arr {}", (Object) new int[] {1, 2});
        log.debug("hidden {}", "d");
        MasterLog.setVerbose(true);
        LoggerFactory.getLogger(PostfixLoggerTest.class).debug("shown {}", "d");
        log.trace("trace {}", "t");
        log.warn("ex in middle {} {}", e, "b");
        List<String> texts = Files.readAllLines(file).stream()
                .map(l -> l.substring(l.indexOf("]: ") + 3)).toList();
        assertThat(texts).containsExactly(
                "warning: one {}: java.lang.IllegalStateException: boom",
                "warning: two a {}: java.lang.IllegalStateException: boom",
                "warning: three a b {}: java.lang.IllegalStateException: boom",
                "warning: none: java.lang.IllegalStateException: boom",
                "warning: cons java.lang.IllegalStateException: boom: z",
                "panic: java.lang.IllegalStateException: boom: sending SIGTERM to 3 children",
                "fatal: fatal x",
                "error: plain error null",
                "multi",
                "line ok",
                "brace {} a {}",
                "arr [1, 2]",
                "shown d",
                "warning: ex in middle java.lang.IllegalStateException: boom b");
        // postlogd's stamp (zero-padded day) and the host name's first label, as FileSink writes them
        assertThat(Files.readAllLines(file).get(0)).matches(
                "[A-Z][a-z]{2} \\d\\d \\d\\d:\\d\\d:\\d\\d h jm/master\\[\\d+\\]: warning: one .*");
    }

    @Test
    void nothingIsFormattedForALevelThatIsOff() throws Exception {
        Path file = tmp.resolve("maillog");
        MasterLog.configure(new MasterLog.Settings("jm/master", false, false, file.toString(), "mail", "h"), p -> null);
        Logger log = LoggerFactory.getLogger("master");
        Object loud = new Object() {
            @Override
            public String toString() {
                throw new AssertionError("formatted while debug is off");
            }
        };
        assertThat(log.isDebugEnabled()).isFalse();
        log.debug("{}", loud);
        log.debug("{} {}", loud, loud);
        log.debug("{} {} {}", loud, loud, loud);
        assertThat(Files.exists(file) ? Files.readAllLines(file) : List.of()).isEmpty();
    }
}
