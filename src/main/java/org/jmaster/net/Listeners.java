package org.jmaster.net;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jmaster.conf.ServiceEntry;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.LocalEndpoints;
import org.jmaster.nativ.Sockets;

/**
 * Opens a service's listening endpoints (protocol doc §1.3): inet sockets per address, unix and
 * pass sockets (mode 0666) and unix-dgram sockets under {@code queue_directory}, and fifos (0622).
 * Local endpoints belong to {@code mail_owner} when the master runs as root: they are made as
 * that user from the start, never chowned or chmodded by path afterwards (their directories are
 * {@code mail_owner}'s; see {@link LocalEndpoints}). The master never accepts on any of them.
 */
public final class Listeners {
    /** Who owns local endpoints; null when not running as root. */
    public record Owner(int uid, int gid) {}

    private Listeners() {}

    /**
     * Opens every endpoint of {@code entry}, adopting a listener passed by the service manager where
     * one matches; on failure closes what was opened and throws.
     */
    public static List<Listener> open(ServiceEntry entry, List<InetAddress> addresses, int backlog,
                                      int tcpWindowSize, Path queueDirectory, Owner owner,
                                      SocketActivation passed) throws IOException {
        List<Listener> out = new ArrayList<>();
        try {
            switch (entry.type()) {
                case INET:
                    for (InetAddress a : addresses) {
                        int fd = passed.takeInet(a, entry.inetPort(), entry.extName());
                        if (fd < 0) {
                            fd = Sockets.inetListen(a, entry.inetPort(), backlog, tcpWindowSize);
                        }
                        String host = a instanceof Inet6Address ? "[" + a.getHostAddress() + "]" : a.getHostAddress();
                        out.add(new Listener(fd, host + ":" + entry.inetPort()));
                    }
                    break;
                case UNIX:
                case PASS: {
                    Path path = queueDirectory.resolve(entry.name());
                    int fd = passed.takeListener(entry.type().wireName() + "@" + entry.name(),
                            SocketActivation.Kind.STREAM);
                    if (fd < 0) {
                        fd = passed.takeUnix(path, entry.extName());
                    }
                    if (fd < 0) {
                        fd = local(path, LocalEndpoints.Kind.STREAM, backlog, owner);
                    }
                    out.add(new Listener(fd, entry.name()));
                    break;
                }
                case UNIX_DGRAM: {
                    Path path = queueDirectory.resolve(entry.name());
                    int fd = passed.takeListener("unix-dgram@" + entry.name(), SocketActivation.Kind.DGRAM);
                    if (fd < 0) {
                        fd = passed.takeUnixDgram(path);
                    }
                    out.add(new Listener(fd >= 0 ? fd : local(path, LocalEndpoints.Kind.DGRAM, 0, owner), entry.name()));
                    break;
                }
                case FIFO: {
                    Path path = queueDirectory.resolve(entry.name());
                    int fd = passed.takeListener("fifo@" + entry.name(), SocketActivation.Kind.FIFO);
                    if (fd < 0) {
                        fd = passed.takeFifo(path);
                    }
                    out.add(new Listener(fd >= 0 ? fd : local(path, LocalEndpoints.Kind.FIFO, 0, owner), entry.name()));
                    break;
                }
                default:
                    throw new AssertionError(entry.type());
            }
        } catch (IOException | RuntimeException e) {
            close(out);
            throw e;
        }
        return out;
    }

    /** A local endpoint made in its directory as {@code owner} (see {@link LocalEndpoints}). */
    private static int local(Path path, LocalEndpoints.Kind kind, int backlog, Owner owner) throws IOException {
        return LocalEndpoints.create(path.getParent().toString(), path.getFileName().toString(), kind, backlog,
                owner == null ? -1 : owner.uid(), owner == null ? -1 : owner.gid());
    }

    public static void close(List<Listener> listeners) {
        for (Listener l : listeners) {
            Fds.closeQuietly(l.fd());
        }
    }
}
