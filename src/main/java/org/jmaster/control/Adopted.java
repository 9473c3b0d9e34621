package org.jmaster.control;

import java.net.InetAddress;
import java.nio.file.Path;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.PeerAddress;
import org.jmaster.nativ.Sockets;

/**
 * Listeners of the control socket and the metrics endpoint that an upgrade handed over: adopted when
 * they listen where the configuration says, else closed (the caller then opens its own).
 */
final class Adopted {
    private Adopted() {}

    /** {@code passed} when it is a unix listener bound to {@code path}; else -1 ({@code passed} closed). */
    static int unixListener(int passed, String path) {
        if (passed < 0) {
            return -1;
        }
        try {
            PeerAddress local = Sockets.getsockname(passed);
            if (local.isUnix() && Path.of(local.path()).equals(Path.of(path))) {
                return passed;
            }
        } catch (NativeException | RuntimeException e) {
            // not a socket after all: open our own
        }
        Fds.closeQuietly(passed);
        return -1;
    }

    /** {@code passed} when it is an inet listener on {@code addr:port}; else -1 ({@code passed} closed). */
    static int inetListener(int passed, InetAddress addr, int port) {
        if (passed < 0) {
            return -1;
        }
        try {
            PeerAddress local = Sockets.getsockname(passed);
            if (!local.isUnix() && local.port() == port && local.address().equals(addr)) {
                return passed;
            }
        } catch (NativeException | RuntimeException e) {
            // not a socket after all: open our own
        }
        Fds.closeQuietly(passed);
        return -1;
    }
}
