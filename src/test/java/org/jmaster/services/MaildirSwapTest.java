package org.jmaster.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jmaster.attack.LocalAttacker;
import org.jmaster.nativ.TestNative;
import org.jmaster.nativ.Users;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, finding 1, for {@link Maildir#create}: smtpd runs it as root before dropping to
 * {@code mail_owner}, in directories that are (or become) {@code mail_owner}'s. A local user who
 * is {@code mail_owner} ({@code nobody} here) swaps every directory it makes for a symbolic link
 * to a root-owned file; before the fix the chown by path that followed reached the file.
 */
class MaildirSwapTest {
    static final int MAILDIRS = 200;

    @TempDir
    Path tmp;

    @Test
    void swappingNewMaildirDirectoriesForSymbolicLinksChangesNoRootFile() throws Exception {
        assumeTrue(Users.geteuid() == 0, "the attack is on a root process");
        Path base = LocalAttacker.openDirectory(tmp);
        LocalAttacker.Victims victims = new LocalAttacker.Victims(base.resolve("victims"), 5 * MAILDIRS, 0600);
        Path swapper = LocalAttacker.compile(base.resolve("bin"), "swapper");
        Path spool = LocalAttacker.openDirectory(base.resolve("spool"));
        // half: a Maildir of nobody's whose subdirectories are missing (nobody may remove them);
        // half: a missing Maildir in a directory of nobody's (a data_directory, say)
        List<Path> maildirs = new ArrayList<>();
        List<Path> watched = new ArrayList<>();
        for (int i = 0; i < MAILDIRS; i++) {
            Path d = Files.createDirectory(spool.resolve("d" + i));
            TestNative.chown(d.toString(), LocalAttacker.NOBODY, LocalAttacker.NOBODY);
            TestNative.chmod(d.toString(), 0700);
            if (i % 2 == 0) {
                maildirs.add(d);
            } else {
                maildirs.add(d.resolve("Maildir"));
            }
            watched.add(d);
        }
        int failed = 0;
        long planted;
        try (LocalAttacker attacker = LocalAttacker.swap(swapper, victims, watched.toArray(Path[]::new))) {
            for (Path md : maildirs) {
                try {
                    Maildir.create(md, LocalAttacker.NOBODY, LocalAttacker.NOBODY);
                } catch (IOException e) {
                    failed++; // nobody may spoil its own Maildir; it may not reach root's files
                }
            }
            planted = attacker.stop();
        }
        System.out.println("MaildirSwapTest: " + MAILDIRS + " Maildirs, " + planted
                + " new directories replaced by symbolic links, " + failed + " creations refused");
        assertThat(planted).as("directories the attacker replaced").isPositive();
        victims.assertUnchanged();
    }
}
