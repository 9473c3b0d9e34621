package org.jmaster.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code /proc} says about a process, for the operator commands' signal fallback: its PID
 * namespace, and whether it holds a given file open (the master holds its pid file open, locked,
 * for as long as it runs). Read-only; a process that cannot be examined gives "unknown".
 */
final class ProcFacts {
    private static final Path PROC = Path.of("/proc");

    private ProcFacts() {}

    /** Whether {@code pid} is in this process's PID namespace; false when either cannot be read. */
    static boolean sameNamespace(long pid) {
        try {
            return Files.readSymbolicLink(PROC.resolve("self/ns/pid"))
                    .equals(Files.readSymbolicLink(PROC.resolve(pid + "/ns/pid")));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /**
     * Whether {@code pid} has a descriptor open on {@code file} (the same device and inode); null
     * when that cannot be told (no such process, or its descriptors cannot be read).
     */
    static Boolean holdsOpen(long pid, Path file) {
        Object[] id = identity(file);
        if (id == null || pid <= 0) {
            return null;
        }
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC.resolve(pid + "/fd"))) {
            for (Path fd : fds) {
                if (java.util.Arrays.equals(id, identity(fd))) {
                    return true;
                }
            }
            return false;
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /** A process that holds {@code file} open, as this namespace numbers it; -1 when none is found. */
    static long holderOf(Path file) {
        if (identity(file) == null) {
            return -1;
        }
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path p : procs) {
                long pid = Long.parseLong(p.getFileName().toString());
                if (Boolean.TRUE.equals(holdsOpen(pid, file))) {
                    return pid;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // nothing found
        }
        return -1;
    }

    /** Device and inode of what {@code path} leads to (a /proc descriptor link leads to the open file). */
    private static Object[] identity(Path path) {
        try {
            return new Object[] {Files.getAttribute(path, "unix:dev"), Files.getAttribute(path, "unix:ino")};
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return null;
        }
    }
}
