package org.jmaster.supervisor;

import java.util.List;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Posix;
import org.jmaster.nativ.SpawnPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates children (Postfix's {@code master_spawn}) with {@code posix_spawn} and the fixed descriptor
 * plan of protocol doc §3.1: 3 and 4 the flow pipe, 5 the service's status channel, 6.. the listeners;
 * 0–2 are the master's own; nothing else crosses. Each child gets a pidfd that the reaper watches.
 */
final class Spawner {
    private static final Logger log = LoggerFactory.getLogger("master");
    static final int FLOW_READ_FD = 3;
    static final int FLOW_WRITE_FD = 4;
    static final int STATUS_FD = 5;
    static final int LISTEN_FD = 6;

    private final Supervisor master;
    private long generation;

    Spawner(Supervisor master) {
        this.master = master;
    }

    void spawn(Service s) {
        if (s.throttled || s.availProc > 0 || !s.limitOk(s.totalProc)) {
            throw new IllegalStateException("master_spawn: at process limit " + s.totalProc
                    + " or idle/throttled (" + s.label() + ")");
        }
        long gen = ++generation;
        boolean stressed = s.stressEligible() && s.stressExpireTime > System.currentTimeMillis();
        List<String> argv = s.entry.childArgv(master.foreground, master.verbose, s.listeners.size(),
                s.stressEligible(), stressed);
        String path = s.entry.execPath(master.settings.daemonDirectory()).toString();
        SpawnPlan.Builder plan = SpawnPlan.builder(path)
                .argv(argv)
                .env(master.environment.forChild(gen))
                .cwd(master.settings.queueDirectory().toString())
                .dup2(master.flowPipe[0], FLOW_READ_FD)
                .dup2(master.flowPipe[1], FLOW_WRITE_FD)
                .dup2(s.channel.childFd, STATUS_FD);
        for (int i = 0; i < s.listeners.size(); i++) {
            plan.dup2(s.listeners.get(i).fd(), LISTEN_FD + i);
        }
        int[] stderrPipe = null;
        // Postfix-protocol children log for themselves; other programs' stderr goes to the log by default
        String stderrMode = s.entry.attributes().get("stderr")
                .orElse(s.entry.attributes().protocol().equals("postfix") ? "inherit" : "log");
        if (stderrMode.equals("log")) {
            stderrPipe = Posix.pipe2(false);
            plan.dup2(stderrPipe[1], 2);
        } else if (stderrMode.equals("null")) {
            plan.open(2, "/dev/null", Posix.O_WRONLY);
        }
        int pid;
        try {
            pid = Posix.spawn(plan.build());
        } catch (NativeException e) {
            if (stderrPipe != null) {
                Posix.closeQuietly(stderrPipe[0]);
                Posix.closeQuietly(stderrPipe[1]);
            }
            log.warn("master_spawn: exec {}: {}", path, e.strerror());
            s.error("exec " + path + ": " + e.strerror());
            master.throttler.throttle(s, path);
            return;
        }
        int pidfd;
        try {
            pidfd = Posix.pidfdOpen(pid);
        } catch (NativeException e) {
            // cannot happen for our own unreaped child; without a pidfd we could never reap it
            throw new IllegalStateException("pidfd_open " + pid + ": " + e.getMessage(), e);
        }
        if (stderrPipe != null) {
            Posix.closeQuietly(stderrPipe[1]);
            Posix.setNonBlocking(stderrPipe[0], true);
            ChildOutput.watch(master.loop, stderrPipe[0], s.entry.extName(), pid, s.stderrBudget);
        }
        Child c = new Child(pid, pidfd, gen, s, s.channel);
        s.children.put(pid, c);
        s.totalProc++;
        master.children.put(pid, c);
        master.spawns++;
        s.spawns++;
        master.loop.watchRead(pidfd, (fd, rev) -> master.reaper.reap(c));
        if (log.isDebugEnabled()) {
            log.debug("spawn: service {} pid {} generation {} argv {}", s.label(), pid, gen, argv);
        }
        if (s.conditionalWakeupPending) {
            s.conditionalWakeupPending = false;
            master.wakeups.start(s);
        }
        master.availability.more(s, c);
    }

    long generation() {
        return generation;
    }
}
