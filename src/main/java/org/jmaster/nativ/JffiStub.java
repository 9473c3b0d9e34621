package org.jmaster.nativ;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * jffi's JNI stub ({@code libjffi-1.2.so}), which jnr-ffi loads first of all. Unless the JVM is
 * started with {@code -Djffi.boot.library.path=DIR} naming a directory that holds it, jffi copies
 * it out of the jar into a new temporary file at every start, which costs a short-lived process
 * such as a spawned service ~10 ms and a write to {@code /tmp}. {@link #main} puts the stub in
 * such a directory once (services/.java-service does this beside the jar).
 */
public final class JffiStub {
    /** The stub's file name, as jffi looks for it in its boot library path. */
    public static final String FILE = "libjffi-1.2.so";

    private JffiStub() {}

    /** The jar resource of the stub for this platform (x86_64 or aarch64 Linux). */
    static String resource() {
        String arch = System.getProperty("os.arch", "");
        String dir = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64-Linux"
                : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64-Linux" : arch + "-Linux";
        return "jni/" + dir + "/" + FILE;
    }

    /** Writes the stub to {@code dir}/{@value #FILE} (atomically: a sibling file, then a rename). */
    public static Path extract(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            // readable by whoever starts a JVM from this jar later (a daemon's umask is 077)
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Path target = dir.resolve(FILE);
        Path part = Files.createTempFile(dir, FILE, ".part");
        try (InputStream in = JffiStub.class.getClassLoader().getResourceAsStream(resource())) {
            if (in == null) {
                throw new IOException("no " + resource() + " on the class path");
            }
            Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
            part.toFile().setReadable(true, false);
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } finally {
            Files.deleteIfExists(part);
        }
    }

    /** {@code java -cp jmaster.jar org.jmaster.nativ.JffiStub DIR}: exit 0 when the stub is in DIR. */
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: JffiStub directory");
            System.exit(2);
        }
        try {
            extract(Path.of(args[0]));
        } catch (IOException e) {
            System.err.println("JffiStub: " + e.getMessage());
            System.exit(1);
        }
    }
}
