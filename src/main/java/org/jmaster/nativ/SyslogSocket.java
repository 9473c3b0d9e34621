package org.jmaster.nativ;

import org.jmaster.log.SyslogTransport;

/**
 * The datagram connection to the syslog daemon ({@code /dev/log}): a connected, close-on-exec
 * AF_UNIX SOCK_DGRAM socket. A send waits at most {@link #SEND_TIMEOUT_MS} for room (syslog(3)
 * would wait forever; the master must not). When the daemon was restarted (ECONNREFUSED,
 * ENOTCONN) the socket reconnects once and retries. Thread-safe.
 */
public final class SyslogSocket implements SyslogTransport {
    static final int SEND_TIMEOUT_MS = 1000;

    private final String path;
    private int fd;

    private SyslogSocket(String path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /** Connects to the syslog socket at {@code path}; null when it cannot be reached. */
    public static SyslogSocket open(String path) {
        try {
            return new SyslogSocket(path, connect(path));
        } catch (NativeException e) {
            return null;
        }
    }

    private static int connect(String path) throws NativeException {
        int fd = Sockets.unixDgramConnect(path);
        try {
            Sockets.setSendTimeout(fd, SEND_TIMEOUT_MS);
        } catch (NativeException e) {
            Fds.closeQuietly(fd);
            throw e;
        }
        return fd;
    }

    @Override
    public synchronized boolean send(byte[] datagram) {
        if (fd < 0 && !reconnect()) {
            return false;
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                return Fds.write(fd, datagram, 0, datagram.length) == datagram.length;
            } catch (NativeException e) {
                int err = e.errno();
                if (attempt > 0 || (err != Errno.ECONNREFUSED && err != Errno.ENOTCONN) || !reconnect()) {
                    return false;
                }
            }
        }
        return false;
    }

    private boolean reconnect() {
        Fds.closeQuietly(fd);
        fd = -1;
        try {
            fd = connect(path);
            return true;
        } catch (NativeException e) {
            return false;
        }
    }

    @Override
    public synchronized void close() {
        Fds.closeQuietly(fd);
        fd = -1;
    }
}
