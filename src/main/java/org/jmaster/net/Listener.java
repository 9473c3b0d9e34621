package org.jmaster.net;

/**
 * One listening descriptor the master owns and its children inherit at fd 6 + n.
 *
 * @param fd       the descriptor, non-blocking and close-on-exec in the master
 * @param endpoint what it listens on, for logs and status ({@code 127.0.0.1:25}, {@code private/cleanup})
 */
public record Listener(int fd, String endpoint) {}
