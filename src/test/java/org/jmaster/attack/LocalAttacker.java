package org.jmaster.attack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmaster.nativ.Inodes;
import org.jmaster.nativ.TestNative;

/**
 * An unprivileged local user (uid/gid 65534, {@code nobody}) attacking the files a root process
 * makes in directories that user can write, with real programs: {@code src/test/c/swapper.c}
 * (compiled with gcc into a directory anyone may read, since the checkout may sit under a 0700
 * directory) run through {@code setpriv}. Also the root-owned victim files the attack aims at, and
 * the check that none of them changed.
 */
public final class LocalAttacker implements AutoCloseable {
    public static final int NOBODY = 65534;
    private static final Path REPO = Path.of(System.getProperty("user.dir")).toAbsolutePath();

    private final Process process;
    private final BufferedReader out;

    private LocalAttacker(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
    }

    /** A directory with mode 0755 (root's), for programs and victims the attacker must reach. */
    public static Path openDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    /** Compiles {@code src/test/c/<name>.c} into {@code bin} (made 0755) and returns the program. */
    public static Path compile(Path bin, String name) throws IOException, InterruptedException {
        openDirectory(bin);
        Path exe = bin.resolve(name);
        Process cc = new ProcessBuilder("gcc", "-O2", "-o", exe.toString(), REPO.resolve("src/test/c/" + name + ".c").toString())
                .inheritIO().start();
        if (cc.waitFor() != 0) {
            throw new IOException("gcc failed for " + name + ".c");
        }
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
        return exe;
    }

    /** The command prefix that runs a program as uid/gid 65534 with no supplementary groups. */
    public static List<String> asNobody(String... command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
        cmd.addAll(List.of(command));
        return cmd;
    }

    /** Runs a command as nobody to its end; returns its exit status. */
    public static int runAsNobody(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(asNobody(command)).inheritIO().start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timeout: " + List.of(command));
        }
        return p.exitValue();
    }

    /**
     * Starts the swapper as nobody on {@code dirs} (which nobody must be able to write), aiming at
     * {@code victims}; returns once every watch is in place.
     */
    public static LocalAttacker swap(Path swapper, Victims victims, Path... dirs) throws IOException {
        List<String> args = new ArrayList<>(List.of(swapper.toString(), victims.dir.toString(),
                Integer.toString(victims.count)));
        for (Path d : dirs) {
            args.add(d.toString());
        }
        Process p = new ProcessBuilder(asNobody(args.toArray(String[]::new)))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        LocalAttacker a = new LocalAttacker(p);
        String first = a.out.readLine();
        if (!"ready".equals(first)) {
            a.close();
            throw new IOException("swapper did not start: " + first);
        }
        return a;
    }

    /** Stops the swapper (SIGTERM) and returns how many entries it replaced with a symbolic link. */
    public long stop() throws IOException, InterruptedException {
        process.toHandle().destroy(); // SIGTERM; Process.destroy would also close the pipe we read
        String line;
        long planted = -1;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("planted ")) {
                planted = Long.parseLong(line.substring(8).trim());
            }
        }
        process.waitFor(10, TimeUnit.SECONDS);
        out.close();
        return planted;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        try {
            out.close();
        } catch (IOException ignored) {
            // nothing more to read
        }
    }

    /**
     * Root-owned files {@code v0..v<count-1>} in a root directory (0755), each with its own text and
     * mode. The swapper aims at them in turn, so with at least as many victims as swaps each changed
     * victim is one swap that won.
     */
    public static final class Victims {
        public final Path dir;
        public final int count;
        private final int mode;

        public Victims(Path dir, int count, int mode) throws IOException {
            this.dir = openDirectory(dir);
            this.count = count;
            this.mode = mode;
            for (int i = 0; i < count; i++) {
                Path v = file(i);
                Files.writeString(v, text(i));
                TestNative.chown(v.toString(), 0, 0);
                TestNative.chmod(v.toString(), mode);
            }
        }

        public Path file(int i) {
            return dir.resolve("v" + i);
        }

        private static String text(int i) {
            return "victim " + i + ": root's, and nobody else's\n";
        }

        /** Every victim still root's, with its mode and text; the message lists those that changed. */
        public void assertUnchanged() throws IOException {
            List<String> changed = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Inodes.Stat st = Inodes.lstat(file(i).toString());
                String text = Files.readString(file(i));
                if (st.uid() != 0 || st.gid() != 0 || st.permissions() != mode || !text.equals(text(i))) {
                    changed.add("v" + i + " (uid " + st.uid() + ", gid " + st.gid() + ", mode "
                            + Integer.toOctalString(st.permissions()) + (text.equals(text(i)) ? "" : ", text changed") + ")");
                }
            }
            assertThat(changed).as("%d of %d victim files changed by the attack", changed.size(), count).isEmpty();
        }
    }
}
