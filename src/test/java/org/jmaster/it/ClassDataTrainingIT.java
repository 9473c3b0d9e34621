package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Finding 10 of issue 12: the class-data training of the Java services (services/.java-service) and
 * of the launcher (master) runs as root; a local user must not be able to plant the archive, the
 * configuration it reads, or jffi's stub, nor make root write through a symlink. The attacker
 * ({@code src/test/c/cds-planter.c}) runs as nobody while root starts a Java service and the
 * launcher on a copy of this tree, watching the temporary directory and the cache.
 */
class ClassDataTrainingIT {
    static boolean root() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }

    @Test
    void aLocalUserCannotPlantWhatTheTrainingReadsOrWrites() throws Exception {
        assumeTrue(root(), "skipped: the attack needs root to run the training and nobody to attack (CI runs as root)");
        Path base = Files.createTempDirectory(Path.of("/tmp"), "jmaster-cds-attack-");
        Process attacker = null;
        try {
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path home = sourceTreeCopy(base.resolve("home"));
            Path cache = home.resolve("target");

            Path tmp = Files.createDirectories(base.resolve("tmp"));
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
            run(List.of("chmod", "1777", tmp.toString()), base.resolve("chmod.out"));
            Path victim = base.resolve("victim");
            Files.writeString(victim, "a file of root's\n");
            Path conf = Files.createDirectories(base.resolve("conf"));
            Files.writeString(conf.resolve("main.cf"), String.join("\n",
                    "queue_directory = " + base.resolve("queue"), "data_directory = " + base.resolve("data"),
                    "mail_owner = nobody", "maillog_file = /dev/stdout", "inet_protocols = ipv4", ""));
            Files.writeString(conf.resolve("master.cf"), "");

            Path bin = Files.createDirectories(base.resolve("bin"));
            Path planter = bin.resolve("cds-planter");
            assertThat(run(List.of("gcc", "-O2", "-o", planter.toString(),
                    MasterProcess.REPO.resolve("src/test/c/cds-planter.c").toString()), base.resolve("gcc.out")))
                    .as("gcc cds-planter.c").isZero();
            Path stop = base.resolve("stop");
            Path attack = base.resolve("attack.out");
            attacker = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    planter.toString(), tmp.toString(), cache.toString(), victim.toString(), stop.toString())
                    .redirectOutput(attack.toFile()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();

            // a Java service's first start (smtpd stand-alone, no client) trains the services' archive;
            // the launcher's first start trains the master's
            List<String> env = List.of("env", "TMPDIR=" + tmp, "MAIL_CONFIG=" + conf);
            List<String> smtpd = new ArrayList<>(env);
            smtpd.addAll(List.of(home.resolve("services/smtpd").toString(), "-S"));
            run(smtpd, base.resolve("smtpd.out"));
            List<String> master = new ArrayList<>(env);
            master.addAll(List.of(home.resolve("master").toString(), "-c", conf.toString(), "-t"));
            assertThat(run(master, base.resolve("master.out"))).as(Files.readString(base.resolve("master.out"))).isZero();

            Files.writeString(stop, "");
            assertThat(attacker.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(attack)).as("what nobody managed to plant").isEmpty();
            assertThat(Files.readString(victim)).isEqualTo("a file of root's\n");
            List<Path> archives;
            try (Stream<Path> s = Files.list(cache)) {
                archives = s.filter(p -> p.getFileName().toString().matches("services-jdk\\d+.*\\.jsa")).toList();
            }
            assertThat(archives).as("the training made the services' archive").isNotEmpty();
            try (Stream<Path> s = Files.walk(cache)) {
                for (Path p : s.toList()) {
                    assertThat((Integer) Files.getAttribute(p, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS))
                            .as("owner of " + p).isZero();
                    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    assertThat(mode).as("mode of " + p)
                            .doesNotContain(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
                }
            }
        } finally {
            if (attacker != null) {
                attacker.destroyForcibly();
                attacker.waitFor(10, TimeUnit.SECONDS);
            }
            try (Stream<Path> walk = Files.walk(base)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * What a source tree's launcher and services need (master, pom.xml, services/, the jar and the
     * exec helper in target/), copied to {@code home}: its target/ is a fresh cache.
     */
    static Path sourceTreeCopy(Path home) throws IOException {
        Files.createDirectories(home.resolve("services"));
        try (Stream<Path> s = Files.list(MasterProcess.REPO.resolve("services"))) {
            for (Path p : s.toList()) {
                Files.copy(p, home.resolve("services").resolve(p.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        Files.copy(MasterProcess.REPO.resolve("pom.xml"), home.resolve("pom.xml"));
        Files.copy(MasterProcess.REPO.resolve("master"), home.resolve("master"), StandardCopyOption.COPY_ATTRIBUTES);
        Path target = Files.createDirectories(home.resolve("target"));
        Files.copy(MasterProcess.REPO.resolve("target/jmaster-exec"), target.resolve("jmaster-exec"),
                StandardCopyOption.COPY_ATTRIBUTES);
        Files.copy(MasterProcess.REPO.resolve("target/jmaster.jar"), target.resolve("jmaster.jar"));
        return home;
    }

    private static int run(List<String> cmd, Path out) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timeout: " + cmd);
        }
        return p.exitValue();
    }
}
