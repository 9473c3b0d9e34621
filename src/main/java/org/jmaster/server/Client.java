package org.jmaster.server;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.PeerAddress;
import org.jmaster.nativ.PollSet;
import org.jmaster.nativ.Sockets;

/**
 * One client connection on raw descriptors: buffered input with per-wait timeouts, line reading
 * with a length bound, and buffered output. Every wait for input also watches the process's stop
 * pipe, so a stop request ends the wait ({@link StopRequestedException}); before it waits, the
 * client flushes what it has buffered for output, so replies to pipelined commands leave in one
 * write and only when the client has nothing more queued (RFC 2920). Not thread-safe: the
 * serving thread owns it.
 */
public final class Client implements Closeable {
    /** A line without its terminator (LF or CRLF); {@code complete} is false for a piece of a longer line. */
    public record Line(byte[] bytes, boolean complete) {
        /** The bytes as ISO-8859-1 text (one char per byte, so nothing is lost or rejected). */
        public String text() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    private static final int BUFFER = 16 * 1024;

    private final int inFd;
    private final int outFd;
    private final int stopFd;
    private final PeerAddress address;
    private final String name;
    private final byte[] in = new byte[BUFFER];
    private int inStart;
    private int inEnd;
    private boolean eof;
    private byte[] out = new byte[4096];
    private int outLen;
    private int writeTimeoutMs = 300_000;
    private boolean open = true;
    // the line being assembled
    private byte[] line = new byte[256];
    private final int[] fds = new int[2];
    private final short[] events = {PollSet.POLLIN, PollSet.POLLIN};
    private final short[] revents = new short[2];

    /**
     * @param inFd    descriptor to read from (a socket, or standard input)
     * @param outFd   descriptor to write to (the same socket, or standard output)
     * @param stopFd  the stop pipe's read end, or -1
     * @param address the peer, or null when unknown
     */
    Client(int inFd, int outFd, int stopFd, PeerAddress address) {
        this.inFd = inFd;
        this.outFd = outFd;
        this.stopFd = stopFd;
        this.address = address;
        this.name = describe(address);
    }

    /** A client over a connected socket ({@code fd} for both directions). */
    static Client onSocket(int fd, int stopFd) {
        PeerAddress peer;
        try {
            peer = Sockets.getpeername(fd);
        } catch (NativeException e) {
            peer = null;
        }
        return new Client(fd, fd, stopFd, peer);
    }

    private static String describe(PeerAddress a) {
        if (a == null) {
            return "unknown";
        }
        if (a.isUnix()) {
            return "local";
        }
        return a.toString();
    }

    /** The peer's address, or null (standard input, an unnamed pipe). */
    public PeerAddress address() {
        return address;
    }

    /** {@code 127.0.0.1:40000}, {@code [::1]:40000}, {@code local} (a unix socket) or {@code unknown}. */
    public String name() {
        return name;
    }

    /** The peer's IP address as text, or {@code null} for local and unknown clients. */
    public String ip() {
        return address == null || address.isUnix() ? null : address.address().getHostAddress();
    }

    /** How long a write may wait for the client to take data; default 300 s. */
    public void setWriteTimeout(int millis) {
        writeTimeoutMs = millis;
    }

    // ---------------------------------------------------------------------------------------------
    // input

    /** True when bytes are buffered, so the next read returns without waiting. */
    public boolean hasBufferedInput() {
        return inStart < inEnd;
    }

    /**
     * The next line, at most {@code maxLength} (at least 1) bytes without its terminator (LF or
     * CRLF). A longer line comes in pieces of {@code maxLength} bytes with {@code complete} false,
     * its last piece with {@code complete} true. Null at the end of input; an unterminated last
     * line is dropped (a client that closes mid-line said nothing). Each wait for input lasts at
     * most {@code timeoutMs}.
     */
    public Line readLine(int maxLength, int timeoutMs) throws IOException {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength " + maxLength);
        }
        int len = 0;
        for (;;) {
            int nl = indexOfNewline();
            int end = nl >= 0 ? nl : inEnd;
            int take = Math.min(end - inStart, maxLength - len);
            if (take > 0) {
                ensureLine(len + take);
                System.arraycopy(in, inStart, line, len, take);
                len += take;
                inStart += take;
            }
            if (nl >= 0 && inStart == nl) {
                inStart = nl + 1;
                return complete(len);
            }
            if (len == maxLength) {
                // at the limit: a line of exactly maxLength bytes still ends here if its terminator is next
                if (!buffered(1, timeoutMs)) {
                    return null;
                }
                if (in[inStart] == '\n') {
                    inStart++;
                    return complete(len);
                }
                if (in[inStart] == '\r' && buffered(2, timeoutMs) && in[inStart + 1] == '\n') {
                    inStart += 2;
                    return new Line(Arrays.copyOf(line, len), true);
                }
                return new Line(Arrays.copyOf(line, len), false);
            }
            if (!fill(timeoutMs)) {
                return null;
            }
        }
    }

    private Line complete(int len) {
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        return new Line(Arrays.copyOf(line, len), true);
    }

    /** Waits until at least {@code n} bytes are buffered; false at the end of input. */
    private boolean buffered(int n, int timeoutMs) throws IOException {
        while (inEnd - inStart < n) {
            if (!fill(timeoutMs)) {
                return false;
            }
        }
        return true;
    }

    private int indexOfNewline() {
        for (int i = inStart; i < inEnd; i++) {
            if (in[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private void ensureLine(int n) {
        if (n > line.length) {
            line = Arrays.copyOf(line, Math.max(n, line.length * 2));
        }
    }

    /**
     * Reads at most {@code len} bytes, waiting at most {@code timeoutMs} when none are buffered.
     * Returns the count, or -1 at the end of input.
     */
    public int read(byte[] b, int off, int len, int timeoutMs) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (inStart == inEnd && !fill(timeoutMs)) {
            return -1;
        }
        int n = Math.min(len, inEnd - inStart);
        System.arraycopy(in, inStart, b, off, n);
        inStart += n;
        return n;
    }

    /**
     * Reads what is there without waiting (for multi-servers): the count, 0 when nothing is
     * waiting, -1 at the end of input.
     */
    public int readAvailable(byte[] b, int off, int len) throws IOException {
        if (inStart < inEnd) {
            int n = Math.min(len, inEnd - inStart);
            System.arraycopy(in, inStart, b, off, n);
            inStart += n;
            return n;
        }
        if (eof) {
            return -1;
        }
        int n = Fds.read(inFd, b, off, len);
        if (n == 0) {
            eof = true;
            return -1;
        }
        return Math.max(n, 0);
    }

    /** Flushes output, then waits for input; false at the end of input. */
    private boolean fill(int timeoutMs) throws IOException {
        if (eof) {
            return false;
        }
        flush();
        if (inStart == inEnd) {
            inStart = 0;
            inEnd = 0;
        } else if (inStart > 0) {
            System.arraycopy(in, inStart, in, 0, inEnd - inStart);
            inEnd -= inStart;
            inStart = 0;
        }
        if (inEnd == in.length) {
            throw new IllegalStateException("input buffer full");
        }
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        for (;;) {
            int n = Fds.read(inFd, in, inEnd, in.length - inEnd);
            if (n > 0) {
                inEnd += n;
                return true;
            }
            if (n == 0) {
                eof = true;
                return false;
            }
            awaitInput(deadline, timeoutMs);
        }
    }

    /** Waits until the input is readable; throws on timeout or a stop request. */
    private void awaitInput(long deadline, int timeoutMs) throws IOException {
        int count = 1;
        fds[0] = inFd;
        if (stopFd >= 0) {
            fds[1] = stopFd;
            count = 2;
        }
        for (;;) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                throw new ClientTimeoutException("timeout after " + (timeoutMs / 1000) + "s waiting for " + name);
            }
            if (PollSet.pollFds(fds, events, revents, count, (int) Math.min(left, Integer.MAX_VALUE)) > 0) {
                if (count == 2 && revents[1] != 0) {
                    throw new StopRequestedException();
                }
                if (revents[0] != 0) {
                    return;
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // output

    /** Buffers {@code text} (ISO-8859-1: one byte per char) for output. */
    public void write(String text) throws IOException {
        int n = text.length();
        ensureOut(n);
        for (int i = 0; i < n; i++) {
            out[outLen++] = (byte) text.charAt(i);
        }
        flushIfLarge();
    }

    /** Buffers bytes for output. */
    public void write(byte[] b, int off, int len) throws IOException {
        ensureOut(len);
        System.arraycopy(b, off, out, outLen, len);
        outLen += len;
        flushIfLarge();
    }

    private void ensureOut(int n) {
        if (outLen + n > out.length) {
            out = Arrays.copyOf(out, Math.max(outLen + n, out.length * 2));
        }
    }

    private void flushIfLarge() throws IOException {
        if (outLen >= BUFFER) {
            flush();
        }
    }

    /** Writes everything buffered, waiting at most the write timeout whenever the client takes nothing. */
    public void flush() throws IOException {
        int off = 0;
        try {
            while (off < outLen) {
                int n = Fds.write(outFd, out, off, outLen - off);
                if (n > 0) {
                    off += n;
                } else if (!PollSet.waitWritable(outFd, writeTimeoutMs)) {
                    throw new ClientTimeoutException("timeout after " + (writeTimeoutMs / 1000) + "s writing to " + name);
                }
            }
        } finally {
            if (off > 0) {
                System.arraycopy(out, off, out, 0, outLen - off);
                outLen -= off;
            }
        }
    }

    /** Closes the connection (pending output is dropped; call {@link #flush} first to keep it). */
    @Override
    public void close() {
        if (open) {
            open = false;
            Fds.closeQuietly(inFd);
            if (outFd != inFd) {
                Fds.closeQuietly(outFd);
            }
        }
    }

    /** The descriptor to poll for input (multi-servers). */
    int inputFd() {
        return inFd;
    }
}
