package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's promises that need no package: it says which Java it found when that will not do,
 * and its class-data training run gets none of the operator's environment (a training master that
 * inherited {@code NOTIFY_SOCKET} would tell the service manager it is ready).
 */
class LauncherIT {
    @TempDir
    Path tmp;

    private PackagesIT.Result launch(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("env"));
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.add(MasterProcess.REPO.resolve("master").toString());
        cmd.addAll(List.of(args));
        return PackagesIT.run(null, cmd.toArray(String[]::new));
    }

    @Test
    void aJavaOlderThan17IsRefusedWithWhatWasFound() throws Exception {
        Path jdk = Files.createDirectories(tmp.resolve("jdk-11/bin"));
        Files.writeString(tmp.resolve("jdk-11/release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"11.0.2\"\n");
        Files.writeString(jdk.resolve("java"), "#!/bin/sh\necho 'java: should not have been run' >&2\nexit 3\n");
        jdk.resolve("java").toFile().setExecutable(true);
        PackagesIT.Result r = launch(Map.of("JAVA_HOME", tmp.resolve("jdk-11").toString()),
                "-c", MasterProcess.REPO.resolve("conf").toString(), "-t");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.out()).isEqualTo("master: " + jdk.resolve("java").toRealPath()
                + " is Java 11; jmaster needs Java 17 or later: set JAVA_HOME to one, or put its bin/ first on the PATH\n");

        PackagesIT.Result none = launch(Map.of("JAVA_HOME", tmp.resolve("nothing").toString()), "-t");
        assertThat(none.rc()).isEqualTo(1);
        assertThat(none.out()).isEqualTo("master: JAVA_HOME is " + tmp.resolve("nothing")
                + ", which has no bin/java; jmaster needs Java 17 or later\n");
    }

    /**
     * Without JAVA_HOME the launcher runs the newest JDK it finds (the PATH's java and those in
     * /usr/lib/jvm), not the PATH's first; with JAVA_HOME, that one, even when a newer one is
     * installed. The PATH's java here is a stand-in that calls itself Java 17 and says when it runs.
     */
    @Test
    void theNewestJdkFoundRunsUnlessJavaHomeSaysOtherwise() throws Exception {
        int newest = -1;
        try (Stream<Path> s = Files.list(Path.of("/usr/lib/jvm"))) {
            for (Path jdk : s.toList()) {
                newest = Math.max(newest, feature(jdk));
            }
        } catch (java.io.IOException e) {
            // no /usr/lib/jvm
        }
        assumeTrue(newest > 17, "skipped: no JDK newer than 17 in /usr/lib/jvm");
        String archive = "jmaster-jdk" + newest + "-";
        Path fake = Files.createDirectories(tmp.resolve("jdk-17/bin"));
        Files.writeString(tmp.resolve("jdk-17/release"), "JAVA_VERSION=\"17.0.99\"\n");
        Files.writeString(fake.resolve("java"), "#!/bin/sh\necho 'the PATH java ran'\nexit 3\n");
        fake.resolve("java").toFile().setExecutable(true);
        Path home = ClassDataTrainingIT.sourceTreeCopy(tmp.resolve("home"));
        Path conf = Files.createDirectories(tmp.resolve("conf"));
        Files.writeString(conf.resolve("main.cf"), "queue_directory = " + tmp.resolve("queue") + "\n");
        String path = "PATH=" + fake + ":/usr/bin:/bin";

        PackagesIT.Result newer = PackagesIT.run(null, "env", "-u", "JAVA_HOME", path,
                home.resolve("master").toString(), "-c", conf.toString(), "-t");
        assertThat(newer.rc()).as(newer.out()).isZero();
        assertThat(newer.out()).doesNotContain("the PATH java ran");
        try (Stream<Path> s = Files.list(home.resolve("target"))) {
            assertThat(s.map(p -> p.getFileName().toString()).toList())
                    .as("the archive of the JDK that ran").anyMatch(n -> n.startsWith(archive));
        }

        PackagesIT.Result chosen = PackagesIT.run(null, "env", "JAVA_HOME=" + tmp.resolve("jdk-17"), path,
                home.resolve("master").toString(), "-c", conf.toString(), "-t");
        assertThat(chosen.rc()).isEqualTo(3);
        assertThat(chosen.out()).contains("the PATH java ran");
    }

    /** The feature release a JDK's release file names, or -1. */
    private static int feature(Path jdk) {
        try {
            for (String line : Files.readAllLines(jdk.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=\"")) {
                    String v = line.substring("JAVA_VERSION=\"".length());
                    return Integer.parseInt(v.split("[.\"+-]")[0]);
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // not a JDK we can read
        }
        return -1;
    }

    @Test
    void theTrainingRunGetsNoneOfTheOperatorsEnvironment() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "skipped: no python3 (.ci/run installs it)");
        Path home = ClassDataTrainingIT.sourceTreeCopy(tmp.resolve("home"));
        Path socket = tmp.resolve("notify");
        Path got = tmp.resolve("datagrams");
        // systemd's side of NOTIFY_SOCKET: a unix datagram socket that records what it is sent
        Process manager = new ProcessBuilder("/usr/bin/python3", "-c", String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
                "s.bind(sys.argv[1])",
                "while True:",
                "    print(s.recv(4096).decode(errors='replace').replace('\\n', ' '), flush=True)"),
                socket.toString()).redirectOutput(got.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(socket));
            Path conf = Files.createDirectories(tmp.resolve("conf"));
            Files.writeString(conf.resolve("main.cf"), "queue_directory = " + tmp.resolve("queue") + "\n");
            PackagesIT.Result r = PackagesIT.run(null, "env", "NOTIFY_SOCKET=" + socket,
                    home.resolve("master").toString(), "-c", conf.toString(), "-t");
            assertThat(r.rc()).as(r.out()).isZero();
            try (Stream<Path> s = Files.list(home.resolve("target"))) {
                List<String> names = s.map(p -> p.getFileName().toString()).toList();
                assertThat(names).as("the launcher made its archive (JDK 17/18: by a training run)")
                        .anyMatch(n -> n.startsWith("jmaster-jdk"));
            }
            assertThat(Files.readString(got)).as("what the training master told the service manager").isEmpty();
        } finally {
            manager.destroyForcibly();
            manager.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
