package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's first use in a fresh checkout: it builds the jar and says so in one line, and
 * nothing it or Maven prints carries terminal colour codes (the issue found ten silent seconds
 * followed by a stray {@code ESC[0m}). The build runs in a copy of the sources without
 * {@code target/}, as a clone is.
 */
class LauncherBuildIT {
    @TempDir
    Path tmp;

    private static void copyTree(Path from, Path to) throws IOException {
        PackagesIT.Result r;
        try {
            r = PackagesIT.run(null, "cp", "-a", from.toString(), to.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        assertThat(r.rc()).as(r.out()).isZero();
    }

    @Test
    void theFirstUseBuildsTheJarAndSaysSoInOneLineWithoutColourCodes() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("checkout"));
        try (Stream<Path> parts = Files.list(MasterProcess.REPO)) {
            for (Path part : parts.toList()) {
                String name = part.getFileName().toString();
                if (!name.equals("target") && !name.equals(".git")) {
                    copyTree(part, home.resolve(name));
                }
            }
        }
        assertThat(home.resolve("target")).doesNotExist();

        // what a newcomer types first: the default configuration's check, which needs the jar
        PackagesIT.Result r = PackagesIT.run(home.toFile(), "env", "-u", "MAVEN_OPTS", "./master", "-c", "conf", "--check");

        assertThat(r.out()).as(r.out()).startsWith("building target/jmaster.jar ...\n");
        assertThat(r.out().lines().filter(l -> l.startsWith("building"))).hasSize(1);
        assertThat(r.out()).as("no terminal escape sequences").doesNotContain("\u001b");
        assertThat(r.out()).doesNotContain("[INFO]").doesNotContain("[WARNING]");
        assertThat(home.resolve("target/jmaster.jar")).isRegularFile();
        assertThat(r.rc()).as(r.out()).isZero();

        // the second use builds nothing
        PackagesIT.Result again = PackagesIT.run(home.toFile(), "./master", "-c", "conf", "--check");
        assertThat(again.out()).doesNotContain("building").doesNotContain("\u001b");
        assertThat(again.rc()).as(again.out()).isZero();
    }
}
