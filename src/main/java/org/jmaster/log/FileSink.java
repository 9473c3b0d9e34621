package org.jmaster.log;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Appends lines in postlogd's format ({@code Mon dd HH:mm:ss host tag[pid]: text}) to a file named by
 * {@code maillog_file} (its directory is created when missing); {@code /dev/stdout} works too. Each line is one
 * {@code write(2)} in append mode, so lines from several writers never interleave.
 */
final class FileSink implements LogSink {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);
    private final FileOutputStream out;
    private final String host;

    FileSink(String path, String host) throws IOException {
        java.nio.file.Path parent = java.nio.file.Path.of(path).toAbsolutePath().getParent();
        if (parent != null && !java.nio.file.Files.isDirectory(parent)) {
            java.nio.file.Files.createDirectories(parent);
        }
        this.out = new FileOutputStream(path, true);
        this.host = host;
    }

    @Override
    public synchronized void write(int severity, String tag, long pid, String text) {
        String line = STAMP.format(LocalDateTime.now()) + " " + host + " " + tag + "[" + pid + "]: " + text + "\n";
        try {
            out.write(line.getBytes(StandardCharsets.UTF_8));
        } catch (IOException ignored) {
            // a full disk must not take the master down
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // closing a log file cannot usefully fail
        }
    }
}
