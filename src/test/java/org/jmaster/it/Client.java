package org.jmaster.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A line-oriented client of the fake daemon: greeting {@code hello PID GEN}, then one echo. */
final class Client implements AutoCloseable {
    final Socket socket = new Socket();
    final BufferedReader in;
    final OutputStream out;

    Client(int port) throws IOException {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(20_000);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        out = socket.getOutputStream();
    }

    /** Reads the greeting and returns the serving child's pid. */
    int greeting() throws IOException {
        String line = in.readLine();
        if (line == null || !line.startsWith("hello ")) {
            throw new IOException("unexpected greeting: " + line);
        }
        return Integer.parseInt(line.split(" ")[1]);
    }

    String echo(String text) throws IOException {
        out.write((text + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return in.readLine();
    }

    /** One whole session: greeting, echo, close; returns the child's pid. */
    static int session(int port) throws IOException {
        try (Client c = new Client(port)) {
            int pid = c.greeting();
            String e = c.echo("ping");
            if (!"echo ping".equals(e)) {
                throw new IOException("bad echo: " + e);
            }
            return pid;
        }
    }

    /** Connects and reads only the greeting (the one-shot daemon closes after it). */
    static int sessionGreetingOnly(int port) throws IOException {
        try (Client c = new Client(port)) {
            return c.greeting();
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
