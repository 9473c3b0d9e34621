package org.jmaster.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.jmaster.conf.MetricsEndpoint;
import org.jmaster.nativ.Sockets;
import org.jmaster.nativ.PrivateListener;
import org.jmaster.supervisor.Supervisor;

/**
 * The OpenMetrics endpoint named by {@code master_metrics_listen}: {@code host:port} on a loopback
 * address, or {@code unix:/path}. Any HTTP request gets the current metrics (HTTP/1.0, then close).
 * Off when the parameter is empty. Served by the master's event loop ({@link OneShotServer}: at most
 * 64 connections, fixed buffers, paused on a full descriptor table).
 *
 * <p>The loopback TCP endpoint is open to every local user (the kernel records no credentials for
 * TCP peers): it tells only counts and service names, never pids or commands. The unix-domain
 * endpoint is treated as privileged, exactly as the control socket: mode 0600 (0660 with
 * {@code master_control_group}) from the moment it exists, and the same {@link PeerRule}.
 */
public final class MetricsServer {
    private final OneShotServer server;

    private MetricsServer(OneShotServer server) {
        this.server = server;
    }

    /** Opens the endpoint; {@code group} is {@code master_control_group} (may be empty). */
    public static MetricsServer open(Supervisor master, String listen, String group) throws IOException {
        MetricsEndpoint endpoint;
        try {
            endpoint = MetricsEndpoint.parse(listen).orElseThrow(() -> new IllegalArgumentException("empty"));
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
        int fd;
        PeerRule peers = null;
        if (endpoint.unixPath() != null) {
            peers = PeerRule.forGroup(group);
            fd = PrivateListener.listen(endpoint.unixPath(), OneShotServer.BACKLOG, peers.mode(), peers.gid());
        } else {
            fd = Sockets.inetListen(endpoint.address(), endpoint.port(), OneShotServer.BACKLOG, 0);
        }
        return new MetricsServer(new OneShotServer(master.loop(), "metrics", fd, "\r\n\r\n", peers,
                req -> respond(master, req)));
    }

    private static byte[] respond(Supervisor master, String request) {
        byte[] body = Metrics.render(master.snapshot()).getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.0 200 OK\r\n"
                + "Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        if (request.startsWith("HEAD ")) {
            return h;
        }
        byte[] out = new byte[h.length + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }

    public void close() {
        server.close();
    }
}
