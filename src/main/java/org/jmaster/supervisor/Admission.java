package org.jmaster.supervisor;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
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
 * ({@code source_rate}). It also rate-limits the refusal log to one line per source and service per
 * minute. Owned by the loop thread.
 */
final class Admission {
    private static final Logger log = LoggerFactory.getLogger("master");
    private static final long LOG_INTERVAL_MS = 60_000;
    private static final int PRUNE_AT = 10_000;

    /** Live connections per "group|source". */
    private final Map<String, Integer> live = new HashMap<>();
    /** Token buckets per "group|source". */
    private final Map<String, TokenBucket> sourceBuckets = new HashMap<>();
    /** Last refusal log per "service|source". */
    private final Map<String, Long> lastLogged = new HashMap<>();

    /**
     * Decides about a connection from {@code from}; returns null and counts it when it may go on,
     * else the refusal reason ({@code per_source}, {@code rate}, {@code source_rate}).
     */
    String admit(Service s, InetAddress from, Child.Source source) {
        ServiceAttributes a = s.entry.attributes();
        long now = System.nanoTime();
        if (from != null && !SourceAddress.exempt(s.exempt, from)) {
            String prefix = a.valueOrDefault(ServiceAttribute.SOURCE_PREFIX).orElse("32/64");
            String key = group(s) + "|" + SourceAddress.key(from, prefix);
            var max = a.getInt("max_per_source");
            if (max.isPresent() && max.getAsInt() > 0 && live.getOrDefault(key, 0) >= max.getAsInt()) {
                return "per_source";
            }
            var srcRate = a.getRate("source_rate");
            if (srcRate.isPresent()) {
                prune(now);
                TokenBucket b = sourceBuckets.computeIfAbsent(key,
                        k -> new TokenBucket(srcRate.get().count(), srcRate.get().periodSeconds(), now));
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

    /** Logs a refusal unless this source was logged for this service within the last minute. */
    void logRefusal(Service s, String peer, String sourceKey, String reason) {
        long now = System.currentTimeMillis();
        String key = s.entry.extName() + "|" + sourceKey;
        Long last = lastLogged.get(key);
        if (last != null && now - last < LOG_INTERVAL_MS) {
            return;
        }
        if (lastLogged.size() >= PRUNE_AT) {
            lastLogged.values().removeIf(t -> now - t >= LOG_INTERVAL_MS);
        }
        lastLogged.put(key, now);
        log.info("refused connection from {} to service {}: {}", peer, s.label(), reason);
    }

    private static String group(Service s) {
        return s.entry.attributes().get("source_group").map(g -> "group:" + g).orElse("service:" + s.entry.key());
    }

    /** Forgets full source buckets when there are many, so memory stays bounded. */
    private void prune(long now) {
        if (sourceBuckets.size() < PRUNE_AT) {
            return;
        }
        for (Iterator<TokenBucket> it = sourceBuckets.values().iterator(); it.hasNext();) {
            if (it.next().isFull(now)) {
                it.remove();
            }
        }
    }

    static List<SourceAddress.Network> exemptions(ServiceAttributes a) {
        return SourceAddress.parseList(a.getList("source_exempt"));
    }
}
