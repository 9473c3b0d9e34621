package org.jmaster.conf;

import java.util.OptionalInt;

/**
 * The service name (field 1) of an inet master.cf entry, split and checked like Postfix's
 * {@code host_port(buf, &host, "", &port, NULL)} (protocol doc §1.4), with the port resolved
 * and the canonical name of §1.3 built.
 *
 * @param host       the host without brackets or {@code ipv6:} prefix, or null for none
 * @param address    the host's bytes when it is a numeric address, else null
 * @param port       the numeric port
 * @param canonical  {@code 25}, {@code [127.0.0.1]:25}, {@code [::1]:25} or {@code [host]:25}
 */
record InetName(String host, byte[] address, int port, String canonical) {

    /** Result of {@link #parse}: the name, or an error text. */
    record Parsed(InetName name, String error) {}

    static Parsed parse(String text, TcpPorts ports) {
        String host;
        String port;
        if (text.startsWith("[")) {
            String rest = text.substring(1);
            boolean ipv6 = rest.regionMatches(true, 0, "ipv6:", 0, 5);
            if (ipv6) {
                rest = rest.substring(5);
            }
            int close = rest.indexOf(']');
            if (close < 0) {
                return fail("missing \"]\"", text);
            }
            host = rest.substring(0, close);
            String after = rest.substring(close + 1);
            if (!after.isEmpty() && after.charAt(0) != ':') {
                return fail("garbage after \"]\"", text);
            }
            if (ipv6 && HostSyntax.parseIpv6(host) == null) {
                return fail("malformed IPv6 address", text);
            }
            if (host.isEmpty()) {
                return fail("missing host information", text);
            }
            port = after.length() > 1 ? after.substring(1) : null;
        } else {
            int colon = text.lastIndexOf(':');
            if (colon >= 0) {
                host = colon == 0 ? null : text.substring(0, colon);
                port = colon == text.length() - 1 ? null : text.substring(colon + 1);
            } else {
                host = null;
                port = text;
            }
        }
        if (port == null) {
            return fail("missing service information", text);
        }
        if (host != null && !HostSyntax.isHostname(host) && !HostSyntax.isAddress(host)) {
            return fail("valid hostname or network address required", text);
        }
        if (port.charAt(0) >= '0' && port.charAt(0) <= '9' && !Values.isDigits(port)) {
            return fail("garbage after numerical service", text);
        }
        OptionalInt number = ports.resolve(port);
        if (number.isEmpty()) {
            return Values.isDigits(port)
                    ? fail("bad port number: \"" + port + "\"", text)
                    : fail("unknown service: \"" + port + "\"", text);
        }
        byte[] address = host == null ? null : HostSyntax.parseAddress(host);
        String canonical;
        if (host == null) {
            canonical = Integer.toString(number.getAsInt());
        } else if (address != null) {
            canonical = "[" + HostSyntax.format(address) + "]:" + number.getAsInt();
        } else {
            canonical = "[" + host + "]:" + number.getAsInt();
        }
        return new Parsed(new InetName(host, address, number.getAsInt(), canonical), null);
    }

    private static Parsed fail(String problem, String text) {
        return new Parsed(null, problem + " in \"" + text + "\"");
    }
}
