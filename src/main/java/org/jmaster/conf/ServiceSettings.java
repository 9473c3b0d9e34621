package org.jmaster.conf;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Every {@code -M} attribute of one service, parsed and typed with its default filled in, so that
 * the supervisor never reads an attribute by name or parses text at run time. Built once per entry
 * when master.cf is read (at start and at each reload). Immutable.
 *
 * @param protocol      {@code protocol}
 * @param prefork       {@code prefork}: idle children kept ahead of demand (0: none)
 * @param maxSpare      {@code max_spare}: idle children above which the pool is recycled (0: never)
 * @param maxUseJitter  {@code max_use_jitter} (0: none)
 * @param admission     the limits on connections the master accepts itself
 * @param refuseReply   {@code refuse_reply}
 * @param throttleReply {@code throttle_reply}
 * @param fdNames       systemd's {@code LISTEN_FDNAMES}: {@code fdname} split at ':', else the
 *                      service name
 * @param stderr        where a child's standard error goes ({@code stderr}; Postfix's protocol
 *                      inherits the master's, the others are logged)
 * @param exec          what the exec step sets up for a child
 */
public record ServiceSettings(Protocol protocol, int prefork, int maxSpare, int maxUseJitter, Admission admission,
                              Optional<String> refuseReply, Optional<String> throttleReply, List<String> fdNames,
                              Stderr stderr, Exec exec) {

    public enum Stderr { LOG, NULL, INHERIT }

    /**
     * @param maxPerSource live connections per source (0: no limit)
     * @param ipv4Bits     {@code source_prefix}: an IPv4 source is counted by this many leading bits
     * @param ipv6Bits     and an IPv6 source by this many
     * @param sourceGroup  {@code source_group}: services sharing per-source counts
     * @param exempt       {@code source_exempt}, as written (addresses or address/prefix)
     * @param rate         {@code rate}: the service's token bucket
     * @param sourceRate   {@code source_rate}: a token bucket per source
     */
    public record Admission(int maxPerSource, int ipv4Bits, int ipv6Bits, Optional<String> sourceGroup,
                            List<String> exempt, Optional<ServiceAttribute.Rate> rate,
                            Optional<ServiceAttribute.Rate> sourceRate) {
        public Admission {
            exempt = List.copyOf(exempt);
        }

        /** {@code source_prefix} as written: {@code 32/64}. */
        public String sourcePrefix() {
            return ipv4Bits + "/" + ipv6Bits;
        }
    }

    /**
     * @param user    {@code user}: a name or number
     * @param group   {@code group}
     * @param groups  {@code groups}, split
     * @param chroot  {@code chroot}
     * @param cwd     {@code cwd}
     * @param umask   {@code umask}
     * @param nice    {@code nice}
     * @param rlimits {@code rlimit_*}: resource ({@code nofile}, {@code nproc}, {@code as},
     *                {@code core}) to its value, {@link ServiceAttribute.Limit#INFINITY} for
     *                infinity, in that order
     * @param env     {@code env}: variables added to the child's environment, in the order written
     */
    public record Exec(Optional<String> user, Optional<String> group, Optional<List<String>> groups,
                       Optional<String> chroot, Optional<String> cwd, OptionalInt umask, OptionalInt nice,
                       Map<String, Long> rlimits, Map<String, String> env) {
        public Exec {
            groups = groups.map(List::copyOf);
            rlimits = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rlimits));
            env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
        }
    }

    public ServiceSettings {
        fdNames = List.copyOf(fdNames);
    }

    /** Resolves the attributes {@code a} of the service {@code extName}; they are already validated. */
    static ServiceSettings of(String extName, ServiceAttributes a) {
        Protocol protocol = Protocol.byName(a.valueOrDefault(ServiceAttribute.PROTOCOL).orElseThrow()).orElseThrow();
        String[] prefix = a.valueOrDefault(ServiceAttribute.SOURCE_PREFIX).orElseThrow().split("/");
        Admission admission = new Admission(a.getInt("max_per_source").orElse(0), Integer.parseInt(prefix[0]),
                Integer.parseInt(prefix[1]), a.get("source_group"), a.getList("source_exempt"), a.getRate("rate"),
                a.getRate("source_rate"));
        List<String> fdNames = a.get("fdname").isPresent() ? a.getList("fdname") : List.of(extName);
        Stderr stderr = a.get("stderr").map(v -> Stderr.valueOf(v.toUpperCase(java.util.Locale.ROOT)))
                .orElse(protocol == Protocol.POSTFIX ? Stderr.INHERIT : Stderr.LOG);
        Map<String, Long> rlimits = new LinkedHashMap<>();
        for (String res : List.of("nofile", "nproc", "as", "core")) {
            a.getLimit("rlimit_" + res).ifPresent(v -> rlimits.put(res, v));
        }
        Exec exec = new Exec(a.get("user"), a.get("group"),
                a.get("groups").isPresent() ? Optional.of(a.getList("groups")) : Optional.empty(), a.get("chroot"),
                a.get("cwd"), a.umask(), a.getInt("nice"), rlimits, a.env());
        return new ServiceSettings(protocol, a.getInt("prefork").orElse(0), a.getInt("max_spare").orElse(0),
                a.getInt("max_use_jitter").orElse(0), admission, a.get("refuse_reply"), a.get("throttle_reply"),
                fdNames, stderr, exec);
    }
}
