package org.jmaster.control;

import java.nio.charset.StandardCharsets;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Sockets;
import org.jmaster.supervisor.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service manager's notification protocol (systemd's {@code sd_notify}): when
 * {@code NOTIFY_SOCKET} is set, datagrams such as {@code READY=1}, {@code RELOADING=1} with
 * {@code MONOTONIC_USEC}, {@code STOPPING=1} and {@code STATUS=...} go to it, and
 * {@code WATCHDOG=1} every half {@code WATCHDOG_USEC} when the manager asks for a watchdog (and
 * {@code WATCHDOG_PID}, when set, is ours). Sending never blocks; a lost datagram is logged.
 */
public final class Notifier {
    private static final Logger log = LoggerFactory.getLogger("master");
    private final int fd;
    private boolean watchdogStopped;

    private Notifier(int fd) {
        this.fd = fd;
    }

    /** A notifier for {@code NOTIFY_SOCKET}, or one that does nothing when it is not set. */
    public static Notifier fromEnvironment() {
        String path = System.getenv("NOTIFY_SOCKET");
        if (path == null || path.isEmpty()) {
            return new Notifier(-1);
        }
        try {
            int fd = Sockets.unixDgramConnect(path);
            Fds.setNonBlocking(fd, true);
            return new Notifier(fd);
        } catch (NativeException e) {
            log.warn("NOTIFY_SOCKET {}: {}", path, e.strerror());
            return new Notifier(-1);
        }
    }

    public boolean enabled() {
        return fd >= 0;
    }

    public void ready(String status) {
        send("READY=1\nSTATUS=" + status);
    }

    public void reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1000);
    }

    public void stopping() {
        send("STOPPING=1");
    }

    public void status(String status) {
        send("STATUS=" + status);
    }

    /**
     * An upgrade handed over to the master {@code pid}: it is the service's main process from now on
     * (sent by the old main process, so {@code NotifyAccess=main} accepts it), and this process sends
     * no more watchdog pings.
     */
    public void mainPid(long pid) {
        send("MAINPID=" + pid + "\nSTATUS=upgraded: master pid " + pid);
        watchdogStopped = true;
    }

    /** Arms {@code WATCHDOG=1} pings when the manager asked for them. */
    public void startWatchdog(EventLoop loop) {
        String usec = System.getenv("WATCHDOG_USEC");
        String pid = System.getenv("WATCHDOG_PID");
        if (!enabled() || usec == null || (pid != null && !pid.equals(Long.toString(ProcessHandle.current().pid())))) {
            return;
        }
        long intervalMs;
        try {
            intervalMs = Math.max(1, Long.parseLong(usec) / 2000);
        } catch (NumberFormatException e) {
            log.warn("WATCHDOG_USEC: bad value \"{}\"", usec);
            return;
        }
        ping(loop, intervalMs);
    }

    private void ping(EventLoop loop, long intervalMs) {
        if (watchdogStopped) {
            return;
        }
        send("WATCHDOG=1");
        loop.schedule(intervalMs, () -> ping(loop, intervalMs));
    }

    private void send(String message) {
        if (fd < 0) {
            return;
        }
        byte[] b = message.getBytes(StandardCharsets.UTF_8);
        try {
            if (Fds.write(fd, b, 0, b.length) < 0) {
                log.warn("NOTIFY_SOCKET: dropped \"{}\": the service manager is not reading", message.split("\n")[0]);
            }
        } catch (NativeException e) {
            log.warn("NOTIFY_SOCKET: {}", e.strerror());
        }
    }
}
