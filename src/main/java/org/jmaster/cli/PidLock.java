package org.jmaster.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jmaster.nativ.Errno;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Inodes;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.SafeFiles;
import org.jmaster.nativ.Users;

/**
 * The master's lock files (protocol doc §5.2 steps 11–12): {@code $queue_directory/pid/master.pid}
 * and {@code $data_directory/master.lock}, each holding the pid right-aligned in 32 columns plus a
 * newline, each locked with {@code flock(LOCK_EX|LOCK_NB)} on a close-on-exec descriptor, so Postfix's
 * own {@code master -t} and {@code flock(1)} see them. "Running" means "locked", never "file exists".
 */
final class PidLock {
    /** The lock is held by another process. */
    static final class HeldException extends Exception {
        HeldException(String message) {
            super(message);
        }
    }

    private final int fd;

    private PidLock(int fd) {
        this.fd = fd;
    }

    /** Takes the lock and writes our pid; the descriptor stays open for the life of the process. */
    static PidLock acquire(Path file, long pid) throws HeldException, IOException {
        return acquire(file, pid, null);
    }

    /**
     * As {@link #acquire(Path, long)}, and gives the file to {@code owner} when set (the data lock
     * belongs to mail_owner, as Postfix creates it, so that Postfix's own master can use it later).
     * The file is opened as Postfix's {@code safe_open} does (see {@link SafeFiles#openRegular}):
     * an existing one must be a regular file with one link, owned by {@code owner} (else by this
     * process's user), or nothing is written and the start fails with the reason. The data lock
     * lives in a directory that {@code mail_owner} can write, where a planted hard link would
     * otherwise hand a root-owned file to it and overwrite it with our pid.
     */
    static PidLock acquire(Path file, long pid, Users.Passwd owner) throws HeldException, IOException {
        int fd;
        try {
            fd = SafeFiles.openRegular(file.toString(), Fds.O_RDWR, 0600,
                    owner == null ? -1 : owner.uid(), owner == null ? -1 : owner.gid(),
                    owner == null ? Users.geteuid() : owner.uid());
        } catch (SafeFiles.UnsafeFileException e) {
            throw new IOException("open lock file " + file + ": " + e.getMessage(), e);
        }
        if (!Fds.flock(fd, Fds.LOCK_EX | Fds.LOCK_NB)) {
            Fds.closeQuietly(fd);
            throw new HeldException("open lock file " + file + ": unable to set exclusive lock: "
                    + Errno.strerror(Errno.EAGAIN));
        }
        byte[] line = String.format("%32d\n", pid).getBytes(StandardCharsets.US_ASCII);
        Fds.pwrite(fd, line, 0);
        return new PidLock(fd);
    }

    /**
     * A lock an upgrade handed over: {@code fd} must be the file at {@code file} (same device and
     * inode; the lock is the open file description's, so it is held already). The pid is written
     * later, with {@link #writePid}, once this master has taken over.
     */
    static PidLock adopt(int fd, Path file) throws IOException {
        if (fd < 0) {
            throw new IOException("lock file " + file + ": not handed over by the previous master");
        }
        try {
            Inodes.Stat held = Inodes.fstat(fd);
            Inodes.Stat there = Inodes.lstat(file.toString());
            if (held.dev() != there.dev() || held.ino() != there.ino()) {
                throw new IOException("lock file " + file + ": the previous master's lock is another file");
            }
        } catch (NativeException e) {
            throw new IOException("lock file " + file + ": " + e.getMessage(), e);
        }
        return new PidLock(fd);
    }

    /** Writes {@code pid} into the locked file (33 bytes, as at {@link #acquire}). */
    void writePid(long pid) throws NativeException {
        Fds.pwrite(fd, String.format("%32d\n", pid).getBytes(StandardCharsets.US_ASCII), 0);
    }

    /**
     * {@code -t}: true when another process holds the lock; a missing file means not running. The
     * file is opened read-only (enough for flock), never through a link at its last name, without
     * waiting or becoming a terminal, and must be a regular file: anything else counts as held.
     */
    static boolean isHeld(Path file) {
        if (!Files.exists(file)) {
            return false;
        }
        int fd;
        try {
            fd = Fds.open(file.toString(), Fds.O_RDONLY | Fds.O_NOFOLLOW | Fds.O_NONBLOCK | Fds.O_NOCTTY, 0);
        } catch (NativeException e) {
            return true; // Postfix: any failure before the lock test is a non-zero exit
        }
        try {
            if (!Inodes.fstat(fd).isRegular() || !Fds.flock(fd, Fds.LOCK_EX | Fds.LOCK_NB)) {
                return true;
            }
            Fds.flock(fd, Fds.LOCK_UN);
            return false;
        } catch (NativeException e) {
            return true;
        } finally {
            Fds.closeQuietly(fd);
        }
    }

    /** The pid recorded in a lock file, or -1. */
    static long recordedPid(Path file) {
        try {
            return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
        } catch (Exception e) {
            return -1;
        }
    }

    int fd() {
        return fd;
    }
}
