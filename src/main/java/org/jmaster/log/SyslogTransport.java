package org.jmaster.log;

/** Sends one datagram to the syslog daemon; implemented by the native layer. */
public interface SyslogTransport extends AutoCloseable {
    /** Returns false when the syslog daemon could not be reached; never throws. */
    boolean send(byte[] datagram);

    @Override
    default void close() {}
}
