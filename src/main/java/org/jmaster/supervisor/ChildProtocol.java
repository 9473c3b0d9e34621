package org.jmaster.supervisor;

import org.jmaster.conf.Protocol;
import org.jmaster.conf.ServiceSettings;
import org.jmaster.supervisor.policy.Listening;

/**
 * One strategy per {@code -M protocol}: which availability rule its services follow, what the
 * master does when a watched listener is readable, how a child is spawned, and what a child's start
 * and end mean for the throttle rule. The rest of the supervisor asks the strategy and never
 * compares protocols.
 */
enum ChildProtocol {
    /**
     * Postfix's: children share the listeners at fd 6.., report AVAIL/TAKEN on fd 5, start idle, and
     * prove the command by taking their first request.
     */
    POSTFIX(Listening.Rule.SPAWN_WHEN_NONE_IDLE, true) {
        @Override
        void readable(Supervisor master, Service s, int fd) {
            master.availability.stress(s);
            master.availability.spawnContained(s, () -> master.spawner.spawnPostfix(s));
        }

        @Override
        boolean provenAtExit(boolean normal, boolean quick) {
            return false; // only a TAKEN proves it
        }

        @Override
        int preforkTarget(ServiceSettings settings) {
            return settings.prefork();
        }
    },
    /** inetd's: the master accepts and hands each connection to a child of its own on fds 0 and 1. */
    INETD(Listening.Rule.ACCEPT_WHILE_ROOM, false) {
        @Override
        void readable(Supervisor master, Service s, int fd) {
            master.acceptor.ready(s, fd);
        }
    },
    /** systemd's socket activation: one instance gets every listener from fd 3 with LISTEN_FDS. */
    SYSTEMD(Listening.Rule.ONE_INSTANCE, false) {
        @Override
        void readable(Supervisor master, Service s, int fd) {
            master.availability.spawnContained(s, () -> master.spawner.spawnSystemd(s));
        }
    };

    /** How long a child must live, if it does not exit 0, to prove a command that speaks no status protocol. */
    static final long QUICK_EXIT_NANOS = 1_000_000_000L;

    final Listening.Rule listenRule;
    /** New children count as idle (Postfix's children accept themselves). */
    final boolean startsIdle;

    ChildProtocol(Listening.Rule listenRule, boolean startsIdle) {
        this.listenRule = listenRule;
        this.startsIdle = startsIdle;
    }

    /** A watched listener {@code fd} of {@code s} (not throttled) is readable. */
    abstract void readable(Supervisor master, Service s, int fd);

    /**
     * Whether a child that never reported proves the command by how it ended: a program that speaks
     * no status protocol served its connection when it exited 0, or lived past a start-up failure.
     */
    boolean provenAtExit(boolean normal, boolean quick) {
        return normal || !quick;
    }

    /** Whether a child that is still alive after {@link #QUICK_EXIT_NANOS} has proven the command. */
    boolean provenByLiving() {
        return !startsIdle;
    }

    /** {@code -M prefork}: only Postfix's children can wait idle for connections. */
    int preforkTarget(ServiceSettings settings) {
        return 0;
    }

    static ChildProtocol of(Protocol p) {
        return switch (p) {
            case POSTFIX -> POSTFIX;
            case INETD -> INETD;
            case SYSTEMD -> SYSTEMD;
        };
    }
}
