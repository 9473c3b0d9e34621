package org.jmaster.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns an inet service's host part, {@code inet_interfaces} and {@code inet_protocols} into the
 * ordered list of addresses it listens on (protocol doc §1.4): IPv4 before IPv6, then by address
 * bytes, duplicates removed. The order is the order of the child's listen descriptors 6, 7, ...
 */
public final class AddressResolver {
    /** A name or setting that yields no usable address; the text is Postfix's. */
    public static final class ResolveException extends Exception {
        public ResolveException(String message) {
            super(message);
        }
    }

    private final boolean ipv4;
    private final boolean ipv6;

    private AddressResolver(boolean ipv4, boolean ipv6) {
        this.ipv4 = ipv4;
        this.ipv6 = ipv6;
    }

    /** Reads {@code inet_protocols}: {@code all}, or a list of {@code ipv4} and {@code ipv6}. */
    public static AddressResolver forProtocols(List<String> inetProtocols) throws ResolveException {
        boolean v4 = false, v6 = false;
        for (String p : inetProtocols) {
            switch (p.toLowerCase(Locale.ROOT)) {
                case "all": v4 = true; v6 = hostHasIpv6(); break;
                case "ipv4": v4 = true; break;
                case "ipv6": v6 = true; break;
                default: throw new ResolveException("bad inet_protocols value: \"" + p + "\"");
            }
        }
        return new AddressResolver(v4, v6);
    }

    /** Addresses for an explicit host, as {@code inet_addr_host} with the enabled families. */
    public List<InetAddress> host(String host) throws ResolveException {
        List<InetAddress> all;
        try {
            all = Arrays.asList(InetAddress.getAllByName(host));
        } catch (UnknownHostException e) {
            throw new ResolveException("bad hostname or network address: " + host);
        }
        List<InetAddress> out = sortedUnique(all);
        if (out.isEmpty()) {
            throw new ResolveException("bad hostname or network address: " + host);
        }
        return out;
    }

    /** Addresses for a service without a host, from {@code inet_interfaces}. */
    public List<InetAddress> interfaces(List<String> inetInterfaces) throws ResolveException {
        List<InetAddress> found = new ArrayList<>();
        for (String item : inetInterfaces) {
            String lower = item.toLowerCase(Locale.ROOT);
            if (lower.equals("all")) {
                try {
                    if (ipv4) {
                        found.add(InetAddress.getByAddress(new byte[4]));
                    }
                    if (ipv6) {
                        found.add(InetAddress.getByAddress(new byte[16]));
                    }
                } catch (UnknownHostException impossible) {
                    throw new AssertionError(impossible);
                }
            } else if (lower.equals("loopback-only")) {
                for (InetAddress a : localAddresses()) {
                    if (a.isLoopbackAddress()) {
                        found.add(a);
                    }
                }
            } else {
                String name = item.startsWith("[") && item.endsWith("]") ? item.substring(1, item.length() - 1) : item;
                List<InetAddress> local = localAddresses();
                for (InetAddress a : host(name)) {
                    if (!local.contains(a)) {
                        throw new ResolveException("inet_interfaces: no local interface found for " + a.getHostAddress());
                    }
                    found.add(a);
                }
            }
        }
        List<InetAddress> out = sortedUnique(found);
        if (out.isEmpty()) {
            throw new ResolveException("service definition requires valid host name or address,"
                    + " or non-empty inet_interfaces setting");
        }
        return out;
    }

    private List<InetAddress> sortedUnique(List<InetAddress> in) {
        Set<InetAddress> set = new LinkedHashSet<>();
        for (InetAddress a : in) {
            if ((a instanceof Inet4Address && ipv4) || (a instanceof Inet6Address && ipv6)) {
                set.add(a instanceof Inet6Address ? stripScope((Inet6Address) a) : a);
            }
        }
        List<InetAddress> out = new ArrayList<>(set);
        out.sort(ORDER);
        return out;
    }

    /** AF_INET before AF_INET6, then raw address bytes, as {@code inet_addr_list_uniq}. */
    static final Comparator<InetAddress> ORDER = Comparator
            .<InetAddress>comparingInt(a -> a instanceof Inet4Address ? 0 : 1)
            .thenComparing(InetAddress::getAddress, Arrays::compareUnsigned);

    private static InetAddress stripScope(Inet6Address a) {
        if (a.getScopeId() == 0) {
            return a;
        }
        try {
            return InetAddress.getByAddress(a.getAddress());
        } catch (UnknownHostException impossible) {
            throw new AssertionError(impossible);
        }
    }

    /** True when every address is a loopback address (Postfix's LOCAL_ONLY for inet services). */
    public static boolean allLoopback(List<InetAddress> addresses) {
        return !addresses.isEmpty() && addresses.stream().allMatch(InetAddress::isLoopbackAddress);
    }

    private static List<InetAddress> localAddresses() {
        List<InetAddress> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InterfaceAddress ia : ni.getInterfaceAddresses()) {
                    InetAddress a = ia.getAddress();
                    out.add(a instanceof Inet6Address ? stripScope((Inet6Address) a) : a);
                }
            }
        } catch (SocketException e) {
            // no interface list: only explicit hosts can be used
        }
        return out;
    }

    private static boolean hostHasIpv6() {
        return localAddresses().stream().anyMatch(a -> a instanceof Inet6Address);
    }
}
