package org.jmaster.supervisor.policy;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jmaster.conf.ServiceAttribute;
import org.jmaster.conf.ServiceSettings;

/**
 * Admission control for connections the master accepts itself: live connections per client source
 * ({@code max_per_source}, counted per {@code source_prefix} and shared by a {@code source_group}),
 * exemptions ({@code source_exempt}), and token buckets per service ({@code rate}) and per source
 * ({@code source_rate}). It also decides when a refusal is logged: once per source (the same
 * {@code source_prefix} as the limits, so a client rotating addresses in its /64 is one source)
 * and service per minute. Every map a client can grow is bounded: live counts by the live
 * children, the per-source buckets and the refusal log by a hard cap that evicts the least recently
 * used (buckets) or the oldest (log) entry. The time is always the caller's; owned by one thread.
 */
public final class Admission {
    static final long LOG_INTERVAL_MS = 60_000;
    /** At most this many per-source token buckets; beyond it the least recently used one is forgotten. */
    public static final int MAX_SOURCE_BUCKETS = 10_000;
    /** At most this many remembered refusal log times; beyond it the oldest is forgotten. */
    public static final int MAX_LOGGED_SOURCES = 10_000;

    /**
     * One service's admission rules, resolved when it is loaded.
     *
     * @param service      the service's name, for the refusal log's key
     * @param group        whose per-source counts the service shares ({@code source_group}, else itself)
     * @param maxPerSource live connections per source, 0 for no limit
     * @param ipv4Bits     {@code source_prefix} for IPv4
     * @param ipv6Bits     and for IPv6
     * @param exempt       {@code source_exempt}
     * @param sourceRate   {@code source_rate}
     */
    public record Rules(String service, String group, int maxPerSource, int ipv4Bits, int ipv6Bits,
                        List<SourceAddress.Network> exempt, Optional<ServiceAttribute.Rate> sourceRate) {
        public Rules {
            exempt = List.copyOf(exempt);
        }

        /** The rules of service {@code name} (identified by {@code key}) from its settings. */
        public static Rules of(String name, String key, ServiceSettings.Admission a) {
            return new Rules(name, a.sourceGroup().map(g -> "group:" + g).orElse("service:" + key), a.maxPerSource(),
                    a.ipv4Bits(), a.ipv6Bits(), SourceAddress.parseList(a.exempt()), a.sourceRate());
        }

        String sourceKey(InetAddress from) {
            return group + "|" + SourceAddress.key(from, ipv4Bits, ipv6Bits);
        }
    }

    /**
     * The decision about one connection: {@code refusal} is null when it may go on (then it was
     * counted under {@code key}, null when not counted: a local or exempt client), else the reason
     * ({@code per_source}, {@code source_rate}, {@code rate}).
     */
    public record Verdict(String refusal, String key) {
        public boolean admitted() {
            return refusal == null;
        }
    }

    /** Live connections per "group|source". */
    private final Map<String, Integer> live = new HashMap<>();
    /** Token buckets per "group|source", least recently used first. */
    private final LinkedHashMap<String, TokenBucket> sourceBuckets = new LinkedHashMap<>(16, 0.75f, true);
    /** Last refusal log time per "service|source", oldest first (an entry is re-inserted when it logs again). */
    private final LinkedHashMap<String, Long> lastLogged = new LinkedHashMap<>();

    /**
     * Decides about a connection from {@code from} (null: a local client) under {@code rules} and the
     * service's own bucket {@code rate} (null when it has none); counts it when admitted.
     */
    public Verdict admit(Rules rules, TokenBucket rate, InetAddress from, long nowNanos) {
        String key = null;
        if (from != null && !SourceAddress.exempt(rules.exempt(), from)) {
            key = rules.sourceKey(from);
            if (rules.maxPerSource() > 0 && live.getOrDefault(key, 0) >= rules.maxPerSource()) {
                return new Verdict("per_source", null);
            }
            if (rules.sourceRate().isPresent()) {
                TokenBucket b = sourceBuckets.get(key);
                if (b == null) {
                    prune();
                    ServiceAttribute.Rate r = rules.sourceRate().get();
                    b = new TokenBucket(r.count(), r.periodSeconds(), nowNanos);
                    sourceBuckets.put(key, b);
                }
                if (!b.take(nowNanos)) {
                    return new Verdict("source_rate", null);
                }
            }
        }
        if (rate != null && !rate.take(nowNanos)) {
            return new Verdict("rate", null);
        }
        if (key != null) {
            live.merge(key, 1, Integer::sum);
        }
        return new Verdict(null, key);
    }

    /** A connection admitted under {@code key} (null: not counted) is gone. */
    public void release(String key) {
        if (key != null) {
            live.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
        }
    }

    /** Live connections counted under {@code key}. */
    public int live(String key) {
        return live.getOrDefault(key, 0);
    }

    /**
     * Whether a refusal of a client from {@code from} (null: local) is logged at {@code nowMillis}:
     * not when the same source was logged for the same service within the last minute.
     */
    public boolean logDue(Rules rules, InetAddress from, long nowMillis) {
        String source = from == null ? "local" : SourceAddress.key(from, rules.ipv4Bits(), rules.ipv6Bits());
        return logDue(rules.service() + "|" + source, nowMillis);
    }

    /**
     * Whether a refusal under {@code key} is logged at {@code nowMillis}. Remembers at most
     * {@link #MAX_LOGGED_SOURCES} keys: expired ones go first, then the oldest.
     */
    boolean logDue(String key, long nowMillis) {
        Long last = lastLogged.get(key);
        if (last != null && nowMillis - last < LOG_INTERVAL_MS) {
            return false;
        }
        lastLogged.remove(key);
        // oldest first: the expired entries are a head of the map; then the cap evicts the oldest
        for (Iterator<Long> it = lastLogged.values().iterator(); it.hasNext();) {
            long t = it.next();
            if (nowMillis - t < LOG_INTERVAL_MS && lastLogged.size() < MAX_LOGGED_SOURCES) {
                break;
            }
            it.remove();
        }
        lastLogged.put(key, nowMillis);
        return true;
    }

    /** How many refusal log times are remembered. */
    int loggedSources() {
        return lastLogged.size();
    }

    /** How many per-source buckets are kept. */
    int sourceBuckets() {
        return sourceBuckets.size();
    }

    /**
     * Makes room for one more source bucket: at the cap, forgets the least recently used ones
     * (usually full again, so nothing changes; a source forgotten early starts with a full bucket).
     * Constant work per new source, however many sources there are.
     */
    private void prune() {
        for (Iterator<TokenBucket> it = sourceBuckets.values().iterator();
             sourceBuckets.size() >= MAX_SOURCE_BUCKETS && it.hasNext();) {
            it.next();
            it.remove();
        }
    }
}
