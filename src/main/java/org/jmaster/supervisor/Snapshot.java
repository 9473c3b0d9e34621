package org.jmaster.supervisor;

import java.util.List;

/**
 * An immutable picture of the master's books, taken on the loop thread, for the control socket,
 * {@code status}, and metrics. Field names are the stable JSON names documented in
 * {@code docs/operations.md}.
 */
public record Snapshot(long pid, long startedAtMillis, long uptimeSeconds, String version, String configDirectory,
                       long generation, long reloads, long spawns, boolean shuttingDown,
                       List<ServiceView> services, List<ChildView> children, long binaryGeneration,
                       String upgrade, long canaryEndsAtMillis) {

    /** One service. */
    public record ServiceView(String name, String id, String type, List<String> endpoints, int maxproc,
                              int wakeup, int children, int idle, int busy, long spawns, long exitsNormal,
                              long exitsStatus, long exitsSignal, long throttles, long statusFrames,
                              boolean throttled, long throttleRetryAtMillis, String lastError,
                              long lastErrorAtMillis, String command, String protocol, boolean probing,
                              java.util.Map<String, Long> refusals) {}

    /** One child process. */
    public record ChildView(long pid, String service, String state, int uses, long ageMillis, long generation,
                            boolean retiring) {}
}
