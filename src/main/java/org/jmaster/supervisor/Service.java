package org.jmaster.supervisor;

import java.net.InetAddress;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jmaster.conf.ServiceEntry;
import org.jmaster.conf.ServiceSettings;
import org.jmaster.net.Listener;
import org.jmaster.supervisor.policy.Admission;
import org.jmaster.supervisor.policy.Listening;
import org.jmaster.supervisor.policy.Throttle;
import org.jmaster.supervisor.policy.TokenBucket;

/**
 * The run-time state of one master.cf service (Postfix's {@code MASTER_SERV}): its current table
 * entry and typed settings, its listening descriptors, its status channel, its children and the
 * books the policy reads. Owned by the loop thread.
 *
 * <p>Every piece of state has one writer. The child books ({@code children}, {@code availProc},
 * {@code totalProc}, {@code unproven}) change only through the methods below, each named for the
 * event that changes them; {@code throttle} is written by {@link Throttler} alone,
 * {@code listening} by {@link Availability} alone, the prefork fields by {@link Prefork}, the
 * wakeup fields by {@link Wakeups}, {@code entry}/{@code settings}/{@code channel}/{@code removed}
 * by {@link Supervisor}.
 */
final class Service {
    ServiceEntry entry;
    ServiceSettings settings;
    ChildProtocol protocol;
    final List<Listener> listeners;
    final List<InetAddress> addresses;
    final boolean localOnly;
    StatusChannel channel;
    boolean removed;

    // the child books
    private final Map<Integer, Child> children = new LinkedHashMap<>();
    private int availProc;
    private int totalProc;
    private int unproven;

    // written by Availability
    boolean listening;
    long busyWarnTime = Long.MIN_VALUE / 2;
    long stressExpireTime;

    // written by Throttler
    Throttle throttle = Throttle.OPEN;
    EventLoop.Timer throttleTimer;

    // written by Wakeups
    boolean conditionalWakeupPending;
    EventLoop.Timer wakeupTimer;

    /** Counters for status and metrics; they survive reloads of the service. */
    long spawns;
    long exitsNormal;
    long exitsStatus;
    long exitsSignal;
    long throttles;
    long statusFrames;
    long wakeupsSent;
    final Map<String, Long> refusals = new TreeMap<>();
    String lastError = "";
    long lastErrorMillis;
    final ChildOutput.Budget stderrBudget = new ChildOutput.Budget();

    /** What children inherit beyond their descriptors (-M user, rlimit_*, ...), resolved at (re)load. */
    Inheritance inheritance = Inheritance.NONE;
    /** Admission rules and the service's own token bucket, resolved at (re)load. */
    Admission.Rules admission;
    TokenBucket rate;

    /** A Postfix-protocol child's plan, without and with stress; written by {@link Spawner}, which checks they are current. */
    final Spawner.Template[] spawnTemplates = new Spawner.Template[2];

    // written by Prefork
    int preforkRamp = 1;
    EventLoop.Timer preforkTimer;
    boolean preforkBusy;
    long lastSpareRecycleMillis;

    Service(ServiceEntry entry, List<Listener> listeners, List<InetAddress> addresses, boolean localOnly) {
        this.listeners = listeners;
        this.addresses = addresses;
        this.localOnly = localOnly;
        configure(entry, System.nanoTime());
    }

    /** Takes {@code e} as the service's entry, with everything resolved from it (at start and reload). */
    void configure(ServiceEntry e, long nowNanos) {
        entry = e;
        settings = e.settings();
        protocol = ChildProtocol.of(settings.protocol());
        admission = Admission.Rules.of(e.extName(), e.key().toString(), settings.admission());
        rate = settings.admission().rate().map(r -> new TokenBucket(r.count(), r.periodSeconds(), nowNanos))
                .orElse(null);
    }

    int maxProc() {
        return entry.maxProc();
    }

    // ---- the child books

    /** A child was spawned; Postfix's children start idle ({@code avail}), the master's connections busy. */
    void adopt(Child c, boolean avail) {
        children.put(c.pid, c);
        totalProc++;
        unproven++;
        spawns++;
        if (avail) {
            c.avail = true;
            availProc++;
        }
    }

    /** The child reported AVAIL: a request is done. Returns whether that changed anything (duplicates are allowed). */
    boolean becameIdle(Child c) {
        if (c.avail) {
            return false;
        }
        c.avail = true;
        availProc++;
        c.useCount++;
        return true;
    }

    /** The child reported TAKEN; returns whether it just proved itself (its first request). */
    boolean tookRequest(Child c) {
        if (c.avail) {
            c.avail = false;
            availProc--;
        }
        c.everTaken = true;
        return prove(c);
    }

    /** The child proved that the command starts; true the first time. */
    boolean prove(Child c) {
        if (c.proven) {
            return false;
        }
        c.proven = true;
        unproven--;
        return true;
    }

    /** The status channel was replaced: its children leave when convenient and stop counting as idle. */
    void retireIdle() {
        for (Child c : children.values()) {
            if (c.avail) {
                c.avail = false;
                availProc--;
            }
        }
    }

    /** The child was reaped. */
    void forget(Child c) {
        if (children.remove(c.pid) == null) {
            throw new IllegalStateException("service " + label() + ": forgetting unknown pid " + c.pid);
        }
        totalProc--;
        if (c.avail) {
            c.avail = false;
            availProc--;
        }
        if (!c.proven) {
            unproven--;
        }
    }

    Collection<Child> children() {
        return Collections.unmodifiableCollection(children.values());
    }

    int availProc() {
        return availProc;
    }

    int totalProc() {
        return totalProc;
    }

    int unproven() {
        return unproven;
    }

    // ---- what the policy sees

    /** The availability rule's view of this service. */
    Listening.State listeningState(boolean stopping) {
        return new Listening.State(removed || stopping, throttle, availProc, totalProc, unproven, maxProc(),
                settings.throttleReply().isPresent(), settings.refuseReply().isPresent());
    }

    /** Stress-adaptive behaviour applies to services reachable from the network with more than one process. */
    boolean stressEligible() {
        return entry.stressEligible(localOnly);
    }

    void error(String text) {
        lastError = text;
        lastErrorMillis = System.currentTimeMillis();
    }

    String label() {
        return entry.extName() + "(" + entry.name() + ")";
    }
}
