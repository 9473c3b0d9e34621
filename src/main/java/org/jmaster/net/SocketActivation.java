package org.jmaster.net;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.Inodes;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.PeerAddress;
import org.jmaster.nativ.Sockets;

/**
 * Listeners handed over by a service manager (systemd's {@code LISTEN_FDS} protocol): when
 * {@code LISTEN_PID} is this process, descriptors 3 … 3+N−1 are taken over (moved above the child
 * plan's numbers and made close-on-exec), and each service's listener is adopted instead of opened
 * when one matches its endpoint — by address and port, by unix path, or by its name in
 * {@code LISTEN_FDNAMES}. An upgrade hands its listeners over the same way ({@link #adopt}), and
 * also its fifos and unix-dgram sockets, matched by the file or path they are. Used by the loop
 * thread at start-up only.
 */
public final class SocketActivation {
    /** One passed descriptor; {@code local} is null for a non-socket, {@code stat} null for a socket of systemd's. */
    record Passed(int fd, String name, PeerAddress local, Inodes.Stat stat) {}

    private static final int FIRST_FD = 3;
    private final List<Passed> pool;

    private SocketActivation(List<Passed> pool) {
        this.pool = pool;
    }

    /** Reads the protocol's variables; an empty pool when they are absent or meant for another process. */
    public static SocketActivation fromEnvironment(Map<String, String> env) {
        List<Passed> pool = new ArrayList<>();
        String pid = env.get("LISTEN_PID");
        String fds = env.get("LISTEN_FDS");
        if (pid == null || fds == null || !pid.equals(Long.toString(ProcessHandle.current().pid()))) {
            return new SocketActivation(pool);
        }
        int n;
        try {
            n = Integer.parseInt(fds);
        } catch (NumberFormatException e) {
            return new SocketActivation(pool);
        }
        String[] names = env.getOrDefault("LISTEN_FDNAMES", "").split(":", -1);
        for (int i = 0; i < n; i++) {
            if (!isSocket(FIRST_FD + i)) {
                // not what the protocol promised (a stale LISTEN_* environment?): leave it alone
                continue;
            }
            int fd = Fds.dupAbove(FIRST_FD + i, 16);
            Fds.closeQuietly(FIRST_FD + i);
            Fds.setNonBlocking(fd, true);
            PeerAddress local;
            try {
                local = Sockets.getsockname(fd);
            } catch (NativeException e) {
                local = null;
            }
            pool.add(new Passed(fd, i < names.length ? names[i] : "", local, null));
        }
        return new SocketActivation(pool);
    }

    /**
     * The descriptors an upgrade handed over ({@code fds[i]} named {@code names[i]}; an empty name
     * for a service's listener): each is moved above the child plan's numbers and made
     * close-on-exec. Named ones are taken with {@link #takeNamed}, listeners as systemd's are, and
     * fifos by the file they are.
     */
    public static SocketActivation adopt(int[] fds, String[] names) {
        List<Passed> pool = new ArrayList<>();
        for (int i = 0; i < fds.length; i++) {
            Inodes.Stat st;
            try {
                st = Inodes.fstat(fds[i]);
            } catch (NativeException e) {
                continue; // not open: nothing to adopt
            }
            int fd = Fds.dupAbove(fds[i], 16);
            Fds.closeQuietly(fds[i]);
            PeerAddress local = null;
            if (st.isSocket()) {
                try {
                    local = Sockets.getsockname(fd);
                } catch (NativeException e) {
                    local = null;
                }
            }
            pool.add(new Passed(fd, i < names.length ? names[i] : "", local, st));
        }
        return new SocketActivation(pool);
    }

    /** Takes the descriptor named {@code name} (an upgrade's lock files, control socket, ...); -1 when none. */
    public int takeNamed(String name) {
        for (Iterator<Passed> it = pool.iterator(); it.hasNext();) {
            Passed p = it.next();
            if (p.name().equals(name)) {
                it.remove();
                return p.fd();
            }
        }
        return -1;
    }

    /** Takes the first descriptor whose name starts with {@code prefix}; -1 when none. */
    public int takeNamedPrefix(String prefix) {
        for (Iterator<Passed> it = pool.iterator(); it.hasNext();) {
            Passed p = it.next();
            if (p.name().startsWith(prefix)) {
                it.remove();
                return p.fd();
            }
        }
        return -1;
    }

    /** What a local listener must be to be adopted. */
    enum Kind { STREAM, DGRAM, FIFO }

    /**
     * Takes the listener an upgrade named {@code <type>@<endpoint>} ({@code unix@private/cleanup}),
     * if it is of {@code kind}; -1 when none. Unix sockets are matched by this name rather than by
     * their address: the master binds them through a directory descriptor, so their address says
     * {@code /proc/self/fd/N/name}.
     */
    int takeListener(String name, Kind kind) {
        for (Iterator<Passed> it = pool.iterator(); it.hasNext();) {
            Passed p = it.next();
            if (!p.name().equals(name) || p.stat() == null) {
                continue;
            }
            boolean fits = switch (kind) {
                case STREAM -> p.stat().isSocket() && Sockets.isStream(p.fd());
                case DGRAM -> p.stat().isSocket() && !Sockets.isStream(p.fd());
                case FIFO -> p.stat().isFifo();
            };
            if (fits) {
                it.remove();
                return p.fd();
            }
        }
        return -1;
    }

    /** Takes a passed unix-dgram socket bound to {@code path}; -1 when none. */
    int takeUnixDgram(Path path) {
        for (Iterator<Passed> it = pool.iterator(); it.hasNext();) {
            Passed p = it.next();
            if (p.local() != null && p.local().isUnix() && p.local().path() != null
                    && Path.of(p.local().path()).equals(path) && !Sockets.isStream(p.fd())) {
                it.remove();
                return p.fd();
            }
        }
        return -1;
    }

    /** Takes a passed fifo that is the file at {@code path} (same device and inode); -1 when none. */
    int takeFifo(Path path) {
        Inodes.Stat there;
        try {
            there = Inodes.lstat(path.toString());
        } catch (NativeException e) {
            return -1;
        }
        for (Iterator<Passed> it = pool.iterator(); it.hasNext();) {
            Passed p = it.next();
            if (p.stat() != null && p.stat().isFifo() && p.stat().dev() == there.dev()
                    && p.stat().ino() == there.ino()) {
                it.remove();
                return p.fd();
            }
        }
        return -1;
    }

    private static boolean isSocket(int fd) {
        try {
            return Inodes.fstat(fd).isSocket();
        } catch (NativeException e) {
            return false;
        }
    }

    public boolean isEmpty() {
        return pool.isEmpty();
    }

    /** Takes a passed inet listener for {@code addr:port} or named {@code name}; -1 when none. */
    int takeInet(InetAddress addr, int port, String name) {
        for (Iterator<Passed> it = pool.iterator(); it.hasNext();) {
            Passed p = it.next();
            boolean byAddress = p.local() != null && !p.local().isUnix() && p.local().port() == port
                    && p.local().address().equals(addr);
            if (byAddress || (!name.isEmpty() && name.equals(p.name()) && p.local() != null && !p.local().isUnix())) {
                it.remove();
                return p.fd();
            }
        }
        return -1;
    }

    /** Takes a passed unix listener bound to {@code path} or named {@code name}; -1 when none. */
    int takeUnix(Path path, String name) {
        for (Iterator<Passed> it = pool.iterator(); it.hasNext();) {
            Passed p = it.next();
            boolean byPath = p.local() != null && p.local().isUnix() && p.local().path() != null
                    && Path.of(p.local().path()).equals(path) && Sockets.isStream(p.fd());
            if (byPath || (!name.isEmpty() && name.equals(p.name()))) {
                it.remove();
                return p.fd();
            }
        }
        return -1;
    }

    /** Closes what no service claimed; returns a description of each for the log. */
    public List<String> closeUnclaimed() {
        List<String> out = new ArrayList<>();
        for (Passed p : pool) {
            out.add((p.name().isEmpty() ? "" : p.name() + " ") + (p.local() == null ? "fd " + p.fd() : p.local()));
            Fds.closeQuietly(p.fd());
        }
        pool.clear();
        return out;
    }
}
