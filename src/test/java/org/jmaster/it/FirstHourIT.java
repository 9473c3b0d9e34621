package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end, issue 17: what a new operator sees in the first hour. {@code --check} says what start-up
 * says (a table of broken configurations), errors reach the terminal the operator looks at (a busy
 * port at a detached start, early fatals tagged with {@code syslog_name}), help that explains, a
 * missing configuration directory that suggests {@code -c}, the throttle column, and what
 * {@code --check} shows a child gets.
 */
class FirstHourIT {
    @TempDir
    Path tmp;

    /** A finished command: exit status and everything it printed (standard output and error together). */
    record Run(int rc, String out) {
        /** The texts after {@code <prefix>} on lines that have it, in order. */
        List<String> texts(String linePattern) {
            List<String> texts = new ArrayList<>();
            Matcher m = Pattern.compile(linePattern, Pattern.MULTILINE).matcher(out);
            while (m.find()) {
                texts.add(m.group(1));
            }
            return texts;
        }
    }

    static Run run(Map<String, String> env, Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(MasterProcess.REPO.resolve("master").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().remove("MAIL_CONFIG");
        pb.environment().putAll(env);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timeout: " + cmd);
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    static Run run(String... args) throws IOException, InterruptedException {
        return run(Map.of(), null, args);
    }

    /** A bad (or good) configuration: main.cf lines and master.cf lines; {@code why} is in every error. */
    record Case(String name, String mainCf, List<String> masterCf, String why) {}

    private static final String TERMINAL_ERROR = "^master: error: (.*)$";
    private static final String TERMINAL_FATAL = "^master: fatal: (?!daemon initialization failure)(.*)$";
    private static final String LOG_FATAL = "^[^\\s:]+/master\\[\\d+\\]: fatal: (.*)$";

    @Test
    void checkFailsExactlyWhenStartFailsWithTheSameMessages() throws Exception {
        int port = MasterProcess.freePort();
        String fake = port + " inet n n n - 1 fake mode=serve";
        List<Case> cases = List.of(
                new Case("bad transport type", "", List.of(fake, "x nosuchtype - - n - - fake"),
                        "master.cf: line 2: bad transport type: nosuchtype"),
                new Case("private inet", "", List.of(port + " inet - n n - 1 fake"),
                        "master.cf: line 1: inet service cannot be private"),
                new Case("non-loopback metrics", "master_metrics_listen = 192.0.2.1:9187", List.of(fake),
                        "is not a loopback address"),
                new Case("unknown control group", "master_control_group = no-such-group-17", List.of(fake),
                        "master_control_group: unknown group \"no-such-group-17\""),
                new Case("main.cf and master.cf both broken", "default_process_limit = lots",
                        List.of(fake, "y unix - - n - - "), "line "),
                new Case("unknown -M user", "", List.of(port + " inet n n n - 1 /bin/cat -M protocol=inetd"
                        + " -M user=no-such-user-17"), "unknown user \"no-such-user-17\""),
                new Case("no master.cf", "", null, "master.cf: cannot open file: No such file or directory"),
                new Case("a missing command is a warning", "", List.of(fake, "nosuch unix - n n - 1 nosuch"), null));
        for (Case c : cases) {
            Path dir = Files.createDirectories(tmp.resolve(c.name().replaceAll("\\W+", "-")));
            MasterProcess m = new MasterProcess(dir);
            m.mainCf(c.mainCf() + "\nmaillog_file = " + dir.resolve("maillog"));
            if (c.masterCf() != null) {
                m.masterCf(c.masterCf().toArray(String[]::new));
            }
            Run check = run("-c", m.conf.toString(), "--check");
            Run foreground = run("-c", m.conf.toString(), "-d", "-e", "1");
            Run detached = run("-c", m.conf.toString(), "-e", "1");
            if (detached.rc() == 0) {
                // the detached master leaves after its second
                await().atMost(Duration.ofSeconds(30)).until(() -> run("-c", m.conf.toString(), "-t").rc() == 0);
            }
            String as = c.name() + ":\n--check:\n" + check.out() + "\nstart:\n" + detached.out() + "\nstart -d:\n"
                    + foreground.out();
            assertThat(detached.rc()).as(as).isEqualTo(check.rc());
            assertThat(foreground.rc()).as(as).isEqualTo(check.rc());
            List<String> checked = check.texts(TERMINAL_ERROR);
            assertThat(detached.texts(TERMINAL_FATAL)).as(as).isEqualTo(checked);
            assertThat(foreground.texts(LOG_FATAL)).as(as).isEqualTo(checked);
            if (c.why() == null) {
                assertThat(check.rc()).as(as).isZero();
                assertThat(check.out()).as(as).contains("master: warning: " + m.conf.resolve("master.cf")
                        + ": line 2: service nosuch: cannot execute " + m.daemons.resolve("nosuch")
                        + ": No such file or directory; its children cannot start");
            } else {
                assertThat(check.rc()).as(as).isEqualTo(1);
                assertThat(checked).as(as).isNotEmpty().allMatch(t -> t.startsWith(m.conf.toString()))
                        .anyMatch(t -> t.contains(c.why()));
            }
        }
    }

    @Test
    void everyErrorOfBothFilesInOneRun() throws Exception {
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("default_process_limit = lots\nmaster_metrics_listen = 192.0.2.1:9187");
            m.masterCf("x nosuchtype - - n - - fake", "25 inet - n n - - fake");
            Run check = run("-c", m.conf.toString(), "--check");
            Path main = m.conf.resolve("main.cf");
            Path master = m.conf.resolve("master.cf");
            assertThat(check.rc()).isEqualTo(1);
            assertThat(check.texts(TERMINAL_ERROR)).containsExactly(
                    main + ", line 8: bad numerical configuration: default_process_limit = lots",
                    main + ", line 9: master_metrics_listen: \"192.0.2.1:9187\" is not a loopback address;"
                            + " metrics are not authenticated",
                    master + ": line 1: bad transport type: nosuchtype",
                    master + ": line 2: inet service cannot be private");
        }
    }

    @Test
    void aBusyPortAtADetachedStartTellsTheTerminalWhyAndWhereTheLogIs() throws Exception {
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = busy.getLocalPort();
            try (MasterProcess m = new MasterProcess(tmp)) {
                Path log = tmp.resolve("log/maillog");
                m.mainCf("maillog_file = " + log);
                m.masterCf("127.0.0.1:" + port + " inet n n n - 1 fake mode=serve");
                Run start = run("-c", m.conf.toString());
                assertThat(start.rc()).as(start.out()).isEqualTo(1);
                assertThat(start.out()).as("the daemon's own fatal line, then where its log is").isEqualTo(
                        "master: fatal: service 127.0.0.1:" + port + "([127.0.0.1]:" + port + "): bind 127.0.0.1:"
                                + port + ": Address already in use\n"
                                + "master: fatal: daemon initialization failure -- see " + log + " for details\n");
                assertThat(Files.readString(log)).contains("fatal: service 127.0.0.1:" + port);
            }
        }
    }

    @Test
    void earlyFatalsAreTaggedWithTheConfiguredSyslogName() throws Exception {
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("syslog_name = renamed");
            m.masterCf("x nosuchtype - - n - - fake");
            Run start = run("-c", m.conf.toString(), "-d");
            assertThat(start.rc()).isEqualTo(1);
            assertThat(start.out()).matches("renamed/master\\[\\d+\\]: fatal: " + Pattern.quote(m.conf.resolve("master.cf")
                    + ": line 1: bad transport type: nosuchtype") + "\n");
        }
    }

    @Test
    void helpExplainsEveryOptionAndEveryCommand() throws Exception {
        for (String flag : List.of("-h", "--help")) {
            Run help = run(flag);
            assertThat(help.rc()).as(help.out()).isZero();
            for (String option : List.of("-c DIR", "-d", "-D", "-e SECONDS", "-i", "-s", "-t", "-v", "-w", "--check",
                    "--json", "-h, --help")) {
                assertThat(help.out()).as(option).containsPattern("(?m)^  " + Pattern.quote(option) + " +\\S");
            }
            for (String command : List.of("status", "children", "reload", "stop", "abort", "check")) {
                assertThat(help.out()).as(command).containsPattern("(?m)^  " + command + " +\\S.{10,}$");
            }
        }
        Run bad = run("-x");
        assertThat(bad.rc()).isEqualTo(1);
        assertThat(bad.out()).startsWith("master: invalid option -- 'x'\nusage: master ").contains("master --help");
    }

    @Test
    void aBareMasterWithoutItsDefaultDirectorySuggestsDashC() throws Exception {
        assumeFalse(Files.exists(Path.of("/etc/jmaster")), "/etc/jmaster exists here");
        Run bare = run(Map.of(), tmp);
        assertThat(bare.rc()).isEqualTo(1);
        assertThat(bare.out()).isEqualTo("master: fatal: no configuration directory /etc/jmaster (the default):"
                + " give one with -c DIR (or MAIL_CONFIG=DIR), e.g. this tree's own: master -c "
                + MasterProcess.REPO.resolve("conf") + "\n");
        Run named = run("-c", tmp.resolve("nowhere").toString(), "--check");
        assertThat(named.rc()).isEqualTo(1);
        assertThat(named.out()).isEqualTo("master: fatal: configuration directory " + tmp.resolve("nowhere")
                + ": No such file or directory\n");
    }

    /** A service program run by hand, its log on standard error ({@code -V}); it stops at a bad {@code -o}. */
    private static Run service(Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(MasterProcess.REPO.resolve("services/smtpd").toString(), "-S", "-V",
                "-o", "max_use=lots").redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().remove("MAIL_CONFIG");
        pb.environment().remove("MAIL_LOGTAG");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    /**
     * The choice documented in services.md: a service run by hand without a configuration logs with
     * syslog_name's built-in default, Postfix's ({@code postfix/smtpd}); with one, with its syslog_name.
     */
    @Test
    void aServiceRunByHandLogsWithTheSyslogNameOfItsConfiguration() throws Exception {
        assumeFalse(Files.exists(Path.of("/etc/jmaster")), "/etc/jmaster exists here");
        Run bare = service(Map.of());
        assertThat(bare.rc()).isEqualTo(1);
        assertThat(bare.out()).containsPattern("(?m)^postfix/smtpd\\[\\d+\\]: fatal: ");
        Path conf = Files.createDirectories(tmp.resolve("conf"));
        Files.copy(MasterProcess.REPO.resolve("conf/main.cf"), conf.resolve("main.cf"));
        Run configured = service(Map.of("MAIL_CONFIG", conf.toString()));
        assertThat(configured.rc()).isEqualTo(1);
        assertThat(configured.out()).containsPattern("(?m)^jmaster/smtpd\\[\\d+\\]: fatal: ")
                .doesNotContain("postfix/smtpd");
    }

    @Test
    void checkShowsTheArgvUserAndDescriptorsEachChildGetsAndWarnsAboutCommands() throws Exception {
        int postfix = MasterProcess.freePort();
        int inetd = MasterProcess.freePort();
        int systemd = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            Path notExecutable = m.daemons.resolve("plain");
            Files.writeString(notExecutable, "#!/bin/sh\n");
            Files.setPosixFilePermissions(notExecutable, PosixFilePermissions.fromString("rw-r--r--"));
            m.masterCf(postfix + " inet n n n - 2 fake mode=serve",
                    inetd + " inet n n n - 2 /bin/cat -M protocol=inetd",
                    systemd + " inet n n n - 1 sdchild -v -M protocol=systemd -M stderr=null",
                    "gone unix - n n - 1 nosuch",
                    "plain unix - n n - 1 plain");
            Run check = run("-c", m.conf.toString(), "--check");
            assertThat(check.rc()).as(check.out()).isZero();
            String master = m.conf.resolve("master.cf").toString();
            assertThat(check.out()).contains(
                    "master: warning: " + master + ": line 4: service gone: cannot execute " + m.daemons.resolve("nosuch")
                            + ": No such file or directory; its children cannot start",
                    "master: warning: " + master + ": line 5: service plain: cannot execute " + notExecutable
                            + ": Permission denied (not executable); its children cannot start");
            assertThat(line(check, postfix)).contains(" fake -n " + postfix + " -t inet mode=serve    # "
                    + m.daemons.resolve("fake") + ", as uid=0(root); fds 0-2 the master's, 3-4 flow pipe,"
                    + " 5 status channel, 6 listener");
            assertThat(line(check, inetd)).contains(" /bin/cat    # /bin/cat, as uid=0(root);"
                    + " fds 0-1 the connection, 2 to the log");
            assertThat(line(check, systemd)).contains(" sdchild -v    # " + m.daemons.resolve("sdchild")
                    + ", as uid=0(root); fds 0-1 the master's, 2 /dev/null, 3 listener (LISTEN_FDS=1)");
            // start-up says the same warnings, in the log
            Run start = run("-c", m.conf.toString(), "-d", "-e", "1");
            assertThat(start.rc()).as(start.out()).isZero();
            assertThat(start.texts("^[^\\s:]+/master\\[\\d+\\]: warning: (.*)$"))
                    .containsAll(check.texts("^master: warning: (.*)$"));
        }
    }

    private static String line(Run check, int port) {
        return check.out().lines().filter(l -> l.startsWith(port + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + port + " in\n" + check.out()));
    }

    @Test
    void theThrottleColumnSaysTheTimeLeftAndKeepsItsWidth() throws Exception {
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("service_throttle_time = 60s");
            m.masterCf("crashy unix n n n - 1 fake mode=crash " + m.rec()).start();
            try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                    java.net.UnixDomainSocketAddress.of(m.queue.resolve("public/crashy")))) {
                m.awaitLog("bad command startup -- throttling for 60s");
            }
            Run status = run("-c", m.conf.toString(), "status");
            assertThat(status.rc()).as(status.out()).isZero();
            List<String> lines = status.out().lines().toList();
            String header = lines.stream().filter(l -> l.startsWith("service ")).findFirst().orElseThrow();
            String row = lines.stream().filter(l -> l.startsWith("crashy ")).findFirst().orElseThrow();
            assertThat(row).as(status.out()).containsPattern(" (1m0s|5\\ds) +public/crashy$");
            assertThat(row.indexOf("public/crashy")).as(status.out()).isEqualTo(header.indexOf("endpoints"));
        }
    }

    @Test
    void reloadAndStopGoThroughTheControlSocket() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 1 fake mode=serve").start();
            Run reload = run("-c", m.conf.toString(), "reload");
            assertThat(reload.rc()).as(reload.out()).isZero();
            assertThat(reload.out()).isEqualTo("reloaded jmaster (pid " + m.pid() + ")\n");
            m.awaitLog("reload -- version");
            Run stop = run("-c", m.conf.toString(), "stop");
            assertThat(stop.rc()).as(stop.out()).isZero();
            assertThat(stop.out()).isEqualTo("stopped jmaster (pid " + m.pid() + ")\n");
            assertThat(m.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Waits for {@code file} to contain {@code text}. */
    static void awaitText(Path file, String text) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.exists(file) && Files.readString(file).contains(text));
    }

    static Map<String, String> env(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
