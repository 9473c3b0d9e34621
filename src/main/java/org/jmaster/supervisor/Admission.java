package org.jmaster.supervisor;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jmaster.conf.ServiceAttribute;
import org.jmaster.conf.ServiceAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admission control for connections the master accepts itself: live connections per client source
 * ({@code max_per_source}, counted per {@code source_prefix} and shared by a {@code source_group}),
 * exemptions ({@code source_exempt}), and token buckets per service ({@code rate}) and per source
 * ({@code source_rate}). It also rate-limits the refusal log to one line per source (the same
 * {@code source_prefix} as the limits, so a client rotating addresses in its /64 is one source)
 * and service per minute. Every map a client can grow is bounded: live counts by the live
 * children, the per-source buckets and the refusal log by a hard cap that evicts the least recently
 * used (buckets) or the oldest (log) entry. Owned by the loop thread.
 */
final class Admission {
    private static final Logger log = LoggerFactory.getLogger("master");
    private static final long LOG_INTERVAL_MS = 60_000;
    /** At most this many per-source token buckets; beyond it the least recently used one is forgotten. */
    static final int MAX_SOURCE_BUCKETS = 10_000;
    /** At most this many remembered refusal log times; beyond it the oldest is forgotten. */
    static final int MAX_LOGGED_SOURCES = 10_000;

    /** Live connections per "group|source". */
    private final Map<String, Integer> live = new HashMap<>();
    /** Token buckets per "group|source", least recently used first. */
    private final LinkedHashMap<String, TokenBucket> sourceBuckets = new LinkedHashMap<>(16, 0.75f, true);
    /** Last refusal log time per "service|source", oldest first (an entry is re-inserted when it logs again). */
    private final LinkedHashMap<String, Long> lastLogged = new LinkedHashMap<>();

    /**
     * Decides about a connection from {@code from}; returns null and counts it when it may go on,
     * else the refusal reason ({@code per_source}, {@code rate}, {@code source_rate}).
     */
    String admit(Service s, InetAddress from, Child.Source source) {
        ServiceAttributes a = s.entry.attributes();
        long now = System.nanoTime();
        if (from != null && !SourceAddress.exempt(s.exempt, from)) {
            String key = group(s) + "|" + SourceAddress.key(from, sourcePrefix(s));
            var max = a.getInt("max_per_source");
            if (max.isPresent() && max.getAsInt() > 0 && live.getOrDefault(key, 0) >= max.getAsInt()) {
                return "per_source";
            }
            var srcRate = a.getRate("source_rate");
            if (srcRate.isPresent()) {
                TokenBucket b = sourceBuckets.get(key);
                if (b == null) {
                    prune();
                    b = new TokenBucket(srcRate.get().count(), srcRate.get().periodSeconds(), now);
                    sourceBuckets.put(key, b);
                }
                if (!b.take(now)) {
                    return "source_rate";
                }
            }
            source.key = key;
        }
        if (s.rate != null && !s.rate.take(now)) {
            return "rate";
        }
        if (source.key != null) {
            live.merge(source.key, 1, Integer::sum);
        }
        return null;
    }

    /** A child admitted through {@link #admit} is gone. */
    void release(Child.Source source) {
        if (source != null && source.key != null) {
            live.computeIfPresent(source.key, (k, n) -> n <= 1 ? null : n - 1);
            source.key = null;
        }
    }

    /**
     * Logs a refusal unless this source was logged for this service within the last minute.
     *
     * @param source the client's address as text ({@link InetAddress#getHostAddress}), or
     *               {@code local}; it is reduced to the service's {@code source_prefix}
     */
    void logRefusal(Service s, String peer, String source, String reason) {
        if (logDue(refusalKey(s.entry.extName(), sourcePrefix(s), source), System.nanoTime() / 1_000_000L)) {
            log.info("refused connection from {} to service {}: {}", peer, s.label(), reason);
        }
    }

    /** The refusal log's key: the service and the source reduced to {@code prefix} ({@code "32/64"}). */
    static String refusalKey(String service, String prefix, String source) {
        InetAddress a = SourceAddress.parseLiteral(source);
        return service + "|" + (a == null ? source : SourceAddress.key(a, prefix));
    }

    /**
     * Whether a refusal under {@code key} is logged at {@code nowMillis}: not when the same key was
     * logged within the last minute. Remembers at most {@link #MAX_LOGGED_SOURCES} keys: expired
     * ones go first, then the oldest.
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

    /** How many refusal log times are remembered (for tests). */
    int loggedSources() {
        return lastLogged.size();
    }

    /** How many per-source buckets are kept (for tests). */
    int sourceBuckets() {
        return sourceBuckets.size();
    }

    private static String sourcePrefix(Service s) {
        return s.entry.attributes().valueOrDefault(ServiceAttribute.SOURCE_PREFIX).orElse("32/64");
    }

    private static String group(Service s) {
        return s.entry.attributes().get("source_group").map(g -> "group:" + g).orElse("service:" + s.entry.key());
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

    static List<SourceAddress.Network> exemptions(ServiceAttributes a) {
        return SourceAddress.parseList(a.getList("source_exempt"));
    }
}
