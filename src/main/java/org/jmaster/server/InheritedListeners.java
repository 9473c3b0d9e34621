package org.jmaster.server;

import java.util.Set;
import org.jmaster.nativ.FdPassing;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Inodes;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.PollSet;
import org.jmaster.nativ.Sockets;

/**
 * The listeners a master passes at descriptors 6, 7, … ({@code -s N}, protocol doc §3.1), and how
 * one request is taken from them for the transport ({@code -t}): {@code inet} and {@code unix}
 * accept a connection; {@code pass} accepts a connection and receives the client's descriptor
 * over it; {@code fifo} is read directly by the trigger skeleton. The listeners are non-blocking
 * and shared with sibling processes, so "nothing there" is a normal answer.
 */
final class InheritedListeners {
    static final int FIRST_FD = 6;
    /** How long a {@code pass} sender may take to send the descriptor after connecting. */
    private static final int PASS_TIMEOUT_MS = 10_000;

    private final String transport;
    private final int[] fds;

    InheritedListeners(String transport, int[] fds) {
        this.transport = transport;
        this.fds = fds;
    }

    /** Checks descriptors 6 … 6+count-1 and the transport against what the skeleton supports. */
    static InheritedListeners open(String transport, int count, Set<String> supported) {
        if (!supported.contains(transport)) {
            throw new ServerFatal("unsupported transport type: " + transport);
        }
        int[] fds = new int[count];
        for (int i = 0; i < count; i++) {
            fds[i] = FIRST_FD + i;
            try {
                Inodes.Stat st = Inodes.fstat(fds[i]);
                boolean ok = transport.equals("fifo") ? st.isFifo() : st.isSocket();
                if (!ok) {
                    throw new ServerFatal("descriptor " + fds[i] + " is not a " + transport + " listener");
                }
            } catch (NativeException e) {
                throw new ServerFatal("descriptor " + fds[i] + " (listener " + (i + 1) + " of " + count
                        + ") is not open");
            }
        }
        return new InheritedListeners(transport, fds);
    }

    int count() {
        return fds.length;
    }

    int fd(int i) {
        return fds[i];
    }

    String transport() {
        return transport;
    }

    /**
     * Takes a client connection from listener {@code fd}: the connected descriptor
     * (non-blocking, close-on-exec), or -1 when a sibling was faster or the client left.
     */
    int acceptClient(int fd) throws NativeException {
        int conn = Sockets.accept(fd);
        if (conn < 0 || !transport.equals("pass")) {
            return conn;
        }
        try {
            if (!PollSet.waitReadable(conn, PASS_TIMEOUT_MS)) {
                return -1;
            }
            FdPassing.ReceivedFd got = FdPassing.recvFd(conn, new byte[256]);
            if (got.fd() >= 0) {
                Fds.setNonBlocking(got.fd(), true);
            }
            return got.fd();
        } finally {
            Fds.closeQuietly(conn);
        }
    }
}
