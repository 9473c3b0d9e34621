package org.jmaster.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.jmaster.nativ.Errno;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.SafeFiles;
import org.jmaster.nativ.Users;

/**
 * Creates the directories the master needs when they are missing ({@code postfix check} does this
 * for Postfix): {@code queue_directory} with {@code pid/} (0755), {@code private/} (0700) and
 * {@code public/} (0710), and {@code data_directory} (0700); missing parents of
 * {@code queue_directory} and {@code data_directory} are made 0755. As root, {@code private/},
 * {@code public/} and {@code data_directory} are given to {@code mail_owner}, the rest stay
 * root's. Existing directories are left exactly as they are.
 *
 * <p>Each is made in its parent held open and given its owner and mode on its own descriptor
 * (see {@link SafeFiles#makeDirectoryAt}), never by path: a parent may be writable by someone
 * else (a {@code data_directory} under a directory of {@code mail_owner}'s, say).
 */
final class Directories {
    private Directories() {}

    static void prepare(Path queueDir, Path dataDir, String mailOwner) throws IOException {
        Optional<Users.Passwd> owner = Users.geteuid() == 0 ? Users.getpwnam(mailOwner) : Optional.empty();
        int uid = owner.map(Users.Passwd::uid).orElse(-1);
        int gid = owner.map(Users.Passwd::gid).orElse(-1);
        make(queueDir, 0755, -1, -1);
        make(queueDir.resolve("pid"), 0755, -1, -1);
        make(queueDir.resolve("private"), 0700, uid, gid);
        make(queueDir.resolve("public"), 0710, uid, gid);
        make(dataDir, 0700, uid, gid);
    }

    private static void make(Path dir, int mode, int uid, int gid) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        SafeFiles.makeDirectories(SafeFiles.parentOf(dir), 0755);
        int parent = SafeFiles.openDirectory(SafeFiles.parentOf(dir).toString());
        try {
            Fds.closeQuietly(SafeFiles.makeDirectoryAt(parent, dir.getFileName().toString(), mode, uid, gid,
                    dir.toString()));
        } catch (NativeException e) {
            if (e.errno() != Errno.EEXIST || !Files.isDirectory(dir)) {
                throw e;
            }
        } finally {
            Fds.closeQuietly(parent);
        }
    }
}
