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
    /** For a connection the master accepted: whom it counts against in admission control. */
    final Source source = new Source();

    /** The admission-control key of an accepted connection's client, null when not counted. */
    static final class Source {
        String key;
    }

    Child(int pid, int pidfd, long generation, Service service, StatusChannel channel) {
        this.pid = pid;
        this.pidfd = pidfd;
        this.generation = generation;
        this.service = service;
        this.channel = channel;
    }
}
