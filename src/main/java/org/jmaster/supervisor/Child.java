package org.jmaster.supervisor;

/**
 * One live child process, from spawn until it is reaped. Its flags are written through
 * {@link Service}'s books; owned by the loop thread.
 */
final class Child {
    final int pid;
    final int pidfd;
    final long generation;
    final Service service;
    /** The status channel this child was given; children of an older channel are retiring. */
    final StatusChannel channel;
    final long startNanos;
    boolean avail;
    boolean everTaken;
    /** It proved that its command starts (see {@link org.jmaster.supervisor.policy.Throttle}). */
    boolean proven;
    /** Completed requests (TAKEN then AVAIL). */
    int useCount;
    /** For a connection the master accepted: whom it counts against in admission control, or null. */
    String sourceKey;
    /** For a child of another protocol spawned while probing: proves it once it has lived long enough. */
    EventLoop.Timer proofTimer;

    Child(int pid, int pidfd, long generation, Service service, StatusChannel channel, long startNanos) {
        this.pid = pid;
        this.pidfd = pidfd;
        this.generation = generation;
        this.service = service;
        this.channel = channel;
        this.startNanos = startNanos;
    }

    /** Whether the master is done with it: an old channel's child, or one of a removed service. */
    boolean retiring() {
        return channel != service.channel || service.removed;
    }
}
