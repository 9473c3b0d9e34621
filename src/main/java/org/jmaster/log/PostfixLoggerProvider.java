package org.jmaster.log;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * jmaster's SLF4J 2 provider (found through {@code META-INF/services}): every logger hands its
 * events to the one {@link PostfixAppender}, which formats them the way Postfix's msg(3) does and
 * writes them to the configured sinks. One level for every logger (INFO, or DEBUG with
 * {@code -v}); until {@link MasterLog#configure} runs, lines go to standard error.
 *
 * <p>It replaces Logback, of which the master used one appender and one level: Logback's ~55
 * classes and its context were loaded and initialised by every master, command and Java service
 * at start-up (issue 14). SLF4J stays the API.
 */
public final class PostfixLoggerProvider implements SLF4JServiceProvider {
    /** The SLF4J API version this provider is written against. */
    public static final String REQUESTED_API_VERSION = "2.0.99";

    private static final PostfixAppender APPENDER = new PostfixAppender();
    private static volatile int threshold = Level.INFO.toInt();

    static {
        APPENDER.replaceSinks(java.util.List.of(new StderrSink()));
    }

    private final ILoggerFactory loggers = PostfixLogger::named;
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    /** The appender every logger writes to. */
    static PostfixAppender appender() {
        return APPENDER;
    }

    /** Sets the one level of every logger. */
    static void setLevel(Level level) {
        threshold = level.toInt();
    }

    /** Whether events of {@code level} are written. */
    static boolean enabled(Level level) {
        return level.toInt() >= threshold;
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return REQUESTED_API_VERSION;
    }

    @Override
    public void initialize() {
        // everything is ready from class initialisation on
    }
}
