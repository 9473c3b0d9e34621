package org.jmaster.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A bare SMTP client over a real socket for the end-to-end tests: sends raw bytes (so pipelining
 * and garbage can be tested) and reads replies as the server sent them, one reply (all lines of a
 * multi-line reply) at a time.
 */
final class SmtpClient implements AutoCloseable {
    final Socket socket = new Socket();
    private final InputStream in;
    private final OutputStream out;

    SmtpClient(int port) throws IOException {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 60_000);
        socket.setSoTimeout(60_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** The greeting. */
    String greeting() throws IOException {
        return reply();
    }

    /** Sends {@code raw} exactly as given (add CRLF yourself). */
    void send(String raw) throws IOException {
        send(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    void send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
    }

    /** Sends one command line and returns the reply. */
    String command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    /** One reply: its lines joined with newlines (without CRLF); null at end of stream. */
    String reply() throws IOException {
        List<String> lines = new ArrayList<>();
        for (;;) {
            String line = line();
            if (line == null) {
                return lines.isEmpty() ? null : String.join("\n", lines);
            }
            lines.add(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return String.join("\n", lines);
            }
        }
    }

    /** One line without CRLF; null at end of stream. */
    String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (;;) {
            int c = in.read();
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
            }
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
    }

    /** True when the server has closed the connection (reads end of stream). */
    boolean closedByServer() throws IOException {
        return in.read() < 0;
    }

    /**
     * A whole transaction: greeting, EHLO, MAIL, RCPT, DATA, {@code body} (CRLF lines, dot-stuffed
     * by the caller), QUIT. Returns the reply to the final dot.
     */
    static String send(int port, String from, String to, String body) throws IOException {
        try (SmtpClient c = new SmtpClient(port)) {
            expect(c.greeting(), "220 ");
            expect(c.command("EHLO client.example"), "250");
            expect(c.command("MAIL FROM:<" + from + ">"), "250");
            expect(c.command("RCPT TO:<" + to + ">"), "250");
            expect(c.command("DATA"), "354");
            c.send(body + "\r\n.\r\n");
            String r = c.reply();
            c.command("QUIT");
            return r;
        }
    }

    private static void expect(String reply, String prefix) throws IOException {
        if (reply == null || !reply.startsWith(prefix)) {
            throw new IOException("expected " + prefix + "..., got " + reply);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
