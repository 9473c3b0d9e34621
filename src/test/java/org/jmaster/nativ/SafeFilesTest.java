package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The root-safe file primitives on real files: safe_open's rules, directories and endpoints made as their owner. */
class SafeFilesTest {
    @TempDir
    Path tmp;

    @Test
    void openRegularCreatesExclusivelyAndOpensAPlainFile() throws Exception {
        Path f = tmp.resolve("lock");
        int fd = SafeFiles.openRegular(f.toString(), Fds.O_RDWR, 0600, -1, -1, Users.geteuid());
        try {
            assertThat(TestNative.isCloexec(fd)).isTrue();
            Fds.pwrite(fd, "one\n".getBytes(StandardCharsets.US_ASCII), 0);
        } finally {
            TestNative.close(fd);
        }
        assertThat(Inodes.lstat(f.toString()).permissions()).isEqualTo(0600 & ~currentUmask());
        fd = SafeFiles.openRegular(f.toString(), Fds.O_RDWR, 0600, -1, -1, Users.geteuid());
        TestNative.close(fd);
        assertThat(Files.readString(f)).isEqualTo("one\n");
    }

    @Test
    void openRegularRefusesLinksOtherTypesAndOtherOwners() throws Exception {
        Path victim = Files.writeString(tmp.resolve("victim"), "precious\n");
        Path sym = Files.createSymbolicLink(tmp.resolve("sym"), victim);
        Path hard = Files.createLink(tmp.resolve("hard"), victim);
        Path dir = Files.createDirectory(tmp.resolve("dir"));
        Path fifo = tmp.resolve("fifo");
        TestNative.mkfifo(fifo.toString(), 0600);
        assertThatThrownBy(() -> SafeFiles.openRegular(sym.toString(), Fds.O_RDWR, 0600, -1, -1, -1))
                .isInstanceOf(SafeFiles.UnsafeFileException.class).hasMessage("file is a symbolic link");
        assertThatThrownBy(() -> SafeFiles.openRegular(hard.toString(), Fds.O_RDWR, 0600, -1, -1, -1))
                .isInstanceOf(SafeFiles.UnsafeFileException.class).hasMessage("file has 2 hard links");
        assertThatThrownBy(() -> SafeFiles.openRegular(dir.toString(), Fds.O_RDONLY, 0600, -1, -1, -1))
                .isInstanceOf(SafeFiles.UnsafeFileException.class).hasMessage("file is a directory");
        assertThatThrownBy(() -> SafeFiles.openRegular(fifo.toString(), Fds.O_RDWR, 0600, -1, -1, -1))
                .isInstanceOf(SafeFiles.UnsafeFileException.class).hasMessage("file is not a regular file");
        Files.delete(hard);
        int other = Users.geteuid() + 1;
        assertThatThrownBy(() -> SafeFiles.openRegular(victim.toString(), Fds.O_RDWR, 0600, -1, -1, other))
                .isInstanceOf(SafeFiles.UnsafeFileException.class)
                .hasMessage("file is owned by uid " + Users.geteuid() + ", not by uid " + other);
        assertThat(Files.readString(victim)).isEqualTo("precious\n");
    }

    @Test
    void aNewFileAndANewDirectoryAreGivenAwayOnTheirDescriptors() throws Exception {
        assumeTrue(Users.geteuid() == 0, "giving files away needs root");
        Path f = tmp.resolve("lock");
        TestNative.close(SafeFiles.openRegular(f.toString(), Fds.O_RDWR, 0600, 65534, 65534, 65534));
        assertThat(Inodes.lstat(f.toString()).uid()).isEqualTo(65534);
        // the existing file is the owner's: accepted
        TestNative.close(SafeFiles.openRegular(f.toString(), Fds.O_RDWR, 0600, 65534, 65534, 65534));
        int parent = SafeFiles.openDirectory(tmp.toString());
        try {
            TestNative.close(SafeFiles.makeDirectoryAt(parent, "d", 0710, 65534, 65534, "d"));
            Inodes.Stat st = Inodes.lstat(tmp.resolve("d").toString());
            assertThat(st.uid()).isEqualTo(65534);
            assertThat(st.gid()).isEqualTo(65534);
            assertThat(st.permissions()).isEqualTo(0710);
            assertThatThrownBy(() -> SafeFiles.makeDirectoryAt(parent, "d", 0700, -1, -1, "d"))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST));
        } finally {
            TestNative.close(parent);
        }
    }

    @Test
    void makeDirectoriesMakesTheMissingOnesWithTheirMode() throws Exception {
        Path deep = tmp.resolve("a/b/c");
        SafeFiles.makeDirectories(deep, 0755);
        assertThat(Inodes.lstat(tmp.resolve("a").toString()).permissions()).isEqualTo(0755);
        assertThat(Inodes.lstat(deep.toString()).permissions()).isEqualTo(0755);
        SafeFiles.makeDirectories(deep, 0700); // existing: left alone
        assertThat(Inodes.lstat(deep.toString()).permissions()).isEqualTo(0755);
    }

    @Test
    void endpointsAreBornWithTheirOwnerAndModeAndReplaceAStaleEntry() throws Exception {
        boolean root = Users.geteuid() == 0;
        int uid = root ? 65534 : -1;
        int gid = root ? 65534 : -1;
        int owner = root ? 65534 : Users.geteuid();
        Path dir = Files.createDirectory(tmp.resolve("private"));
        if (root) {
            TestNative.chown(dir.toString(), 65534, 65534);
            TestNative.chmod(dir.toString(), 0700);
        }
        Path victim = Files.writeString(tmp.resolve("victim"), "precious\n");
        Files.createSymbolicLink(dir.resolve("stream"), victim); // a stale entry: removed, not followed
        int umask = currentUmask();
        int s = LocalEndpoints.create(dir.toString(), "stream", LocalEndpoints.Kind.STREAM, 4, uid, gid);
        int d = LocalEndpoints.create(dir.toString(), "dgram", LocalEndpoints.Kind.DGRAM, 0, uid, gid);
        int f = LocalEndpoints.create(dir.toString(), "fifo", LocalEndpoints.Kind.FIFO, 0, uid, gid);
        try {
            for (int fd : new int[] {s, d, f}) {
                assertThat(TestNative.isCloexec(fd)).isTrue();
                assertThat(TestNative.isNonBlocking(fd)).isTrue();
            }
            Inodes.Stat st = Inodes.lstat(dir.resolve("stream").toString());
            assertThat(st.isSocket()).isTrue();
            assertThat(st.uid()).isEqualTo(owner);
            assertThat(st.permissions()).isEqualTo(0666);
            assertThat(Inodes.lstat(dir.resolve("dgram").toString()).permissions()).isEqualTo(0666);
            Inodes.Stat fs = Inodes.lstat(dir.resolve("fifo").toString());
            assertThat(fs.isFifo()).isTrue();
            assertThat(fs.uid()).isEqualTo(owner);
            assertThat(fs.permissions()).isEqualTo(0622);
            assertThat(Files.readString(victim)).isEqualTo("precious\n");
            assertThat(Files.isSymbolicLink(dir.resolve("stream"))).isFalse();
            // a client reaches the listener by its ordinary path
            TestNative.close(TestNative.connectUnixWaiting(dir.resolve("stream").toString(), 1000));
            assertThat(currentUmask()).as("the process's umask").isEqualTo(umask);
        } finally {
            TestNative.close(s);
            TestNative.close(d);
            TestNative.close(f);
        }
        assertThat(Files.exists(dir.resolve("stream"), LinkOption.NOFOLLOW_LINKS)).isTrue();
    }

    private static int currentUmask() {
        int m = Processes.umask(022);
        Processes.umask(m);
        return m;
    }
}
