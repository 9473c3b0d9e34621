package org.jmaster.supervisor;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.jmaster.nativ.Errno;
import org.jmaster.nativ.FdPassing;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.PollSet;
import org.jmaster.nativ.Sockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic wakeup triggers (Postfix's {@code master_wakeup}, protocol doc §6): {@code W NUL} sent to a
 * unix or inet service through its own listener, through a passed pipe for pass services, {@code W}
 * written into a fifo. The first trigger goes out when the service starts (or, for {@code N?}, at its
 * first spawn); triggers are skipped while the service is throttled. Nothing here blocks: connects
 * are non-blocking and a connection that is not writable at once is finished by the loop.
 */
final class Wakeups {
    private static final Logger log = LoggerFactory.getLogger("master");
    private static final byte[] REQUEST = {'W', 0};
    private static final long CONNECT_TIMEOUT_MS = 1000;
    private final Supervisor master;

    Wakeups(Supervisor master) {
        this.master = master;
    }

    /** master_wakeup_init: first trigger now, unless none is configured or it waits for the first spawn. */
    void start(Service s) {
        cancel(s);
        if (s.entry.wakeupSeconds() == 0 || s.conditionalWakeupPending) {
            return;
        }
        switch (s.entry.type()) {
            case UNIX_DGRAM:
                log.warn("master_wakeup_timer_event: service {}: wakeup is not supported for unix-dgram services",
                        s.label());
                return;
            default:
                fire(s);
        }
    }

    void cancel(Service s) {
        if (s.wakeupTimer != null) {
            s.wakeupTimer.cancel();
            s.wakeupTimer = null;
        }
    }

    private void fire(Service s) {
        if (s.removed) {
            return;
        }
        // the next trigger is armed first: nothing that goes wrong with this one may end the series
        s.wakeupTimer = master.loop.schedule(s.entry.wakeupSeconds() * 1000L, () -> fire(s));
        if (!s.throttle.throttled()) {
            try {
                send(s);
                s.wakeupsSent++;
            } catch (NativeException e) {
                log.warn("master_wakeup_timer_event: service {}: {}", s.label(), e.strerror());
            } catch (RuntimeException e) {
                // pipe2 without a descriptor left (EMFILE, ENFILE)
                log.warn("master_wakeup_timer_event: service {}: {}", s.label(), Failure.describe(e));
            }
        }
    }

    private void send(Service s) throws NativeException {
        String path = master.settings.queueDirectory().resolve(s.entry.name()).toString();
        switch (s.entry.type()) {
            case FIFO: {
                int fd = Fds.open(path, Fds.O_WRONLY | Fds.O_NONBLOCK | Fds.O_NOFOLLOW, 0);
                try {
                    Fds.write(fd, REQUEST, 0, 1);
                } finally {
                    Fds.closeQuietly(fd);
                }
                break;
            }
            case UNIX:
                finish(Sockets.connectUnixNoWait(path), false);
                break;
            case PASS: {
                int sock = Sockets.connectUnixNoWait(path);
                int[] pipe = {-1, -1};
                try {
                    pipe = Fds.pipe(false);
                    FdPassing.sendFd(sock, pipe[0], new byte[] {0});
                    Fds.write(pipe[1], REQUEST, 0, REQUEST.length);
                } finally {
                    Fds.closeQuietly(pipe[0]);
                    Fds.closeQuietly(pipe[1]);
                    Fds.closeQuietly(sock);
                }
                break;
            }
            case INET:
                finish(Sockets.connectInetNoWait(triggerAddress(s), s.entry.inetPort()), true);
                break;
            default:
                break;
        }
    }

    /** Writes the request once the connection is up; the loop finishes connects still in progress. */
    private void finish(int fd, boolean mayBeInProgress) throws NativeException {
        if (!mayBeInProgress) {
            writeAndClose(fd);
            return;
        }
        EventLoop.Timer timeout = master.loop.schedule(CONNECT_TIMEOUT_MS, () -> {
            master.loop.unwatch(fd);
            Fds.closeQuietly(fd);
            log.warn("master_wakeup_timer_event: connect timeout");
        });
        master.loop.watchWrite(fd, (f, rev) -> {
            timeout.cancel();
            master.loop.unwatch(f);
            int err = Sockets.socketError(f);
            if (err != 0 || (rev & (PollSet.POLLERR | PollSet.POLLHUP)) != 0) {
                Fds.closeQuietly(f);
                log.warn("master_wakeup_timer_event: connect: {}", Errno.strerror(err));
                return;
            }
            try {
                writeAndClose(f);
            } catch (NativeException e) {
                log.warn("master_wakeup_timer_event: {}", e.strerror());
            }
        });
    }

    private static void writeAndClose(int fd) throws NativeException {
        try {
            Fds.write(fd, REQUEST, 0, REQUEST.length);
        } finally {
            Fds.closeQuietly(fd);
        }
    }

    /** The service's own address, with a wildcard replaced by the loopback address of its family. */
    private static InetAddress triggerAddress(Service s) {
        InetAddress a = s.addresses.get(0);
        if (!a.isAnyLocalAddress()) {
            return a;
        }
        try {
            return a instanceof Inet4Address ? InetAddress.getByAddress(new byte[] {127, 0, 0, 1})
                    : InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        } catch (UnknownHostException impossible) {
            throw new AssertionError(impossible);
        }
    }
}
