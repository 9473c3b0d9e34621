package org.jmaster.supervisor.policy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Client addresses as admission control sees them: reduced to a prefix ({@code source_prefix},
 * IPv4 /32 and IPv6 /64 by default, so a client cannot rotate through its own /64), and matched
 * against {@code source_exempt} lists. Immutable helpers.
 */
public final class SourceAddress {
    /** One {@code addr[/bits]} of an exemption list. */
    public record Network(byte[] address, int bits) {
        public boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            return b.length == address.length && samePrefix(b, address, bits);
        }
    }

    private SourceAddress() {}

    /**
     * The key of {@code a} under {@code source_prefix} ({@code ipv4Bits/ipv6Bits}): the masked
     * address and its length, e.g. {@code 192.0.2.0/24}.
     */
    public static String key(InetAddress a, int ipv4Bits, int ipv6Bits) {
        int bits = a instanceof Inet4Address ? ipv4Bits : ipv6Bits;
        byte[] b = a.getAddress().clone();
        mask(b, bits);
        try {
            return InetAddress.getByAddress(b).getHostAddress() + "/" + bits;
        } catch (UnknownHostException impossible) {
            throw new AssertionError(impossible);
        }
    }

    /**
     * The address a numeric literal names ({@code 192.0.2.1}, {@code 2001:db8::1}), or null for
     * anything else ({@code local}). Never asks DNS: IPv4 is parsed here, and the JDK parses a
     * string that starts with a hex digit or a colon and has a colon as an IPv6 literal only.
     */
    public static InetAddress parseLiteral(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        try {
            if (s.indexOf(':') >= 0) {
                // the JDK takes a string that starts like this and has a colon as a literal, or fails
                char c = s.charAt(0);
                return c == ':' || Character.digit(c, 16) >= 0 ? InetAddress.getByName(s) : null;
            }
            String[] parts = s.split("\\.", -1);
            if (parts.length != 4) {
                return null;
            }
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                if (parts[i].isEmpty() || parts[i].length() > 3 || !parts[i].chars().allMatch(c -> c >= '0' && c <= '9')) {
                    return null;
                }
                int v = Integer.parseInt(parts[i]);
                if (v > 255) {
                    return null;
                }
                b[i] = (byte) v;
            }
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    public static List<Network> parseList(List<String> items) {
        List<Network> out = new ArrayList<>();
        for (String item : items) {
            int slash = item.indexOf('/');
            String host = slash < 0 ? item : item.substring(0, slash);
            try {
                byte[] addr = InetAddress.getByName(host.replace("[", "").replace("]", "")).getAddress();
                int bits = slash < 0 ? addr.length * 8 : Integer.parseInt(item.substring(slash + 1));
                out.add(new Network(addr, bits));
            } catch (UnknownHostException | NumberFormatException e) {
                // validated by conf; an unresolvable name simply matches nothing
            }
        }
        return out;
    }

    public static boolean exempt(List<Network> list, InetAddress a) {
        for (Network n : list) {
            if (n.contains(a)) {
                return true;
            }
        }
        return false;
    }

    private static void mask(byte[] b, int bits) {
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, bits - i * 8));
            b[i] &= (byte) (0xff << (8 - keep));
        }
    }

    private static boolean samePrefix(byte[] a, byte[] b, int bits) {
        for (int i = 0; i < a.length && bits > 0; i++, bits -= 8) {
            int m = 0xff << (8 - Math.min(8, bits)) & 0xff;
            if ((a[i] & m) != (b[i] & m)) {
                return false;
            }
        }
        return true;
    }
}
