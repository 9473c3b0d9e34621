package org.jmaster.conf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Helpers: parse main.cf and master.cf texts with fixed paths and a fixed services table. */
final class TestConf {

    static final Path DIR = Path.of("/etc/jmaster-test");
    static final Path MAIN = DIR.resolve("main.cf");
    static final Path MASTER = DIR.resolve("master.cf");

    /** A small stand-in for /etc/services, so tests do not depend on the machine. */
    static final Map<String, Integer> SERVICES = Map.of("smtp", 25, "submission", 587, "pop3", 110,
            "imap", 143, "http", 80, "ssh", 22);

    /** main.cf lines (settings, a continued value, a comment, nothing) that the fuzz and property tests join and mutate. */
    static final List<String> MAIN_SAMPLES = List.of(
            "compatibility_level = 3.6", "default_process_limit = 50", "service_throttle_time = 10s", "max_idle = 2m",
            "inet_protocols = ipv4, ipv6", "inet_interfaces = loopback-only", "master_service_disable = !smtp/inet, inet",
            "known_tcp_ports = lmtp=24, smtp=25, smtps=submissions=465", "import_environment = MAIL_CONFIG { TZ = UTC } LANG=C",
            "syslog_name = ${multi_instance_name?{$multi_instance_name}:{postfix}}",
            "x = ${{$compatibility_level} <level {1} ? {a} : {b}}", "y = $x$(x)${x:z}$$", "z = ${y?{1}:{2}}",
            "debugger_command =\n\t PATH=/bin\n\t ddd $daemon_directory/$process_name $process_id & sleep 5",
            "master_nice = -5", "tcp_windowsize = 0", "master_cf_size_limit = 2000000", "# comment", "");

    /** master.cf entries of every type and attribute kind, for the same tests. */
    static final List<String> MASTER_SAMPLES = List.of(
            "smtp      inet  n       -       y       -       -       smtpd",
            "pickup    unix  n       -       y       60      1       pickup",
            "tlsmgr    unix  -       -       y       1000?   1       tlsmgr",
            "postlog   unix-dgram n  -       n       -       1       postlogd",
            "127.0.0.1:20025 inet n  -       n       -       -       fake -o { foo = bar baz } { spaced arg }",
            "[::1]:submission inet n - n - 4 smtpd -M protocol=inetd -M { refuse_reply = 421 busy }",
            "[ipv6:::1]:25 inet n - n - 2 smtpd -M source_prefix=24/56 -M rate=10/1m -M env={A=1 B=2}",
            "pst pass n - n - 2 fake mode=slow -M prefork=2 -M max_spare=4 -M umask=022 -M nice=-3",
            "fifo1 fifo n - n 10 1 fake -M rlimit_as=2g -M stderr=log -M groups={a, 4} -M fdname=a:b",
            "relay     unix  -       -       y       -       -       smtp\n  -o syslog_name=postfix/$service_name",
            "maildrop  unix  -       n       n       -       -       pipe\n  flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}",
            "# comment", "   ", "");

    private TestConf() {}

    static MainConfig main(String text) throws ConfigException {
        return MainConfig.parse(MAIN, text, DIR, Map.of());
    }

    /** main.cf with a modern compatibility level, so chroot "-" means n. */
    static MainConfig modernMain() {
        try {
            return main("compatibility_level = 3.6\n");
        } catch (ConfigException e) {
            throw new AssertionError(e);
        }
    }

    static ServiceTable table(String master) throws ConfigException {
        return table(master, modernMain());
    }

    static ServiceTable table(String master, MainConfig main) throws ConfigException {
        TcpPorts ports = TcpPorts.of(main.knownTcpPorts(), SERVICES::get);
        return ServiceTable.parse(MASTER, master, main, ports);
    }

    /**
     * Calls every accessor of a parsed entry and of its attributes, as the master will: none may
     * throw, whatever the text was (the values are each test's business).
     */
    static void useEveryAccessor(ServiceEntry e) {
        assertThat(e.childArgv(true, true, 2, true, true)).isNotEmpty();
        e.execPath(Path.of("/d"));
        e.parameterOverrides();
        e.attributes().asMap().keySet().forEach(name -> {
            e.attributes().getInt(name);
            e.attributes().getList(name);
            e.attributes().getLimit(name);
            e.attributes().getRate(name);
        });
        e.attributes().env();
        e.attributes().umask();
    }

    static ServiceEntry entry(String line) throws ConfigException {
        return table(line).services().get(0);
    }

    /** The errors of a master.cf text that must fail. */
    static java.util.List<ConfigError> errors(String master) {
        return errors(master, modernMain());
    }

    static java.util.List<ConfigError> errors(String master, MainConfig main) {
        try {
            table(master, main);
        } catch (ConfigException e) {
            return e.errors();
        }
        throw new AssertionError("expected a ConfigException for:\n" + master);
    }

    static java.util.List<ConfigError> mainErrors(String text) {
        try {
            main(text);
        } catch (ConfigException e) {
            return e.errors();
        }
        throw new AssertionError("expected a ConfigException for:\n" + text);
    }
}
