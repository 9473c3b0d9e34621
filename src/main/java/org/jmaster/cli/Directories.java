package org.jmaster.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.jmaster.nativ.Posix;

/**
 * Creates the directories the master needs when they are missing ({@code postfix check} does this
 * for Postfix): {@code queue_directory} with {@code pid/} (0755), {@code private/} (0700) and
 * {@code public/} (0710), and {@code data_directory} (0700). As root, {@code private/},
 * {@code public/} and {@code data_directory} are given to {@code mail_owner}. Existing directories
 * are left exactly as they are.
 */
final class Directories {
    private Directories() {}

    static void prepare(Path queueDir, Path dataDir, String mailOwner) throws IOException {
        Optional<Posix.Passwd> owner = Posix.geteuid() == 0 ? Posix.getpwnam(mailOwner) : Optional.empty();
        make(queueDir, "rwxr-xr-x", Optional.empty());
        make(queueDir.resolve("pid"), "rwxr-xr-x", Optional.empty());
        make(queueDir.resolve("private"), "rwx------", owner);
        make(queueDir.resolve("public"), "rwx--x---", owner);
        make(dataDir, "rwx------", owner);
    }

    private static void make(Path dir, String perms, Optional<Posix.Passwd> owner) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(perms));
        if (owner.isPresent()) {
            Posix.chown(dir.toString(), owner.get().uid(), owner.get().gid());
        }
    }
}
