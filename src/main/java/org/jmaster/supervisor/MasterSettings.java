package org.jmaster.supervisor;

import java.nio.file.Path;
import java.util.List;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.MainConfig;

/**
 * The main.cf values the supervisor acts on, read once per (re)load so that the loop never parses
 * text. Immutable.
 */
record MasterSettings(Path configDirectory, Path queueDirectory, Path daemonDirectory, int defaultProcessLimit,
                      long throttleSeconds, long throttleMaxSeconds,
                      long shutdownGraceSeconds, List<String> inetInterfaces, List<String> inetProtocols,
                      int tcpWindowSize, String mailOwner, String syslogName, String maillogFile,
                      String postlogServiceName, String myhostname, List<String> importEnvironment,
                      int maxUse, long canarySeconds, long upgradeTimeoutSeconds) {

    static MasterSettings from(MainConfig main) throws ConfigException {
        return new MasterSettings(
                Path.of(main.get("config_directory")),
                Path.of(main.get("queue_directory")),
                Path.of(main.get("daemon_directory")),
                main.getInt("default_process_limit"),
                main.getTimeSeconds("service_throttle_time"),
                main.getTimeSeconds("service_throttle_max_time"),
                main.getTimeSeconds("master_shutdown_grace_time"),
                main.getList("inet_interfaces"),
                main.getList("inet_protocols"),
                main.getInt("tcp_windowsize"),
                main.get("mail_owner"),
                main.get("syslog_name"),
                main.get("maillog_file"),
                main.get("postlog_service_name"),
                main.get("myhostname"),
                main.getList("import_environment"),
                main.getInt("max_use"),
                main.getTimeSeconds("master_reload_canary_time"),
                main.getTimeSeconds("master_upgrade_timeout"));
    }
}
