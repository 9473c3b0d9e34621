package org.jmaster.server;

import java.io.IOException;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.jmaster.conf.ConfigDirectory;
import org.jmaster.conf.ConfigError;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.MainConfig;
import org.jmaster.log.MasterLog;
import org.jmaster.log.Severity;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Processes;
import org.jmaster.nativ.SyslogSocket;
import org.jmaster.nativ.Users;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up of a Java service process, shared by the three skeletons, and the plumbing it
 * leaves them. In order: the log tag; the options (§3.7); main.cf from {@code MAIL_CONFIG} over
 * the service's defaults, with {@code -o} on top; logging as main.cf says; {@code GENERATION};
 * the working directory {@code queue_directory}; {@code max_idle}/{@code max_use}; the status
 * channel (fd 5) and listeners (6…); the accept lock; {@code -D}; the SIGTERM handler; the
 * service's pre-jail hook; chroot and privilege drop; the post-jail hook. Anything wrong is a
 * {@code fatal:} line and exit status 1.
 */
final class ServerRuntime {
    private static final Logger log = LoggerFactory.getLogger(ServerRuntime.class);

    final ServerContext context;
    final MasterStatus status;
    final InheritedListeners listeners;
    final AcceptLock lock;
    final StopSignal stop;
    final Lifetime lifetime;

    ServerRuntime(ServerContext context, MasterStatus status, InheritedListeners listeners, AcceptLock lock,
                          StopSignal stop, Lifetime lifetime) {
        this.context = context;
        this.status = status;
        this.listeners = listeners;
        this.lock = lock;
        this.stop = stop;
        this.lifetime = lifetime;
    }

    /**
     * Starts the process and runs {@code loop} on it; exits 0 when the loop returns, 1 after a
     * fatal error. Never returns.
     */
    static void run(String program, String optstring, String[] args, ServiceHooks hooks, Set<String> transports,
                    Consumer<ServerRuntime> loop) {
        int status = 0;
        try {
            loop.accept(start(program, optstring, args, hooks, transports));
        } catch (ServerFatal e) {
            log.error(Severity.FATAL, "{}", e.getMessage());
            status = 1;
        } catch (Throwable t) {
            log.error(Severity.FATAL, "{}", unexpected(t));
            status = 1;
        }
        System.exit(status);
    }

    static ServerRuntime start(String program, String optstring, String[] args, ServiceHooks hooks,
                               Set<String> transports) {
        String envTag = System.getenv("MAIL_LOGTAG");
        MasterLog.setTag((envTag == null || envTag.isEmpty() ? "postfix" : envTag) + "/" + program);
        ServerOptions options = null;
        ServerOptions.UsageException usage = null;
        try {
            options = ServerOptions.parse(args, optstring);
        } catch (ServerOptions.UsageException e) {
            usage = e;
        }
        MainConfig config = loadConfig(program, hooks, options);
        configureLogging(program, config, options);
        if (usage != null) {
            throw new ServerFatal(usage.getMessage());
        }
        for (ConfigError w : config.warnings()) {
            log.debug("{}", w); // the master has logged these already
        }
        StopSignal stop = new StopSignal();
        ServerContext ctx = new ServerContext(program, options, config, generation());
        chdir(ctx.queueDirectory());
        Lifetime lifetime = new Lifetime(ctx.timeParameter("max_idle", 1), ctx.intParameter("max_use", 1),
                options.retireSeconds());
        MasterStatus status;
        InheritedListeners listeners;
        AcceptLock lock;
        if (options.standalone()) {
            status = MasterStatus.disabled();
            listeners = null;
            lock = AcceptLock.none();
        } else {
            status = MasterStatus.open(Processes.getpid(), ctx.generation());
            listeners = InheritedListeners.open(options.transport(), options.socketCount(), transports);
            lock = options.solitary() ? AcceptLock.none() : AcceptLock.open(lockPath(ctx));
        }
        if (options.debugger() || System.getenv("MAIL_DEBUG") != null) {
            DebuggerCommand.run(ctx);
        }
        stop.install();
        init("pre-jail", () -> hooks.preJailInit(ctx));
        if (options.chroot()) {
            // time zone rules and similar lazily read files must be in memory before the jail hides them
            ZoneId.systemDefault().getRules();
        }
        Privileges.enter(ctx, hooks);
        init("post-jail", () -> hooks.postJailInit(ctx));
        if (log.isDebugEnabled()) {
            log.debug("{}: service {} transport {} listeners {} generation {} uid {}", program, ctx.serviceName(),
                    ctx.transport(), listeners == null ? 0 : listeners.count(), ctx.generation(), Users.geteuid());
        }
        lifetime.idleFromNow();
        return new ServerRuntime(ctx, status, listeners, lock, stop, lifetime);
    }

    private static MainConfig loadConfig(String program, ServiceHooks hooks, ServerOptions options) {
        Path configDir = Path.of(ConfigDirectory.fromMailConfig(System.getenv("MAIL_CONFIG")));
        Map<String, String> defaults = new LinkedHashMap<>(hooks.parameterDefaults());
        defaults.put("process_name", program);
        String home = System.getProperty("jmaster.home");
        if (home != null && !home.isEmpty()) {
            defaults.put("daemon_directory", Path.of(home, "services").toString());
        }
        try {
            MainConfig config = MainConfig.load(configDir, defaults);
            return options == null ? config : config.withOverrides(options.overrides());
        } catch (ConfigException e) {
            for (int i = 0; i < e.errors().size() - 1; i++) {
                log.error(Severity.FATAL, "{}", e.errors().get(i));
            }
            throw new ServerFatal(e.errors().get(e.errors().size() - 1).toString());
        }
    }

    private static void configureLogging(String program, MainConfig config, ServerOptions options) {
        boolean verbose = options != null && options.verbose() > 0;
        boolean stderr = options != null && (options.foreground() || options.stderrLog());
        MasterLog.Settings s = new MasterLog.Settings(config.get("syslog_name") + "/" + program, verbose, stderr,
                config.get("maillog_file"), config.get("syslog_facility"), config.get("myhostname"));
        for (String w : MasterLog.configure(s, SyslogSocket::open)) {
            log.warn("{}", w);
        }
    }

    /** {@code GENERATION}: octal digits; absent means 0 (protocol doc §3.4). */
    private static long generation() {
        String g = System.getenv("GENERATION");
        if (g == null) {
            return 0;
        }
        if (g.isEmpty() || !g.chars().allMatch(c -> c >= '0' && c <= '7') || g.length() > 11) {
            throw new ServerFatal("bad generation: " + g);
        }
        long v = Long.parseLong(g, 8);
        if (v > 0xFFFF_FFFFL) {
            throw new ServerFatal("bad generation: " + g);
        }
        return v;
    }

    private static void chdir(Path dir) {
        try {
            Users.chdir(dir.toString());
        } catch (NativeException e) {
            throw new ServerFatal(e.getMessage());
        }
    }

    /** {@code $queue_directory/pid/<transport>.<service>} (protocol doc §3.12). */
    private static String lockPath(ServerContext ctx) {
        String name = ctx.serviceName().replace('/', '_');
        return ctx.queueDirectory().resolve("pid").resolve(ctx.transport() + "." + name).toString();
    }

    private interface Init {
        void run() throws Exception;
    }

    private static void init(String what, Init hook) {
        try {
            hook.run();
        } catch (ServerFatal | Error e) {
            throw e;
        } catch (IOException e) {
            throw new ServerFatal(what + " initialization: " + e.getMessage(), e);
        } catch (Exception e) {
            throw new ServerFatal(what + " initialization: " + unexpected(e), e);
        }
    }

    /** An exception no one expected, with where it came from (the log keeps one line per event). */
    static String unexpected(Throwable t) {
        StringBuilder b = new StringBuilder("unexpected ").append(t);
        StackTraceElement[] trace = t.getStackTrace();
        int shown = 0;
        for (StackTraceElement e : trace) {
            if (shown == 4) {
                break;
            }
            b.append(shown == 0 ? " at " : " < ").append(e.getClassName().replaceFirst("^org\\.jmaster\\.", ""))
                    .append('.').append(e.getMethodName()).append(':').append(e.getLineNumber());
            shown++;
        }
        return b.toString();
    }

    /** Serves nothing more: drop what we hold and end the process, by SIGTERM when one was asked for. */
    void stopNow() {
        stop.die();
    }
}
