package org.jmaster.services;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import org.jmaster.nativ.Errno;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Inodes;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.SafeFiles;
import org.jmaster.nativ.Users;

/**
 * One Maildir and the delivery convention (cr.yp.to/proto/maildir.html): a message is written to
 * {@code tmp/<unique>}, forced to disk, then renamed to {@code new/<unique>}, so a reader never
 * sees a partial message and a crash leaves at most a file in {@code tmp/} (which {@code sweep}
 * removes after 36 hours). Unique names are {@code <seconds>.M<microseconds>P<pid>Q<count>R<random>.<host>}.
 * A delivery that is aborted removes its {@code tmp/} file. Not thread-safe: one per serving thread.
 */
final class Maildir {
    static final String[] SUBDIRS = {"tmp", "new", "cur"};
    private static final int BUFFER = 64 * 1024;

    private final Path root;
    private final String host;
    private final int pid;
    private int deliveries;

    /** @param root the Maildir as this process reaches it (see {@code ServerContext.localPath}) */
    Maildir(Path root, String hostname) {
        this.root = root;
        this.host = hostname.replace("/", "\\057").replace(":", "\\072");
        this.pid = Processes.getpid();
    }

    Path root() {
        return root;
    }

    /**
     * Creates the Maildir and its three subdirectories (mode 0700) where missing; those it creates
     * are given to {@code uid}/{@code gid} when those are not -1 (a root process preparing for a
     * service that drops privileges). The Maildir may lie in a directory of {@code mail_owner}'s,
     * and once given away it is one: so each directory is made in its parent held open and given
     * away on its own descriptor ({@link SafeFiles#makeDirectoryAt}), never chowned by path; a new
     * Maildir is given away only after its subdirectories exist; an existing Maildir is entered
     * without following a symbolic link (unless root owns the link, as Postfix's {@code safe_open}
     * allows). When all four exist nothing is done. Existing directories are left exactly as they are.
     */
    static void create(Path root, int uid, int gid) throws IOException {
        if (Files.isDirectory(root) && Files.isDirectory(root.resolve("tmp")) && Files.isDirectory(root.resolve("new"))
                && Files.isDirectory(root.resolve("cur"))) {
            return; // nothing to make, so nothing to give away (and no binding to load at every start)
        }
        int dir;
        boolean made;
        int parent = SafeFiles.openDirectory(SafeFiles.parentOf(root).toString());
        try {
            // a new Maildir stays this process's (0700) until its subdirectories are made, so no one
            // else can get in its way meanwhile; it is given away last
            dir = make(parent, root, -1, -1);
            made = dir >= 0;
            if (!made) {
                dir = openExisting(parent, root);
            }
        } finally {
            Fds.closeQuietly(parent);
        }
        try {
            for (String d : SUBDIRS) {
                Fds.closeQuietly(make(dir, root.resolve(d), uid, gid));
            }
            if (made && (uid != -1 || gid != -1)) {
                Inodes.fchown(dir, uid, gid);
            }
        } finally {
            Fds.closeQuietly(dir);
        }
    }

    /** Makes {@code path}'s last name in {@code dirFd} and returns it open; -1 when it already exists. */
    private static int make(int dirFd, Path path, int uid, int gid) throws IOException {
        try {
            return SafeFiles.makeDirectoryAt(dirFd, path.getFileName().toString(), 0700, uid, gid, path.toString());
        } catch (NativeException e) {
            if (e.errno() == Errno.EEXIST) {
                return -1; // there already, or a sibling process made it first
            }
            throw e;
        }
    }

    private static int openExisting(int parent, Path root) throws IOException {
        try {
            return SafeFiles.openDirectoryAt(parent, root.getFileName().toString(), root.toString());
        } catch (NativeException e) {
            Inodes.Stat link = Inodes.lstat(root.toString());
            if ((e.errno() == Errno.ELOOP || e.errno() == Errno.ENOTDIR) && link.type() == S_IFLNK && link.uid() == 0) {
                return SafeFiles.openDirectory(root.toString());
            }
            throw e;
        }
    }

    private static final int S_IFLNK = 0120000;

    /** Why this process could not deliver here, or null when {@code tmp/} and {@code new/} are writable. */
    String problem() {
        for (String d : new String[] {"tmp", "new"}) {
            Path p = root.resolve(d);
            if (!Files.isDirectory(p)) {
                return p + " is not a directory";
            }
            if (!Files.isWritable(p)) {
                return p + " is not writable by uid " + Users.geteuid();
            }
        }
        return null;
    }

    /** Starts a delivery: a new file in {@code tmp/}. */
    Delivery begin() throws IOException {
        return new Delivery(uniqueName());
    }

    private String uniqueName() {
        Instant now = Instant.now();
        return now.getEpochSecond() + ".M" + (now.getNano() / 1000) + "P" + pid + "Q" + (++deliveries) + "R"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + "." + host;
    }

    /** One message on its way into the Maildir. */
    final class Delivery {
        private final String name;
        private final Path tmp;
        private final FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
        private long size;
        private boolean done;

        private Delivery(String name) throws IOException {
            this.name = name;
            this.tmp = root.resolve("tmp").resolve(name);
            this.channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }

        String name() {
            return name;
        }

        /** Bytes written so far. */
        long size() {
            return size;
        }

        void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, buffer.remaining());
                buffer.put(b, off, n);
                off += n;
                len -= n;
                size += n;
                if (!buffer.hasRemaining()) {
                    drain();
                }
            }
        }

        void write(byte b) throws IOException {
            if (!buffer.hasRemaining()) {
                drain();
            }
            buffer.put(b);
            size++;
        }

        private void drain() throws IOException {
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            buffer.clear();
        }

        /** Forces the file to disk and moves it to {@code new/}; returns its path relative to the Maildir. */
        String commit() throws IOException {
            try {
                drain();
                channel.force(true);
                channel.close();
                Path target = root.resolve("new").resolve(name);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                done = true;
                syncDirectory(root.resolve("new"));
                return "new/" + name;
            } finally {
                if (!done) {
                    abort();
                }
            }
        }

        /** Drops the message: closes and removes the {@code tmp/} file. Never throws. */
        void abort() {
            if (done) {
                return;
            }
            done = true;
            try {
                channel.close();
            } catch (IOException ignored) {
                // the file goes away next
            }
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // sweep removes what is left after 36 hours
            }
        }
    }

    /** Makes a rename in {@code dir} durable (fsync on the directory). */
    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
