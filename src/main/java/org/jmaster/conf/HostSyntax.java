package org.jmaster.conf;

/**
 * Syntax checks for host names and numeric addresses, without any lookup: Postfix's
 * {@code valid_hostname()} and {@code valid_hostaddr()}, plus parsing and canonical printing of
 * numeric IPv4/IPv6 addresses (the text {@code inet_ntop()} would print).
 */
final class HostSyntax {

    private HostSyntax() {}

    static final int MAX_HOSTNAME = 255;
    static final int MAX_LABEL = 63;

    /**
     * A syntactically valid host name: dot-separated labels of letters, digits, {@code -} and
     * {@code _}, no label empty or longer than 63 or starting/ending with {@code -}, at most
     * 255 characters, not all digits and dots.
     */
    static boolean isHostname(String name) {
        if (name.isEmpty() || name.length() > MAX_HOSTNAME) {
            return false;
        }
        boolean nonNumeric = false;
        int labelLength = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (labelLength == 0 || i == name.length() - 1) {
                    return false;
                }
                labelLength = 0;
            } else if (isAlnum(c) || c == '_' || c == '-') {
                if (c == '-' && (labelLength == 0 || i + 1 == name.length() || name.charAt(i + 1) == '.')) {
                    return false;
                }
                if (++labelLength > MAX_LABEL) {
                    return false;
                }
                if (!(c >= '0' && c <= '9')) {
                    nonNumeric = true;
                }
            } else {
                return false;
            }
        }
        return nonNumeric;
    }

    /** A numeric IPv4 or IPv6 address. */
    static boolean isAddress(String text) {
        return parseAddress(text) != null;
    }

    /** The 4 or 16 bytes of a numeric address, or null. */
    static byte[] parseAddress(String text) {
        return text.indexOf(':') >= 0 ? parseIpv6(text) : parseIpv4(text);
    }

    /** Dotted quad, four decimal fields 0..255 without leading zeros; null otherwise. */
    static byte[] parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (!Values.isDigits(p) || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
                return null;
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return null;
            }
            out[i] = (byte) v;
        }
        return out;
    }

    /** An IPv6 address in RFC 4291 text form (with optional trailing dotted quad); null otherwise. */
    static byte[] parseIpv6(String text) {
        if (text.isEmpty() || text.length() > 45) {
            return null;
        }
        int dbl = text.indexOf("::");
        if (dbl >= 0 && text.indexOf("::", dbl + 1) >= 0) {
            return null;
        }
        String head = dbl >= 0 ? text.substring(0, dbl) : text;
        String tail = dbl >= 0 ? text.substring(dbl + 2) : "";
        int[] h = groups(head, dbl < 0);
        int[] t = dbl >= 0 ? groups(tail, true) : new int[0];
        if (h == null || t == null) {
            return null;
        }
        int total = h.length + t.length;
        if (dbl < 0 ? total != 8 : total > 7) {
            return null;
        }
        int[] words = new int[8];
        System.arraycopy(h, 0, words, 0, h.length);
        System.arraycopy(t, 0, words, 8 - t.length, t.length);
        byte[] out = new byte[16];
        for (int i = 0; i < 8; i++) {
            out[2 * i] = (byte) (words[i] >> 8);
            out[2 * i + 1] = (byte) words[i];
        }
        return out;
    }

    /** 16-bit groups of one side of "::"; a dotted quad is allowed as the last item. */
    private static int[] groups(String s, boolean quadAllowed) {
        if (s.isEmpty()) {
            return new int[0];
        }
        String[] parts = s.split(":", -1);
        int n = parts.length;
        boolean quad = quadAllowed && parts[n - 1].indexOf('.') >= 0;
        int[] out = new int[quad ? n + 1 : n];
        for (int i = 0; i < n; i++) {
            String p = parts[i];
            if (quad && i == n - 1) {
                byte[] v4 = parseIpv4(p);
                if (v4 == null) {
                    return null;
                }
                out[i] = ((v4[0] & 0xff) << 8) | (v4[1] & 0xff);
                out[i + 1] = ((v4[2] & 0xff) << 8) | (v4[3] & 0xff);
            } else {
                if (p.isEmpty() || p.length() > 4) {
                    return null;
                }
                int v = 0;
                for (int k = 0; k < p.length(); k++) {
                    int d = Character.digit(p.charAt(k), 16);
                    if (d < 0 || p.charAt(k) > 'f') {
                        return null;
                    }
                    v = v * 16 + d;
                }
                out[i] = v;
            }
        }
        return out;
    }

    /** The canonical text of a 4- or 16-byte address, as glibc's inet_ntop prints it. */
    static String format(byte[] addr) {
        if (addr.length == 4) {
            return (addr[0] & 0xff) + "." + (addr[1] & 0xff) + "." + (addr[2] & 0xff) + "." + (addr[3] & 0xff);
        }
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) {
            w[i] = ((addr[2 * i] & 0xff) << 8) | (addr[2 * i + 1] & 0xff);
        }
        int bestBase = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (w[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && w[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestBase = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) {
            bestBase = -1;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
                if (i == bestBase) {
                    sb.append(':');
                }
                continue;
            }
            if (i != 0) {
                sb.append(':');
            }
            if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff))) {
                sb.append(addr[12] & 0xff).append('.').append(addr[13] & 0xff).append('.')
                        .append(addr[14] & 0xff).append('.').append(addr[15] & 0xff);
                return sb.toString();
            }
            sb.append(Integer.toHexString(w[i]));
        }
        if (bestBase >= 0 && bestBase + bestLen == 8) {
            sb.append(':');
        }
        return sb.toString();
    }

    private static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
}
