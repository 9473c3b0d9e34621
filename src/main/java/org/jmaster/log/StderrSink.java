package org.jmaster.log;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Writes {@code tag[pid]: text} lines to standard error, unbuffered, as Postfix's {@code -v -d} output does. */
final class StderrSink implements LogSink {
    private final FileOutputStream err = new FileOutputStream(FileDescriptor.err);

    @Override
    public synchronized void write(int severity, String tag, long pid, String text) {
        try {
            err.write((tag + "[" + pid + "]: " + text + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException ignored) {
            // stderr gone (detached and closed): nowhere left to complain
        }
    }
}
