package org.jmaster.supervisor;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jmaster.conf.ServiceEntry;
import org.jmaster.net.Listener;

/**
 * The run-time state of one master.cf service (Postfix's {@code MASTER_SERV}): its current table
 * entry, its listening descriptors, its status channel, its children and the counters and flags
 * that the availability policy reads. Owned by the loop thread.
 */
final class Service {
    ServiceEntry entry;
    final List<Listener> listeners;
    final List<InetAddress> addresses;
    final boolean localOnly;
    StatusChannel channel;
    final Map<Integer, Child> children = new LinkedHashMap<>();
    int availProc;
    int totalProc;
    boolean listening;
    boolean throttled;
    boolean conditionalWakeupPending;
    boolean removed;
    long busyWarnTime = Long.MIN_VALUE / 2;
    long stressExpireTime;
    final ThrottleState throttle = new ThrottleState();
    EventLoop.Timer wakeupTimer;
    /** Counters for status and metrics; they survive reloads of the service. */
    long spawns;
    long exitsNormal;
    long exitsStatus;
    long exitsSignal;
    long throttles;
    long statusFrames;
    long wakeupsSent;
    final ChildOutput.Budget stderrBudget = new ChildOutput.Budget();
    /** What children inherit beyond their descriptors (-M user, rlimit_*, ...), resolved at (re)load. */
    Inheritance inheritance = Inheritance.NONE;
    /** Prefork: spawns per tick now (1, 2, 4 ... up to 32), and the pending maintenance timer. */
    int preforkRamp = 1;
    EventLoop.Timer preforkTimer;
    long lastSpareRecycleMillis;
    /** Half-open after a throttle: one probe child until a request completes. */
    boolean probing;
    /** Accept mode and admission control, from the entry's -M attributes (rebuilt on reload). */
    TokenBucket rate;
    java.util.List<SourceAddress.Network> exempt = java.util.List.of();
    final java.util.Map<String, Long> refusals = new java.util.TreeMap<>();
    String lastError = "";
    long lastErrorMillis;

    Service(ServiceEntry entry, List<Listener> listeners, List<InetAddress> addresses, boolean localOnly) {
        this.entry = entry;
        this.listeners = listeners;
        this.addresses = addresses;
        this.localOnly = localOnly;
    }

    int maxProc() {
        return entry.maxProc();
    }

    /** Postfix's MASTER_LIMIT_OK (0 means no limit), with one process only while probing after a throttle. */
    boolean limitOk(int count) {
        int limit = probing ? 1 : maxProc();
        return limit == 0 || count < limit;
    }

    /** True for Postfix-protocol services (status channel, shared listeners); false for accept mode. */
    boolean postfixProtocol() {
        return entry.attributes().protocol().equals("postfix");
    }

    /** systemd socket activation: the child gets the listeners at fd 3 with LISTEN_FDS, one instance at a time. */
    boolean systemdProtocol() {
        return entry.attributes().protocol().equals("systemd");
    }

    /** Accept mode: the master accepts and each connection gets its own child. */
    boolean acceptMode() {
        return entry.attributes().protocol().equals("inetd");
    }

    /** Re-reads the admission settings of the (new) entry. */
    void configureAdmission() {
        rate = entry.attributes().getRate("rate")
                .map(r -> new TokenBucket(r.count(), r.periodSeconds(), System.nanoTime())).orElse(null);
        exempt = Admission.exemptions(entry.attributes());
    }

    java.util.Optional<String> throttleReply() {
        return entry.attributes().get("throttle_reply");
    }

    java.util.Optional<String> refuseReply() {
        return entry.attributes().get("refuse_reply");
    }

    /** Stress-adaptive behaviour applies to services reachable from the network with more than one process. */
    boolean stressEligible() {
        return !localOnly && maxProc() > 1;
    }

    void error(String text) {
        lastError = text;
        lastErrorMillis = System.currentTimeMillis();
    }

    String label() {
        return entry.extName() + "(" + entry.name() + ")";
    }
}
