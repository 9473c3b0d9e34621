package org.jmaster.supervisor;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.WeakHashMap;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.PeerAddress;
import org.jmaster.nativ.Sockets;
import org.jmaster.supervisor.policy.Admission;
import org.jmaster.supervisor.policy.Listening;
import org.jmaster.supervisor.policy.SourceAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connections the master accepts itself: accept mode ({@code -M protocol=inetd}, one child per
 * connection, subject to the process limit and admission control) and the answering throttle
 * ({@code -M throttle_reply}, for any service while it is throttled). A refused connection gets the
 * configured one-line reply and then lingers until the client has read it ({@link Linger}), or gets
 * none and is closed at once; nothing here blocks. When accept fails
 * (a full descriptor table: EMFILE, ENFILE), the listener is paused for {@link #PAUSE_MS} instead of
 * being polled again at once, and the warning is logged at most once per {@link #LOG_INTERVAL_MS}
 * per service. Owned by the loop.
 */
final class Acceptor {
    private static final Logger log = LoggerFactory.getLogger("master");
    /** Connections taken per readiness event, so one busy listener cannot starve the loop. */
    private static final int BATCH = 32;
    /** How long a listener whose accept failed is left unpolled. */
    static final long PAUSE_MS = 100;
    static final long LOG_INTERVAL_MS = 10_000;
    private final Supervisor master;
    private final Map<Service, LogLimit> acceptWarnings = new WeakHashMap<>();
    private final Linger linger;

    Acceptor(Supervisor master) {
        this.master = master;
        this.linger = new Linger(master.loop);
    }

    /** The listener {@code fd} of {@code s} is readable and the policy said to act on it. */
    void ready(Service s, int fd) {
        for (int i = 0; i < BATCH && s.listening; i++) {
            int conn;
            try {
                conn = Sockets.accept(fd);
            } catch (NativeException e) {
                acceptFailed(s, fd, e);
                return;
            }
            if (conn < 0) {
                return;
            }
            handle(s, conn);
        }
    }

    private void handle(Service s, int conn) {
        PeerAddress peer = peerOf(conn);
        InetAddress from = peer != null && !peer.isUnix() ? peer.address() : null;
        String who = peer == null || peer.isUnix() ? "local client" : peer.toString();
        if (s.throttle.throttled()) {
            refuse(s, conn, who, from, "throttled", s.settings.throttleReply().orElse(null));
            return;
        }
        if (s.protocol != ChildProtocol.INETD) {
            // a service whose children accept themselves never has the master accept for it unthrottled
            Fds.closeQuietly(conn);
            return;
        }
        if (!Listening.mayStart(s.listeningState(master.shuttingDown))) {
            refuse(s, conn, who, from, "limit", s.settings.refuseReply().orElse(null));
            return;
        }
        Admission.Verdict v = master.admission.admit(s.admission, s.rate, from, master.loop.nanoTime());
        if (!v.admitted()) {
            refuse(s, conn, who, from, v.refusal(), s.settings.refuseReply().orElse(null));
            return;
        }
        Fds.setNonBlocking(conn, false);
        int before = s.totalProc();
        master.availability.spawnContained(s, () -> master.spawner.spawnConnection(s, conn, peer, v.key()));
        if (s.totalProc() == before) {
            // no child took the client: it no longer counts against its source
            master.admission.release(v.key());
        }
        Fds.closeQuietly(conn);
    }

    /**
     * Accept failed, most likely because the descriptor table is full: pause the listener briefly
     * (the connection waits in the backlog) rather than spin on a listener that stays readable.
     */
    private void acceptFailed(Service s, int fd, NativeException e) {
        master.loop.pause(fd, PAUSE_MS);
        // the summary names the service by its label, not the service itself, so the weak key can go
        String label = s.label();
        LogLimit limit = acceptWarnings.computeIfAbsent(s, k -> new LogLimit(master.loop, LOG_INTERVAL_MS,
                n -> log.warn("service {}: accept failed {} more time(s) in the last {}s", label, n,
                        LOG_INTERVAL_MS / 1000)));
        if (limit.allow()) {
            log.warn("service {}: accept: {}; pausing the listener for {}ms", s.label(), e.strerror(), PAUSE_MS);
        }
    }

    private void refuse(Service s, int conn, String who, InetAddress from, String reason, String reply) {
        s.refusals.merge(reason, 1L, Long::sum);
        master.events.emit(refusalCode(reason), s, 0, "source", from == null ? "local"
                : SourceAddress.key(from, s.admission.ipv4Bits(), s.admission.ipv6Bits()), "reply", reply != null);
        if (master.admission.logDue(s.admission, from, master.loop.currentTimeMillis())) {
            log.info("refused connection from {} to service {}: {}", who, s.label(), reason);
        }
        if (reply != null) {
            byte[] line = (reply + "\r\n").getBytes(StandardCharsets.UTF_8);
            // a fresh connection's send buffer is empty: one line always fits, and we never wait
            if (Fds.writeQuietly(conn, line)) {
                // not closed at once: unread input would turn the close into a reset that loses the reply
                linger.close(conn);
                return;
            }
        }
        Fds.closeQuietly(conn);
    }

    private static Events.Code refusalCode(String reason) {
        switch (reason) {
            case "throttled":
                return Events.Code.REFUSE_THROTTLED;
            case "limit":
                return Events.Code.REFUSE_LIMIT;
            case "per_source":
                return Events.Code.REFUSE_PER_SOURCE;
            case "source_rate":
                return Events.Code.REFUSE_SOURCE_RATE;
            case "rate":
                return Events.Code.REFUSE_RATE;
            default:
                throw new IllegalArgumentException("refusal reason " + reason);
        }
    }

    private static PeerAddress peerOf(int conn) {
        try {
            return Sockets.getpeername(conn);
        } catch (IOException e) {
            return null;
        }
    }
}
