package org.jmaster.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LogFormatTest {
    @TempDir
    Path tmp;

    @Test
    void syslogDatagramsCarryFacilitySeverityTagAndPid() {
        List<String> sent = new ArrayList<>();
        SyslogSink sink = new SyslogSink(d -> sent.add(new String(d, StandardCharsets.UTF_8)), 2);
        sink.write(4, "postfix/master", 42, "warning: something");
        assertThat(sent).singleElement().asString()
                .matches("<20>[A-Z][a-z]{2} [ 1-3][0-9] \\d\\d:\\d\\d:\\d\\d postfix/master\\[42\\]: warning: something");
        assertThat(SyslogSink.facilityCode("local7")).isEqualTo(23);
        assertThat(SyslogSink.facilityCode("MAIL")).isEqualTo(2);
        assertThat(SyslogSink.facilityCode("bogus")).isEqualTo(-1);
    }

    @Test
    void slf4jLevelsBecomePostfixPrefixesInTheMaillogFile() throws Exception {
        java.time.LocalDate before = java.time.LocalDate.now();
        Path file = tmp.resolve("sub/maillog");
        List<String> warnings = MasterLog.configure(new MasterLog.Settings("jm/master", true, false,
                file.toString(), "mail", "host.example"), path -> null);
        assertThat(warnings).isEmpty();
        Logger log = LoggerFactory.getLogger("master");
        log.info("daemon started -- version {}", "x");
        log.warn("process {} pid {} exit status {}", "/bin/x", 7, 1);
        log.error(Severity.FATAL, "open lock file {}: unable to set exclusive lock", "/p");
        log.debug("a debug line");
        String pid = Long.toString(ProcessHandle.current().pid());
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(4);
        // postlogd's format (Postfix's msg_logger): strftime "%b %d %H:%M:%S", a zero-padded day, and the
        // host name's first label only
        assertThat(lines.get(0)).matches("[A-Z][a-z]{2} [0-3][0-9] \\d\\d:\\d\\d:\\d\\d host jm/master\\[" + pid
                + "\\]: daemon started -- version x");
        java.time.format.DateTimeFormatter day = java.time.format.DateTimeFormatter.ofPattern("MMM dd",
                java.util.Locale.ROOT);
        assertThat(lines.get(0).substring(0, 6)).isIn(before.format(day), java.time.LocalDate.now().format(day));
        assertThat(lines.get(1)).endsWith("jm/master[" + pid + "]: warning: process /bin/x pid 7 exit status 1");
        assertThat(lines.get(2)).endsWith(": fatal: open lock file /p: unable to set exclusive lock");
        assertThat(lines.get(3)).endsWith(": a debug line");
        MasterLog.setVerbose(false);
        log.debug("hidden");
        assertThat(Files.readAllLines(file)).hasSize(4);
    }
}
