package org.jmaster.log;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Marker;
import org.slf4j.event.Level;

/** Formats SLF4J events the way Postfix's msg(3) does and hands them to every configured sink. */
final class PostfixAppender {
    private final List<LogSink> sinks = new CopyOnWriteArrayList<>();
    private volatile String tag = "master";
    private final List<LogSink> observers = new CopyOnWriteArrayList<>();
    private final long pid = ProcessHandle.current().pid();

    void setTag(String tag) {
        this.tag = tag;
    }

    String tag() {
        return tag;
    }

    /** A sink that also gets every line, whatever the configured sinks are. */
    void addObserver(LogSink observer) {
        observers.add(observer);
    }

    void removeObserver(LogSink observer) {
        observers.remove(observer);
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

    /** One event, one line per line of its text, to every sink; events of several threads do not mix. */
    synchronized void append(Level level, Marker marker, String message, Throwable thrown) {
        if (thrown != null) {
            message = message + ": " + thrown;
        }
        String prefix;
        int severity;
        if (level == Level.ERROR) {
            if (hasMarker(marker, Severity.PANIC)) {
                prefix = "panic: ";
                severity = 2;
            } else if (hasMarker(marker, Severity.FATAL)) {
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
        for (String line : (prefix + message).split("\n", -1)) {
            for (LogSink sink : sinks) {
                sink.write(severity, tagNow, pid, line);
            }
            for (LogSink watcher : observers) {
                watcher.write(severity, tagNow, pid, line);
            }
        }
    }

    private static boolean hasMarker(Marker marker, Marker wanted) {
        return marker != null && marker.contains(wanted);
    }
}
