package org.jmaster.log;

/** A destination for formatted log lines; each call writes one whole line, synchronously. */
public interface LogSink extends AutoCloseable {
    /**
     * Writes one event.
     *
     * @param severity syslog severity (3 error, 4 warning, 6 info, 7 debug)
     * @param tag      the program tag, e.g. {@code postfix/master}
     * @param pid      the process id
     * @param text     the message, already prefixed with {@code warning: } etc.
     */
    void write(int severity, String tag, long pid, String text);

    @Override
    default void close() {}
}
