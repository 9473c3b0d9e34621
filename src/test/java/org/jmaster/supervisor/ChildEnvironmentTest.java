package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChildEnvironmentTest {
    private static MasterSettings settings(String syslogName, String maillogFile, List<String> imports) {
        return new MasterSettings(Path.of("/etc/x"), Path.of("/var/spool/x"), Path.of("/usr/lib/x"), 100, 60, 3600,
                5, List.of("all"), List.of("all"), 0, "postfix", syslogName, maillogFile, "postlog",
                "mail.example", imports, 100, 0, 60);
    }

    private static final List<String> POSTFIX_DEFAULT = List.of("MAIL_CONFIG", "MAIL_DEBUG", "MAIL_LOGTAG", "TZ",
            "XAUTHORITY", "DISPLAY", "LANG=C", "POSTLOG_SERVICE", "POSTLOG_HOSTNAME", "XDG_RUNTIME_DIR");

    @Test
    void keepsOnlyImportedNamesAndAddsGeneration() {
        ChildEnvironment env = ChildEnvironment.startup(
                Map.of("PATH", "/bin", "HOME", "/root", "TZ", "UTC", "LANG", "de_DE"), settings("postfix", "",
                        POSTFIX_DEFAULT));
        assertThat(env.asMap()).containsOnly(Map.entry("MAIL_CONFIG", "/etc/x"), Map.entry("MAIL_LOGTAG", "postfix"),
                Map.entry("TZ", "UTC"), Map.entry("LANG", "C"));
        assertThat(env.forChild(10)).contains("GENERATION=12");
    }

    @Test
    void postlogVariablesFollowMaillogFileAndReload() {
        ChildEnvironment env = ChildEnvironment.startup(Map.of(), settings("postfix", "/var/log/x", POSTFIX_DEFAULT));
        assertThat(env.asMap()).containsEntry("POSTLOG_SERVICE", "/var/spool/x/public/postlog")
                .containsEntry("POSTLOG_HOSTNAME", "mail.example");
        ChildEnvironment reloaded = env.refreshed(settings("other", "", POSTFIX_DEFAULT));
        assertThat(reloaded.asMap()).doesNotContainKeys("POSTLOG_SERVICE", "POSTLOG_HOSTNAME")
                .containsEntry("MAIL_LOGTAG", "other");
    }
}
