package org.jmaster.log;

import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * Postfix's message classes. {@code warn} becomes {@code warning:}, {@code error} becomes
 * {@code error:}; the two markers turn an error into {@code fatal:} or {@code panic:}, the texts
 * that operators' log watchers look for.
 */
public final class Severity {
    /** Marks an error after which the process exits (Postfix's {@code msg_fatal}). */
    public static final Marker FATAL = MarkerFactory.getMarker("FATAL");
    /** Marks an impossible state (Postfix's {@code msg_panic}). */
    public static final Marker PANIC = MarkerFactory.getMarker("PANIC");

    private Severity() {}
}
