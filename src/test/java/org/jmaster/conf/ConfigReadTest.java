package org.jmaster.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: main.cf read for validation keeps going after its errors (so master.cf is still checked
 * in the same run), {@code master_metrics_listen} is checked when main.cf is read, and messages name
 * file and line in Postfix's own words for each file.
 */
class ConfigReadTest {
    @TempDir
    Path dir;

    @Test
    void aBrokenMainCfStillGivesAConfigurationWithTheBrokenSettingsAtTheirDefaults() throws Exception {
        Files.writeString(dir.resolve("main.cf"), String.join("\n",
                "queue_directory = /q",
                "default_process_limit = lots",
                "syslog_name = renamed",
                "no equals sign here",
                "inet_protocols = ipv5",
                ""));
        MainConfig.Read read = MainConfig.read(dir, Map.of());
        assertThat(read.ok()).isFalse();
        assertThat(read.errors()).extracting(ConfigError::line).containsExactly(2, 4, 5);
        MainConfig usable = read.config();
        assertThat(usable.get("queue_directory")).isEqualTo("/q");
        assertThat(usable.get("syslog_name")).isEqualTo("renamed");
        assertThat(usable.getInt("default_process_limit")).isEqualTo(100);
        assertThat(usable.get("inet_protocols")).isEqualTo("all");
        // and master.cf can be read against it
        Files.writeString(dir.resolve("master.cf"), "x nosuchtype - - n - - fake\n");
        assertThatThrownBy(() -> ServiceTable.load(dir, usable))
                .hasMessage(dir.resolve("master.cf") + ": line 1: bad transport type: nosuchtype");
    }

    @Test
    void aMainCfThatCannotBeReadGivesTheDefaults() throws Exception {
        Files.createDirectory(dir.resolve("main.cf"));
        MainConfig.Read read = MainConfig.read(dir, Map.of("daemon_directory", "/d"));
        assertThat(read.errors()).extracting(ConfigError::toString)
                .containsExactly(dir.resolve("main.cf") + ": cannot open file: Is a directory");
        assertThat(read.config().get("daemon_directory")).isEqualTo("/d");
        assertThat(read.config().get("syslog_name")).isEqualTo("postfix");
    }

    @Test
    void aGoodMainCfReadsAsLoadReadsIt() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "syslog_name = x\n");
        MainConfig.Read read = MainConfig.read(dir, Map.of());
        assertThat(read.ok()).isTrue();
        assertThat(read.config().get("syslog_name")).isEqualTo("x");
        assertThat(MainConfig.read(dir.resolve("missing"), Map.of()).ok()).isTrue();
    }

    @Test
    void metricsListenIsCheckedWhenMainCfIsRead() throws Exception {
        for (String bad : new String[] {"192.0.2.1:9187", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:x",
                                        "unix:relative", "[::2]:9187"}) {
            assertThatThrownBy(() -> TestConf.main("a = 1\nmaster_metrics_listen = " + bad + "\n"))
                    .as(bad).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(TestConf.MAIN + ", line 2: master_metrics_listen: ");
        }
        assertThat(TestConf.mainErrors("master_metrics_listen = 10.0.0.1:9187\n")).extracting(ConfigError::text)
                .containsExactly("master_metrics_listen: \"10.0.0.1:9187\" is not a loopback address;"
                        + " metrics are not authenticated");
        for (String good : new String[] {"", "127.0.0.1:9187", "[::1]:9187", "localhost:9187", "unix:/run/m.sock"}) {
            assertThat(TestConf.main("master_metrics_listen = " + good + "\n").get("master_metrics_listen"))
                    .isEqualTo(good);
        }
        assertThat(MetricsEndpoint.parse("unix:/run/m.sock").orElseThrow().unixPath()).isEqualTo("/run/m.sock");
        assertThat(MetricsEndpoint.parse("127.0.0.1:9187").orElseThrow().port()).isEqualTo(9187);
        assertThat(MetricsEndpoint.parse("")).isEmpty();
    }

    @Test
    void messagesUsePostfixsFormatForEachFile() {
        // master_ent.c: "%s: line %d: %s"; dict.c (main.cf): "%s, line %d: %s"
        assertThat(new ConfigError(Path.of("/etc/postfix/master.cf"), 3, "bad transport type: nosuchtype"))
                .hasToString("/etc/postfix/master.cf: line 3: bad transport type: nosuchtype");
        assertThat(new ConfigError(Path.of("/etc/postfix/main.cf"), 5, "missing '=' after attribute name: \"x\""))
                .hasToString("/etc/postfix/main.cf, line 5: missing '=' after attribute name: \"x\"");
        assertThat(ConfigError.ofFile(Path.of("/etc/postfix/master.cf"), "cannot open file: No such file or directory"))
                .hasToString("/etc/postfix/master.cf: cannot open file: No such file or directory");
    }
}
