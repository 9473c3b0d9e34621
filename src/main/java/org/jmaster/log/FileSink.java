package org.jmaster.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.SafeFiles;
import org.jmaster.nativ.Users;

/**
 * Appends lines in postlogd's format to a file named by {@code maillog_file} (its directory is created
 * when missing, mode 0755); {@code /dev/stdout} works too. The format is Postfix's {@code msg_logger}:
 * {@code strftime("%b %d %H:%M:%S")} (a zero-padded day: {@code Dec 03}, unlike syslog's
 * {@code Dec  3}), the first label of the host name, then {@code tag[pid]: text}. Each line is one
 * {@code write(2)} in append mode, so lines from several writers never interleave.
 *
 * <p>The file is opened as Postfix's postlogd opens it, with {@code safe_open} (see
 * {@link SafeFiles#openRegular}), since its directory may be writable by others: a new file is
 * made 0600; an existing one must be a regular file with one link, owned by this process's user,
 * or it is not used (the caller then logs to standard error).
 */
final class FileSink implements LogSink {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM dd HH:mm:ss", Locale.ROOT);
    private final int fd;
    private final String host;

    FileSink(String path, String host) throws IOException {
        if (path.equals("/dev/stdout")) {
            this.fd = Fds.dup(1);
        } else {
            Path parent = Path.of(path).toAbsolutePath().getParent();
            if (parent != null) {
                SafeFiles.makeDirectories(parent, 0755);
            }
            this.fd = SafeFiles.openRegular(path, Fds.O_WRONLY | Fds.O_APPEND, 0600, -1, -1, Users.geteuid());
        }
        this.host = firstLabel(host);
    }

    /** postlogd writes the host name's first label only ({@code mail} of {@code mail.example.org}). */
    static String firstLabel(String host) {
        int dot = host.indexOf('.');
        return dot > 0 ? host.substring(0, dot) : host;
    }

    @Override
    public synchronized void write(int severity, String tag, long pid, String text) {
        String line = STAMP.format(LocalDateTime.now()) + " " + host + " " + tag + "[" + pid + "]: " + text + "\n";
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        try {
            for (int off = 0, n; off < b.length; off += n) {
                n = Fds.write(fd, b, off, b.length - off);
                if (n <= 0) {
                    break;
                }
            }
        } catch (NativeException | RuntimeException ignored) {
            // a full disk must not take the master down
        }
    }

    @Override
    public synchronized void close() {
        Fds.closeQuietly(fd);
    }
}
