package org.jmaster.services;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sweep} removes stale files from the Maildir's {@code tmp/} only: the Maildir belongs to
 * {@code mail_owner}, who may replace {@code tmp} with a symbolic link to any directory; a sweep
 * (which may run as root) must not follow it.
 */
class SweepTest {
    @TempDir
    Path tmp;

    private static Path old(Path file) throws Exception {
        Files.writeString(file, "left behind\n");
        FileTime then = FileTime.from(Instant.now().minus(Duration.ofDays(3)));
        Files.setAttribute(file, "lastAccessTime", then);
        Files.setLastModifiedTime(file, then);
        return file;
    }

    @Test
    void removesOnlyOldRegularFilesInTmp() throws Exception {
        Path md = tmp.resolve("Maildir");
        Maildir.create(md, -1, -1);
        Path stale = old(md.resolve("tmp/stale"));
        Path fresh = Files.writeString(md.resolve("tmp/fresh"), "being delivered\n");
        Path elsewhere = old(tmp.resolve("elsewhere"));
        Files.createSymbolicLink(md.resolve("tmp/link"), elsewhere);
        new Sweep(md.resolve("tmp"), md.toString(), Duration.ofHours(36)).wakeup(new byte[0], null);
        assertThat(stale).doesNotExist();
        assertThat(fresh).exists();
        assertThat(elsewhere).exists();
    }

    @Test
    void aTmpThatIsASymbolicLinkIsNotSwept() throws Exception {
        Path md = Files.createDirectories(tmp.resolve("Maildir"));
        Path target = Files.createDirectories(tmp.resolve("precious"));
        Path file = old(target.resolve("old-but-not-ours"));
        Files.createSymbolicLink(md.resolve("tmp"), target);
        new Sweep(md.resolve("tmp"), md.toString(), Duration.ofHours(36)).wakeup(new byte[0], null);
        assertThat(file).exists();
    }
}
