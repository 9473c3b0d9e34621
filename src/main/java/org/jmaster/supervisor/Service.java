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

    /** Postfix's MASTER_LIMIT_OK: 0 means no limit. */
    boolean limitOk(int count) {
        return maxProc() == 0 || count < maxProc();
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
