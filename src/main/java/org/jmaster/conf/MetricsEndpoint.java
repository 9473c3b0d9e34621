package org.jmaster.conf;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * {@code master_metrics_listen}: empty (no endpoint), {@code unix:/path}, or {@code host:port} on a
 * loopback address (the endpoint has no authentication, so nothing else is accepted). Checked when
 * main.cf is loaded, so {@code --check}, start and reload refuse the same values with the same words;
 * the metrics server opens what this returns.
 *
 * @param unixPath the socket path of {@code unix:/path}, or null
 * @param address  the loopback address of {@code host:port}, or null
 * @param port     the TCP port, or -1
 */
public record MetricsEndpoint(String unixPath, InetAddress address, int port) {
    static final String NAME = "master_metrics_listen";

    /** The endpoint {@code value} names, empty when it is empty; else the reason, in an exception. */
    public static Optional<MetricsEndpoint> parse(String value) throws IllegalArgumentException {
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (value.startsWith("unix:")) {
            String path = value.substring(5);
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException(NAME + ": expected unix:/absolute/path, not \"" + value + "\"");
            }
            return Optional.of(new MetricsEndpoint(path, null, -1));
        }
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(NAME + ": expected host:port or unix:/path, not \"" + value + "\"");
        }
        String host = value.substring(0, colon).replace("[", "").replace("]", "");
        String portText = value.substring(colon + 1);
        if (!portText.matches("\\d{1,5}") || Integer.parseInt(portText) > 65535) {
            throw new IllegalArgumentException(NAME + ": bad port in \"" + value + "\"");
        }
        InetAddress addr;
        try {
            addr = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(NAME + ": unknown host \"" + host + "\" in \"" + value + "\"");
        }
        if (!addr.isLoopbackAddress()) {
            throw new IllegalArgumentException(NAME + ": \"" + value + "\" is not a loopback address;"
                    + " metrics are not authenticated");
        }
        return Optional.of(new MetricsEndpoint(null, addr, Integer.parseInt(portText)));
    }
}
