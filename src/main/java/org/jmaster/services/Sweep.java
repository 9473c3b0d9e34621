package org.jmaster.services;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jmaster.server.ServerContext;
import org.jmaster.server.TriggerServer;
import org.jmaster.server.TriggerService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sweep}: a trigger service that, at each wakeup, removes files from the Maildir's
 * {@code tmp/} that have been neither read nor written for {@code sweep_max_age} (36 hours, as the
 * Maildir convention says): deliveries that a crash left behind. Each removal is logged. A
 * {@code tmp} that is a symbolic link is not followed (a warning says so).
 */
public final class Sweep implements TriggerService {
    private static final Logger log = LoggerFactory.getLogger(Sweep.class);
    private static final Path TMP = Path.of("tmp");
    private Path tmp;
    private String shown;
    private Duration maxAge;

    public Sweep() {}

    /** A sweep of {@code tmp} (shown as {@code shown}/tmp), as {@link #preJailInit} would set it up. */
    Sweep(Path tmp, String shown, Duration maxAge) {
        this.tmp = tmp;
        this.shown = shown;
        this.maxAge = maxAge;
    }

    public static void main(String[] args) {
        TriggerServer.main("sweep", args, new Sweep());
    }

    @Override
    public Map<String, String> parameterDefaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("smtpd_maildir", SmtpdSettings.DEFAULTS.get("smtpd_maildir"));
        d.put("sweep_maildir", "$smtpd_maildir");
        d.put("sweep_max_age", "36h");
        return d;
    }

    @Override
    public void preJailInit(ServerContext ctx) {
        shown = ctx.parameter("sweep_maildir");
        tmp = ctx.localPath("sweep_maildir", shown).resolve("tmp");
        maxAge = Duration.ofSeconds(ctx.timeParameter("sweep_max_age", 1));
    }

    @Override
    public void wakeup(byte[] request, ServerContext ctx) throws IOException {
        Path maildir = tmp.getParent() != null ? tmp.getParent() : Path.of(".");
        Instant now = Instant.now();
        int removed = 0;
        int kept = 0;
        // tmp/ belongs to mail_owner: entered without following a symbolic link, and every file in it
        // examined and removed relative to that open directory, so a sweep running as root never
        // lands anywhere else
        try (DirectoryStream<Path> parent = Files.newDirectoryStream(maildir);
             SecureDirectoryStream<Path> dir = secure(parent).newDirectoryStream(TMP, LinkOption.NOFOLLOW_LINKS)) {
            for (Path p : dir) {
                Path name = p.getFileName();
                BasicFileAttributes a;
                try {
                    a = dir.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                            .readAttributes();
                } catch (NoSuchFileException e) {
                    continue; // delivered or removed meanwhile
                }
                Instant touched = a.lastModifiedTime().toInstant();
                if (a.lastAccessTime().toInstant().isAfter(touched)) {
                    touched = a.lastAccessTime().toInstant();
                }
                Duration age = Duration.between(touched, now);
                if (!a.isRegularFile() || age.compareTo(maxAge) <= 0) {
                    kept++;
                    continue;
                }
                try {
                    dir.deleteFile(name);
                    removed++;
                    log.info("removed {}/tmp/{}: untouched for {}h, {} bytes", shown, name, age.toHours(), a.size());
                } catch (NoSuchFileException e) {
                    // removed meanwhile
                } catch (IOException e) {
                    log.warn("remove {}/tmp/{}: {}", shown, name, e.getMessage());
                }
            }
        } catch (NoSuchFileException e) {
            log.debug("{}/tmp: no such directory", shown);
            return;
        } catch (FileSystemException e) {
            log.warn("cannot sweep {}/tmp (a symbolic link there is not followed): {}", shown, e.getMessage());
            return;
        }
        log.debug("swept {}/tmp: {} removed, {} kept", shown, removed, kept);
    }

    private static SecureDirectoryStream<Path> secure(DirectoryStream<Path> stream) throws IOException {
        if (stream instanceof SecureDirectoryStream<Path> s) {
            return s;
        }
        throw new IOException("no directory-relative file operations on this platform");
    }
}
