package org.jmaster.supervisor;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import org.jmaster.nativ.PeerAddress;
import org.jmaster.nativ.Posix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connections the master accepts itself: accept mode ({@code -M protocol=inetd}, one child per
 * connection, subject to the process limit and admission control) and the answering throttle
 * ({@code -M throttle_reply}, for any service while it is throttled). A refused connection gets the
 * configured one-line reply, or none, and is closed at once; nothing here blocks. Owned by the loop.
 */
final class Acceptor {
    private static final Logger log = LoggerFactory.getLogger("master");
    /** Connections taken per readiness event, so one busy listener cannot starve the loop. */
    private static final int BATCH = 32;
    private final Supervisor master;

    Acceptor(Supervisor master) {
        this.master = master;
    }

    /** The listener {@code fd} of {@code s} is readable and the policy said to act on it. */
    void ready(Service s, int fd) {
        for (int i = 0; i < BATCH && s.listening; i++) {
            int conn;
            try {
                conn = Posix.accept(fd);
            } catch (IOException e) {
                log.warn("service {}: accept: {}", s.label(), e.getMessage());
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
        if (s.throttled) {
            refuse(s, conn, who, from, "throttled", s.throttleReply().orElse(null));
            return;
        }
        if (!s.acceptMode()) {
            // a Postfix-protocol service that is not throttled never has the master accept for it
            Posix.closeQuietly(conn);
            return;
        }
        if (!s.limitOk(s.totalProc)) {
            refuse(s, conn, who, from, "limit", s.refuseReply().orElse(null));
            return;
        }
        Child.Source source = new Child.Source();
        String reason = master.admission.admit(s, from, source);
        if (reason != null) {
            refuse(s, conn, who, from, reason, s.refuseReply().orElse(null));
            return;
        }
        Posix.setNonBlocking(conn, false);
        master.spawner.spawnConnection(s, conn, peer, source);
        Posix.closeQuietly(conn);
    }

    private void refuse(Service s, int conn, String who, InetAddress from, String reason, String reply) {
        s.refusals.merge(reason, 1L, Long::sum);
        master.admission.logRefusal(s, who, from == null ? "local" : from.getHostAddress(), reason);
        if (reply != null) {
            byte[] line = (reply + "\r\n").getBytes(StandardCharsets.UTF_8);
            // a fresh connection's send buffer is empty: one line always fits, and we never wait
            Posix.writeQuietly(conn, line);
        }
        Posix.closeQuietly(conn);
    }

    private static PeerAddress peerOf(int conn) {
        try {
            return Posix.getpeername(conn);
        } catch (IOException e) {
            return null;
        }
    }
}
