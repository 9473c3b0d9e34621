package org.jmaster.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.jmaster.nativ.Users;

/** Test helpers for the bundled Java services (services/ of this checkout) under a {@link MasterProcess}. */
final class Services {
    private Services() {}

    /**
     * Puts the real service programs into the master's daemon directory: a two-line script per
     * service that execs services/NAME of this checkout, so the process is the service itself.
     */
    static void link(MasterProcess m, String... names) throws IOException {
        for (String n : names) {
            Path target = m.daemons.resolve(n);
            Files.writeString(target, "#!/bin/sh\nexec " + MasterProcess.REPO.resolve("services").resolve(n) + " \"$@\"\n");
            target.toFile().setExecutable(true, false);
        }
    }

    /** The Maildir smtpd uses by default: {@code $queue_directory/Maildir}. */
    static Path maildir(MasterProcess m) {
        return m.queue.resolve("Maildir");
    }

    /** The files in one of the Maildir's subdirectories (empty when it does not exist). */
    static List<Path> files(Path maildir, String sub) {
        Path d = maildir.resolve(sub);
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The user the services drop to when the tests run as root ({@code mail_owner}, default postfix). */
    static Optional<Users.Passwd> mailOwner(String name) {
        return Users.geteuid() == 0 ? Users.getpwnam(name) : Optional.empty();
    }

    /** Waits until the master has no children left. */
    static void awaitNoChildren(MasterProcess m) {
        await().atMost(Duration.ofSeconds(30)).until(() -> m.liveChildren().isEmpty());
    }

    /** A field of /proc/PID/status, e.g. "Uid". */
    static String status(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field + ":")) {
                    return line.substring(field.length() + 1).trim();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError("no " + field + " for " + pid);
    }

    static boolean haveSwaks() {
        return Files.isExecutable(Path.of("/usr/bin/swaks"));
    }
}
