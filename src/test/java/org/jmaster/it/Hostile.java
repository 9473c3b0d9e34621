package org.jmaster.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The attacker programs of {@code src/test/c} for tests that play a local user: built into a fresh
 * directory under /tmp with mode 0755 (the repository may sit under a 0700 directory that
 * {@code nobody} cannot enter) and run through {@code setpriv}.
 */
final class Hostile {
    /** An ordinary account with no groups. */
    static final List<String> NOBODY = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
    /** The same account with CAP_DAC_OVERRIDE: file modes do not stop it, only the master's own check can. */
    static final List<String> NOBODY_PAST_FILE_MODES = List.of("setpriv", "--reuid=65534", "--regid=65534",
            "--clear-groups", "--inh-caps=+dac_override", "--ambient-caps=+dac_override");

    private static Path binDir;
    private static final Map<String, Path> BUILT = new HashMap<>();

    private Hostile() {}

    /** {@code setpriv} arguments for nobody with {@code gid} as its only supplementary group. */
    static List<String> nobodyInGroup(int gid) {
        return List.of("setpriv", "--reuid=65534", "--regid=65534", "--groups=" + gid);
    }

    /** {@code src/test/c/<name>.c}, compiled once per test JVM into a directory everyone can read. */
    static synchronized Path build(String name) throws IOException, InterruptedException {
        Path built = BUILT.get(name);
        if (built != null) {
            return built;
        }
        if (binDir == null) {
            binDir = publicDir("jmaster-hostile");
            binDir.toFile().deleteOnExit();
        }
        Path out = binDir.resolve(name);
        Process cc = new ProcessBuilder("gcc", "-O2", "-o", out.toString(),
                MasterProcess.REPO.resolve("src/test/c/" + name + ".c").toString()).inheritIO().start();
        if (cc.waitFor() != 0) {
            throw new IOException("gcc failed for " + name + ".c");
        }
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
        out.toFile().deleteOnExit();
        BUILT.put(name, out);
        return out;
    }

    /** A fresh directory under /tmp with mode 0755, for sockets a local user must be able to reach. */
    static Path publicDir(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), prefix);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    record Result(int exit, String output) {}

    /** Runs {@code hostile ARGS} under {@code as} (setpriv arguments) and waits at most 30 s. */
    static Result run(List<String> as, String... args) throws IOException, InterruptedException {
        Process p = start(as, args);
        p.getOutputStream().close();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("hostile " + String.join(" ", args) + " did not finish");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** Starts {@code hostile ARGS} under {@code as}; its stdin is a pipe (closing it ends {@code hold}). */
    static Process start(List<String> as, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(as);
        cmd.add(build("hostile").toString());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }
}
