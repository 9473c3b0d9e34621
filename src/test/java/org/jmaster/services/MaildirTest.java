package org.jmaster.services;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.jmaster.nativ.Processes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deliveries into a real Maildir: tmp, then new; aborts leave nothing; names are unique. */
class MaildirTest {
    @TempDir
    Path tmp;

    private static long count(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void createMakesPrivateDirectoriesAndLeavesExistingOnesAlone() throws Exception {
        Path md = tmp.resolve("Maildir");
        Files.createDirectories(md.resolve("cur"));
        Files.setPosixFilePermissions(md.resolve("cur"), PosixFilePermissions.fromString("rwxr-x---"));
        Maildir.create(md, -1, -1);
        assertThat(Files.getPosixFilePermissions(md.resolve("new"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(md.resolve("cur"))).isEqualTo(PosixFilePermissions.fromString("rwxr-x---"));
        assertThat(new Maildir(md, "h").problem()).isNull();
        assertThat(new Maildir(tmp.resolve("missing"), "h").problem()).endsWith("missing/tmp is not a directory");
    }

    @Test
    void aCommittedMessageMovesFromTmpToNew() throws Exception {
        Path md = tmp.resolve("Maildir");
        Maildir.create(md, -1, -1);
        Maildir m = new Maildir(md, "host/with:odd");
        Maildir.Delivery d = m.begin();
        assertThat(count(md.resolve("tmp"))).isEqualTo(1);
        byte[] body = "Subject: x\n\nbody\n".getBytes(StandardCharsets.US_ASCII);
        d.write(body, 0, body.length);
        String where = d.commit();
        assertThat(where).startsWith("new/").endsWith(".host\\057with\\072odd")
                .matches("new/\\d+\\.M\\d+P" + Processes.getpid() + "Q1R[0-9a-f]+\\..*");
        assertThat(count(md.resolve("tmp"))).isZero();
        assertThat(Files.readString(md.resolve(where))).isEqualTo("Subject: x\n\nbody\n");
        assertThat(d.size()).isEqualTo(body.length);
    }

    @Test
    void anAbortedMessageLeavesNothing() throws Exception {
        Path md = tmp.resolve("Maildir");
        Maildir.create(md, -1, -1);
        Maildir m = new Maildir(md, "h");
        Maildir.Delivery d = m.begin();
        byte[] big = new byte[200_000];
        d.write(big, 0, big.length);
        d.abort();
        d.abort();
        assertThat(count(md.resolve("tmp"))).isZero();
        assertThat(count(md.resolve("new"))).isZero();
    }

    @Test
    void namesAreUniqueWithinAProcess() throws Exception {
        Path md = tmp.resolve("Maildir");
        Maildir.create(md, -1, -1);
        Maildir m = new Maildir(md, "h");
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            Maildir.Delivery d = m.begin();
            names.add(d.name());
            d.write((byte) 'x');
            d.commit();
        }
        assertThat(names).hasSize(500);
        assertThat(count(md.resolve("new"))).isEqualTo(500);
    }
}
