package org.jmaster.supervisor;

/**
 * One live child process, from spawn until it is reaped. Owned by the loop thread.
 */
final class Child {
    final int pid;
    final int pidfd;
    final long generation;
    final Service service;
    /** The status channel this child was given; children of an older channel are retiring. */
    final StatusChannel channel;
    final long startNanos = System.nanoTime();
    boolean avail;
    boolean everTaken;
    int useCount;

    Child(int pid, int pidfd, long generation, Service service, StatusChannel channel) {
        this.pid = pid;
        this.pidfd = pidfd;
        this.generation = generation;
        this.service = service;
        this.channel = channel;
    }
}
