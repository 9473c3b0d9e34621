package org.jmaster.server;

/** Lets tests in other packages run a service's session over a descriptor of their own (a socketpair). */
public final class TestClients {
    private TestClients() {}

    /** A client reading and writing {@code fd} (non-blocking), with no stop pipe and no peer address. */
    public static Client over(int fd) {
        return new Client(fd, fd, -1, null);
    }
}
