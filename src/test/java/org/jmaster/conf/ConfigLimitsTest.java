package org.jmaster.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, finding 5 (configuration part): every configuration input is bounded. A file over its
 * size limit is an error naming the file and its size, found before the file is read (so an
 * oversize file is never in memory whole); expansions of one main.cf share one budget; an error's
 * text and the number of errors reported are capped. The timeouts here only stop a hang.
 */
class ConfigLimitsTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    private static String ofSize(String head, int size) {
        StringBuilder sb = new StringBuilder(head);
        while (sb.length() < size - 1) {
            sb.append('x');
        }
        return sb.append('\n').toString();
    }

    private ConfigError loadMainError() {
        try {
            MainConfig.load(dir, Map.of());
        } catch (ConfigException e) {
            assertThat(e.errors()).hasSize(1);
            return e.errors().get(0);
        }
        throw new AssertionError("main.cf was accepted");
    }

    private ConfigError loadMasterError(MainConfig main) {
        try {
            ServiceTable.load(dir, main);
        } catch (ConfigException e) {
            assertThat(e.errors()).hasSize(1);
            return e.errors().get(0);
        }
        throw new AssertionError("master.cf was accepted");
    }

    @Test
    void aMainCfOverOneMebibyteIsAnErrorNamingTheFileAndItsSize() throws Exception {
        Path main = write("main.cf", ofSize("compatibility_level = 3.6\nhuge = ", 1_048_577));
        assertThat(loadMainError()).isEqualTo(ConfigError.ofFile(main,
                "file size 1048577 bytes exceeds the limit for main.cf (1048576 bytes)"));
        // exactly at the limit is fine
        write("main.cf", ofSize("compatibility_level = 3.6\nhuge = ", 1_048_576));
        assertThat(MainConfig.load(dir, Map.of()).get("huge")).hasSize(1_048_576 - 34);
    }

    @Test
    void anOversizeFileIsRefusedFromItsSizeWithoutBeingRead() throws Exception {
        // a sparse 3 GiB main.cf: reading it whole cannot even be tried (no array is that large)
        Path main = dir.resolve("main.cf");
        try (RandomAccessFile f = new RandomAccessFile(main.toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        assertThat(loadMainError()).isEqualTo(ConfigError.ofFile(main,
                "file size 3221225472 bytes exceeds the limit for main.cf (1048576 bytes)"));
    }

    @Test
    void masterCfIsLimitedByMasterCfSizeLimit() throws Exception {
        String entry = "smtp inet n - n - - smtpd\n";
        Path master = write("master.cf", entry + "#" + "x".repeat(6000) + "\n");
        write("main.cf", "master_cf_size_limit = 4096\n");
        assertThat(loadMasterError(MainConfig.load(dir, Map.of()))).isEqualTo(ConfigError.ofFile(master,
                "file size 6028 bytes exceeds master_cf_size_limit (4096 bytes)"));
        write("main.cf", "");
        assertThat(ServiceTable.load(dir, MainConfig.load(dir, Map.of())).services()).hasSize(1);
        // the default is 1 MiB
        write("master.cf", ofSize(entry + "#", 2 << 20));
        assertThat(loadMasterError(MainConfig.load(dir, Map.of())).text())
                .isEqualTo("file size 2097152 bytes exceeds master_cf_size_limit (1048576 bytes)");
        // and the limit is a checked parameter
        Path main = write("main.cf", "master_cf_size_limit = 10\n");
        assertThat(loadMainError()).isEqualTo(new ConfigError(main, 1, "invalid master_cf_size_limit parameter value 10 < 1024"));
    }

    @Test
    void aFifoIsRefusedInsteadOfBlockingTheReader() throws Exception {
        Path main = dir.resolve("main.cf");
        assertThat(new ProcessBuilder("mkfifo", main.toString()).inheritIO().start().waitFor()).isZero();
        ConfigError e = assertTimeoutPreemptively(Duration.ofSeconds(20), this::loadMainError);
        assertThat(e).isEqualTo(ConfigError.ofFile(main, "cannot read file: not a regular file"));
    }

    @Test
    void thousandsOfExponentialChainsCostOneBudgetAndGiveOneError() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            sb.append('p').append(i).append(" = $p").append(i + 1).append("$p").append(i + 1).append('\n');
        }
        Path main = write("main.cf", sb.append("p3000 = end\n").toString());
        ConfigError e = assertTimeoutPreemptively(Duration.ofSeconds(60), this::loadMainError);
        assertThat(e.file()).isEqualTo(main);
        assertThat(e.line()).isPositive();
        assertThat(e.text()).matches("parameter p\\d+: unreasonable macro expansion size: more than 4194304 characters"
                + " of expansion work \\(for all of main.cf\\)");
    }

    @Test
    void aLongOffendingTextIsCutInTheErrorWithItsLength() throws Exception {
        Path master = write("master.cf", "smtp " + "x".repeat(50_000) + " n - n - - smtpd\n");
        ConfigError e = loadMasterError(MainConfig.load(dir, Map.of()));
        assertThat(e.file()).isEqualTo(master);
        assertThat(e.line()).isEqualTo(1);
        assertThat(e.text()).startsWith("bad transport type: xxxx").contains("characters cut) ...")
                .contains(" of 50020 characters").hasSizeLessThan(1100);
    }

    @Test
    void aFileFullOfMistakesReportsAHundredErrorsAndCountsTheRest() throws Exception {
        Path master = write("master.cf", "bad line n - n - - cmd\n".repeat(500));
        try {
            ServiceTable.load(dir, MainConfig.load(dir, Map.of()));
            throw new AssertionError("accepted");
        } catch (ConfigException e) {
            List<ConfigError> errors = e.errors();
            assertThat(errors).hasSize(101);
            assertThat(errors.get(0)).isEqualTo(new ConfigError(master, 1, "bad transport type: line"));
            assertThat(errors.get(100)).isEqualTo(ConfigError.ofFile(master, "400 more errors not shown"));
        }
    }

    @Test
    void numbersInComparisonsCompareByValueAtAnyLength() {
        assertThat(Expander.compareDigits("007", "7")).isZero();
        assertThat(Expander.compareDigits("0", "00")).isZero();
        assertThat(Expander.compareDigits("10", "9")).isPositive();
        assertThat(Expander.compareDigits("0009", "10")).isNegative();
        String big = "9".repeat(400_000);
        assertThat(Expander.expand("${{" + big + "} < {1" + big + "} ? {less} : {more}}", n -> null).value())
                .isEqualTo("less");
    }

    @Test
    void aMissingMasterCfIsStillAnErrorAndAMissingMainCfStillIsNot() throws Exception {
        assertThat(MainConfig.load(dir, Map.of()).isSet("anything")).isFalse();
        assertThatThrownBy(() -> ServiceTable.load(dir, MainConfig.load(dir, Map.of())))
                .isInstanceOf(ConfigException.class).hasMessageEndingWith("master.cf: cannot open file: No such file or directory");
    }
}
