package org.jmaster.log;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * An SLF4J logger of {@link PostfixLoggerProvider}: checks the one level, formats the message with
 * SLF4J's {@code {}} placeholders and hands it to the {@link PostfixAppender}. Nothing is formatted
 * for a level that is off. As Logback does, a {@link Throwable} as the last argument is the event's
 * exception, whatever the placeholders say.
 */
final class PostfixLogger extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;
    private static final ConcurrentMap<String, Logger> LOGGERS = new ConcurrentHashMap<>();

    private PostfixLogger(String name) {
        this.name = name;
    }

    static Logger named(String name) {
        return LOGGERS.computeIfAbsent(name, PostfixLogger::new);
    }

    @Override
    public boolean isTraceEnabled() {
        return PostfixLoggerProvider.enabled(Level.TRACE);
    }

    @Override
    public boolean isDebugEnabled() {
        return PostfixLoggerProvider.enabled(Level.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
        return PostfixLoggerProvider.enabled(Level.INFO);
    }

    @Override
    public boolean isWarnEnabled() {
        return PostfixLoggerProvider.enabled(Level.WARN);
    }

    @Override
    public boolean isErrorEnabled() {
        return PostfixLoggerProvider.enabled(Level.ERROR);
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
                                               Throwable thrown) {
        if (thrown == null && args != null && args.length > 0 && args[args.length - 1] instanceof Throwable t) {
            thrown = t;
            args = Arrays.copyOf(args, args.length - 1);
        }
        String message = args == null || args.length == 0 ? pattern : MessageFormatter.basicArrayFormat(pattern, args);
        PostfixLoggerProvider.appender().append(level, marker, message, thrown);
    }
}
