package org.jmaster.services;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jmaster.server.Client;
import org.jmaster.server.ClientTimeoutException;

/**
 * smtpd's line reader: splits a client's input at LF, says for each line whether it ended in the
 * standard CRLF or in a bare LF (the difference SMTP smuggling lives on), and holds the session to
 * its overall deadline as well as to the per-read timeout. A CR that is not right before the LF
 * stays in the line (a bare CR); the caller decides what to do with it. Not thread-safe: the
 * serving thread owns it.
 */
final class SmtpInput {
    /** How a line ended: the standard CRLF, a bare LF, or not at all (a piece of a longer line). */
    enum End { CRLF, LF, NONE }

    /** A line without its terminator; {@code end} is {@link End#NONE} for a piece of a longer line. */
    record Line(byte[] bytes, End end) {
        boolean complete() {
            return end != End.NONE;
        }

        /** The bytes as ISO-8859-1 text (one char per byte). */
        String text() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    /** The session's overall deadline ({@code smtpd_session_deadline}) has passed. */
    static final class DeadlineExceeded extends IOException {
        private static final long serialVersionUID = 1L;

        DeadlineExceeded(String message) {
            super(message);
        }
    }

    private final Client client;
    private final long deadline;
    private final long deadlineSeconds;
    private final byte[] buf = new byte[8192];
    private int start;
    private int end;
    private byte[] line = new byte[256];

    /**
     * @param client          the connection
     * @param deadlineSeconds how long the whole session may last from now
     */
    SmtpInput(Client client, long deadlineSeconds) {
        this.client = client;
        this.deadlineSeconds = deadlineSeconds;
        this.deadline = System.nanoTime() + Math.min(deadlineSeconds, Long.MAX_VALUE / 2_000_000_000L) * 1_000_000_000L;
    }

    /**
     * The next line, at most {@code maxLength} (at least 1) bytes without its terminator (CRLF or a
     * bare LF). A longer line comes in pieces of {@code maxLength} bytes ({@link End#NONE}), its
     * last piece complete. Null at the end of input; an unterminated last line is dropped. Each
     * wait for input lasts at most {@code timeoutMs} and never past the session's deadline.
     *
     * @throws ClientTimeoutException a wait took {@code timeoutMs}
     * @throws DeadlineExceeded       the session's deadline passed (checked before every read,
     *                                so a client that keeps sending cannot outlast it either)
     */
    Line readLine(int maxLength, int timeoutMs) throws IOException {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength " + maxLength);
        }
        int len = 0;
        for (;;) {
            while (start < end && len < maxLength) {
                byte b = buf[start++];
                if (b == '\n') {
                    return ended(len);
                }
                if (len == line.length) {
                    line = Arrays.copyOf(line, Math.min(maxLength, line.length * 2));
                }
                line[len++] = b;
            }
            if (len == maxLength) {
                // at the limit: a line of exactly maxLength bytes still ends here if its terminator is next
                if (!buffered(1, timeoutMs)) {
                    return null;
                }
                if (buf[start] == '\n') {
                    start++;
                    return ended(len);
                }
                if (buf[start] == '\r') {
                    if (!buffered(2, timeoutMs)) {
                        return null;
                    }
                    if (buf[start + 1] == '\n') {
                        start += 2;
                        return new Line(Arrays.copyOf(line, len), End.CRLF);
                    }
                }
                return new Line(Arrays.copyOf(line, len), End.NONE);
            }
            if (!fill(timeoutMs)) {
                return null;
            }
        }
    }

    /** The line that just met its LF: CRLF when a CR came right before it, else a bare LF. */
    private Line ended(int len) {
        if (len > 0 && line[len - 1] == '\r') {
            return new Line(Arrays.copyOf(line, len - 1), End.CRLF);
        }
        return new Line(Arrays.copyOf(line, len), End.LF);
    }

    /** Waits until at least {@code n} bytes are buffered; false at the end of input. */
    private boolean buffered(int n, int timeoutMs) throws IOException {
        while (end - start < n) {
            if (!fill(timeoutMs)) {
                return false;
            }
        }
        return true;
    }

    /** Reads more (the client flushes its output first); false at the end of input. */
    private boolean fill(int timeoutMs) throws IOException {
        long left = millisLeft();
        if (left <= 0) {
            throw exceeded();
        }
        if (start > 0) {
            System.arraycopy(buf, start, buf, 0, end - start);
            end -= start;
            start = 0;
        }
        int wait = (int) Math.min(timeoutMs, left);
        client.setWriteTimeout(wait);
        int n;
        try {
            n = client.read(buf, end, buf.length - end, wait);
        } catch (ClientTimeoutException e) {
            if (millisLeft() <= 0) {
                throw exceeded();
            }
            throw e;
        }
        if (n < 0) {
            return false;
        }
        end += n;
        return true;
    }

    /** Milliseconds until the session's deadline (never more than Integer.MAX_VALUE). */
    long millisLeft() {
        return Math.min(Integer.MAX_VALUE, (deadline - System.nanoTime()) / 1_000_000L);
    }

    private DeadlineExceeded exceeded() {
        return new DeadlineExceeded("session deadline of " + deadlineSeconds + "s exceeded");
    }
}
