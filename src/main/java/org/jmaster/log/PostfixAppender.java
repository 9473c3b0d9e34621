package org.jmaster.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Marker;

/** Formats SLF4J events the way Postfix's msg(3) does and hands them to every configured sink. */
final class PostfixAppender extends AppenderBase<ILoggingEvent> {
    private final List<LogSink> sinks = new CopyOnWriteArrayList<>();
    private volatile String tag = "master";
    private volatile LogSink observer;
    private final long pid = ProcessHandle.current().pid();

    void setTag(String tag) {
        this.tag = tag;
    }

    String tag() {
        return tag;
    }

    /** A sink that also gets every line, whatever the configured sinks are; null: none. */
    void setObserver(LogSink observer) {
        this.observer = observer;
    }

    /** Whether standard error is among the configured sinks. */
    boolean writesToStderr() {
        return sinks.stream().anyMatch(s -> s instanceof StderrSink);
    }

    void replaceSinks(List<LogSink> replacement) {
        List<LogSink> old = List.copyOf(sinks);
        sinks.clear();
        sinks.addAll(replacement);
        for (LogSink s : old) {
            if (!replacement.contains(s)) {
                s.close();
            }
        }
    }

    @Override
    protected void append(ILoggingEvent event) {
        String message = event.getFormattedMessage();
        Throwable thrown = event.getThrowableProxy() == null ? null
                : ((ch.qos.logback.classic.spi.ThrowableProxy) event.getThrowableProxy()).getThrowable();
        if (thrown != null) {
            message = message + ": " + thrown;
        }
        String prefix;
        int severity;
        Level level = event.getLevel();
        if (level == Level.ERROR) {
            if (hasMarker(event, Severity.PANIC)) {
                prefix = "panic: ";
                severity = 2;
            } else if (hasMarker(event, Severity.FATAL)) {
                prefix = "fatal: ";
                severity = 2;
            } else {
                prefix = "error: ";
                severity = 3;
            }
        } else if (level == Level.WARN) {
            prefix = "warning: ";
            severity = 4;
        } else if (level == Level.INFO) {
            prefix = "";
            severity = 6;
        } else {
            prefix = "";
            severity = 7;
        }
        String tagNow = tag;
        LogSink watcher = observer;
        for (String line : (prefix + message).split("\n", -1)) {
            for (LogSink sink : sinks) {
                sink.write(severity, tagNow, pid, line);
            }
            if (watcher != null) {
                watcher.write(severity, tagNow, pid, line);
            }
        }
    }

    private static boolean hasMarker(ILoggingEvent event, Marker wanted) {
        List<Marker> markers = event.getMarkerList();
        return markers != null && markers.contains(wanted);
    }
}
