package org.jmaster.services;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
 * Maildir convention says): deliveries that a crash left behind. Each removal is logged.
 */
public final class Sweep implements TriggerService {
    private static final Logger log = LoggerFactory.getLogger(Sweep.class);
    private Path tmp;
    private String shown;
    private Duration maxAge;

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
        if (!Files.isDirectory(tmp)) {
            log.debug("{}/tmp: no such directory", shown);
            return;
        }
        Instant now = Instant.now();
        int removed = 0;
        int kept = 0;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tmp)) {
            for (Path p : dir) {
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class);
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
                    Files.deleteIfExists(p);
                    removed++;
                    log.info("removed {}/tmp/{}: untouched for {}h, {} bytes", shown, p.getFileName(), age.toHours(),
                            a.size());
                } catch (IOException e) {
                    log.warn("remove {}/tmp/{}: {}", shown, p.getFileName(), e.getMessage());
                }
            }
        }
        log.debug("swept {}/tmp: {} removed, {} kept", shown, removed, kept);
    }
}
