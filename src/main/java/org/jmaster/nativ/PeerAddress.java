package org.jmaster.nativ;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A socket's local or peer address as {@code getsockname}/{@code getpeername} returned it: an
 * internet address and port, or an AF_UNIX path ({@code ""} for an unnamed socket, a leading
 * {@code '@'} for the abstract namespace).
 *
 * @param family {@link Sockets#AF_INET}, {@link Sockets#AF_INET6} or {@link Sockets#AF_UNIX}
 * @param address the internet address, null for AF_UNIX
 * @param port the port, 0 for AF_UNIX
 * @param path the AF_UNIX path, null for internet addresses
 */
public record PeerAddress(int family, InetAddress address, int port, String path) {
    public boolean isUnix() {
        return family == Sockets.AF_UNIX;
    }

    /** The internet address and port; throws for AF_UNIX. */
    public InetSocketAddress toInetSocketAddress() {
        if (address == null) {
            throw new IllegalStateException("not an internet address: " + this);
        }
        return new InetSocketAddress(address, port);
    }

    @Override
    public String toString() {
        if (isUnix()) {
            return path.isEmpty() ? "(unnamed)" : path;
        }
        String host = address.getHostAddress();
        return (family == Sockets.AF_INET6 ? "[" + host + "]" : host) + ":" + port;
    }
}
