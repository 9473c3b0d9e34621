package org.jmaster.cli;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jmaster.log.LogSink;
import org.jmaster.log.MasterLog;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.PollSet;
import org.jmaster.net.SocketActivation;

/**
 * Binary upgrade, the new master's side (the old master's is
 * {@link org.jmaster.supervisor.Upgrade}): takes the descriptors the old master handed over
 * ({@code JMASTER_UPGRADE_FDS}, named by {@code JMASTER_UPGRADE_FDNAMES}) before anything else
 * opens one, reports every {@code fatal:} line on the handshake socket (so that the old master can
 * say why the upgrade failed), says {@code ready} once everything is open, and waits for
 * {@code go} before it takes the pid file, the control socket and the service manager's
 * {@code MAINPID}. A master re-executed in place (PID 1) has no handshake: it is the master at once.
 */
final class Handover {
    static final String HANDSHAKE = "jmaster.handshake";
    static final String PID_LOCK = "jmaster.pid";
    static final String DATA_LOCK = "jmaster.lock";
    static final String CONTROL = "jmaster.control";
    static final String METRICS = "jmaster.metrics";
    /** How long the new master waits for {@code go} after {@code ready}; the old one answers at once. */
    private static final int GO_TIMEOUT_MS = 60_000;
    /** How the log writes a fatal line's text (Postfix's msg_fatal). */
    private static final String FATAL = "fatal: ";

    private final long previousPid;
    private final long generation;
    private final boolean inPlace;
    private final int[] retiring;
    private final SocketActivation pool;
    private int handshake;
    private LogSink tap;

    private Handover(long previousPid, long generation, boolean inPlace, int[] retiring, SocketActivation pool,
                     int handshake) {
        this.previousPid = previousPid;
        this.generation = generation;
        this.inPlace = inPlace;
        this.retiring = retiring;
        this.pool = pool;
        this.handshake = handshake;
    }

    /** The hand-over this process was started for, or null when it was not started by an upgrade. */
    static Handover fromEnvironment(Map<String, String> env) {
        String pid = env.get("JMASTER_UPGRADE_PID");
        String fdList = env.get("JMASTER_UPGRADE_FDS");
        if (pid == null || fdList == null) {
            return null;
        }
        long previous;
        long generation;
        try {
            previous = Long.parseLong(pid);
            generation = Long.parseLong(env.getOrDefault("JMASTER_UPGRADE_GENERATION", "2"));
        } catch (NumberFormatException e) {
            return null;
        }
        String[] names = env.getOrDefault("JMASTER_UPGRADE_FDNAMES", "").split(" ", -1);
        for (int i = 0; i < names.length; i++) {
            names[i] = names[i].replace("%20", " ").replace("%25", "%");
        }
        String[] numbers = fdList.isEmpty() ? new String[0] : fdList.split(":");
        List<Integer> fds = new ArrayList<>();
        List<String> fdNames = new ArrayList<>();
        int handshake = -1;
        for (int i = 0; i < numbers.length; i++) {
            int fd;
            try {
                fd = Integer.parseInt(numbers[i]);
            } catch (NumberFormatException e) {
                continue;
            }
            String name = i < names.length ? names[i] : "";
            if (name.equals(HANDSHAKE)) {
                handshake = Fds.dupAbove(fd, 16);
                Fds.closeQuietly(fd);
            } else {
                fds.add(fd);
                fdNames.add(name);
            }
        }
        boolean inPlace = previous == ProcessHandle.current().pid();
        List<Integer> old = new ArrayList<>();
        for (String p : env.getOrDefault("JMASTER_UPGRADE_RETIRING", "").split(":")) {
            if (p.matches("\\d{1,9}")) {
                old.add(Integer.parseInt(p));
            }
        }
        SocketActivation pool = SocketActivation.adopt(fds.stream().mapToInt(Integer::intValue).toArray(),
                fdNames.toArray(new String[0]));
        Handover h = new Handover(previous, generation, inPlace, old.stream().mapToInt(Integer::intValue).toArray(),
                pool, handshake);
        if (handshake >= 0) {
            h.reportFatalLines();
        }
        return h;
    }

    long previousPid() {
        return previousPid;
    }

    long generation() {
        return generation;
    }

    boolean inPlace() {
        return inPlace;
    }

    /** In place: the old program's children, still running, for the supervisor to see off. */
    int[] retiring() {
        return retiring;
    }

    /** The listeners of the old master's services, matched to ours as passed listeners are. */
    SocketActivation listeners() {
        return pool;
    }

    /** The descriptor named {@code name}, or -1. */
    int take(String name) {
        return pool.takeNamed(name);
    }

    /**
     * The old master's listener of {@code what} ({@link #CONTROL}, {@link #METRICS}) when it listened
     * where this master's configuration says ({@code where}: its path or address), else -1 (and a
     * passed one is closed: this master opens its own).
     */
    int take(String what, String where) {
        int fd = pool.takeNamed(what + "=" + where);
        int other;
        while ((other = pool.takeNamedPrefix(what + "=")) >= 0) {
            Fds.closeQuietly(other);
        }
        return fd;
    }

    /** Every {@code fatal:} line goes to the old master too, which logs it as the reason of the failure. */
    private void reportFatalLines() {
        tap = (severity, tag, pid, text) -> {
            if (text.startsWith(FATAL) && handshake >= 0) {
                String reason = text.substring(FATAL.length()).replace('\n', ' ');
                Fds.writeQuietly(handshake, ("failed " + reason + "\n").getBytes(StandardCharsets.UTF_8));
            }
        };
        MasterLog.observe(tap);
    }

    /**
     * Everything is open: says {@code ready} and waits for {@code go}. True when this master is to
     * serve (also when the old master went away without a word: then no one else holds the
     * listeners); false when it did not answer in time.
     */
    boolean awaitGo() {
        if (handshake < 0) {
            return true;
        }
        try {
            if (!Fds.writeQuietly(handshake, ("ready " + ProcessHandle.current().pid() + "\n")
                    .getBytes(StandardCharsets.US_ASCII))) {
                return true; // the old master is gone
            }
            if (!PollSet.waitReadable(handshake, GO_TIMEOUT_MS)) {
                return false;
            }
            byte[] b = new byte[16];
            try {
                Fds.read(handshake, b, 0, b.length);
            } catch (NativeException e) {
                // a reset: the old master is gone
            }
            return true;
        } finally {
            stopReporting();
        }
    }

    private void stopReporting() {
        if (tap != null) {
            MasterLog.unobserve(tap);
            tap = null;
        }
        Fds.closeQuietly(handshake);
        handshake = -1;
    }
}
