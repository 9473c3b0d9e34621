package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 17: the Debian package installs the bash completion where bash-completion loads it for the
 * command {@code jmaster} (/usr/share/bash-completion/completions/jmaster), and the tarball carries it
 * under share/; both are the repository's completion/jmaster.bash.
 */
class CompletionPackageIT {
    private static Path artifact(String glob) throws Exception {
        try (Stream<Path> s = Files.list(MasterProcess.REPO.resolve("target"))) {
            return s.filter(p -> p.getFileSystem().getPathMatcher("glob:" + glob).matches(p.getFileName()))
                    .findFirst().orElse(null);
        }
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", cmd) + "\n" + out).isZero();
        return out;
    }

    @Test
    void thePackageAndTheTarballCarryTheCompletion() throws Exception {
        Path deb = artifact("jmaster_*_*.deb");
        Path tarball = artifact("jmaster-*.tar.gz");
        assumeTrue(deb != null && tarball != null, "the packages are not built (-Djmaster.packages=skip)");
        byte[] script = Files.readAllBytes(MasterProcess.REPO.resolve("completion/jmaster.bash"));
        String name = tarball.getFileName().toString().replace(".tar.gz", "");
        assertThat(run("sh", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -xOf - ./usr/share/bash-completion/completions/jmaster",
                "sh", deb.toString())).isEqualTo(new String(script));
        assertThat(run("tar", "-xzOf", tarball.toString(), name + "/share/bash-completion/completions/jmaster"))
                .isEqualTo(new String(script));
        List<String> listing = run("dpkg-deb", "-c", deb.toString()).lines().toList();
        assertThat(listing).anyMatch(l -> l.startsWith("-rw-r--r-- root/root")
                && l.endsWith(" ./usr/share/bash-completion/completions/jmaster"));
    }
}
