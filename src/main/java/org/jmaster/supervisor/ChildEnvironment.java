package org.jmaster.supervisor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The environment every child starts from (protocol doc §3.5): the master's own environment plus
 * {@code MAIL_CONFIG} and {@code MAIL_LOGTAG}, filtered once at start-up by
 * {@code import_environment}; {@code POSTLOG_SERVICE}/{@code POSTLOG_HOSTNAME} follow
 * {@code maillog_file} and are refreshed on reload, as is {@code MAIL_LOGTAG}. Each child adds
 * {@code GENERATION} in octal. Immutable.
 */
final class ChildEnvironment {
    private final Map<String, String> base;

    private ChildEnvironment(Map<String, String> base) {
        this.base = base;
    }

    /** clean_env at start-up: keep {@code name} when set, set {@code name=value} items. */
    static ChildEnvironment startup(Map<String, String> processEnv, MasterSettings s) {
        Map<String, String> env = new LinkedHashMap<>(processEnv);
        env.put("MAIL_CONFIG", s.configDirectory().toString());
        env.put("MAIL_LOGTAG", s.syslogName());
        Map<String, String> kept = new LinkedHashMap<>();
        for (String item : s.importEnvironment()) {
            int eq = item.indexOf('=');
            if (eq > 0) {
                kept.put(item.substring(0, eq).trim(), item.substring(eq + 1).trim());
            } else if (env.containsKey(item)) {
                kept.put(item, env.get(item));
            }
        }
        return new ChildEnvironment(kept).refreshed(s);
    }

    /** The per-reload refresh of the logging variables. */
    ChildEnvironment refreshed(MasterSettings s) {
        Map<String, String> env = new LinkedHashMap<>(base);
        env.put("MAIL_LOGTAG", s.syslogName());
        if (s.maillogFile().isEmpty()) {
            env.remove("POSTLOG_SERVICE");
            env.remove("POSTLOG_HOSTNAME");
        } else {
            env.put("POSTLOG_SERVICE", s.queueDirectory().resolve("public").resolve(s.postlogServiceName()).toString());
            env.put("POSTLOG_HOSTNAME", s.myhostname());
        }
        return new ChildEnvironment(env);
    }

    /** {@code NAME=value} strings for one child. */
    List<String> forChild(long generation) {
        List<String> out = new ArrayList<>(base.size() + 1);
        base.forEach((k, v) -> out.add(k + "=" + v));
        out.add("GENERATION=" + Long.toOctalString(generation));
        return out;
    }

    /** {@code NAME=value} strings plus {@code extra}, without Postfix's {@code GENERATION}. */
    List<String> plus(Map<String, String> extra) {
        Map<String, String> env = new LinkedHashMap<>(base);
        env.putAll(extra);
        List<String> out = new ArrayList<>(env.size());
        env.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    Map<String, String> asMap() {
        return Map.copyOf(base);
    }
}
