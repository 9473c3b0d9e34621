package org.jmaster.server;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.jmaster.conf.ConfigError;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.MainConfig;
import org.jmaster.nativ.Users;

/**
 * What a running service knows about itself: its program and service name, transport, options,
 * its main.cf view (built-in defaults of the service, main.cf, then {@code -o}), its generation,
 * and where it lives. Typed parameter getters turn a bad value into a {@link ServerFatal} that
 * names where the value came from. Immutable but for the jail flag, which the runtime sets once.
 */
public final class ServerContext {
    private final String program;
    private final ServerOptions options;
    private final MainConfig config;
    private final long generation;
    private final Path queueDirectory;
    private volatile boolean jailed;
    private Optional<Users.Passwd> dropsTo;

    ServerContext(String program, ServerOptions options, MainConfig config, long generation) {
        this.program = program;
        this.options = options;
        this.config = config;
        this.generation = generation;
        this.queueDirectory = Path.of(config.get("queue_directory")).toAbsolutePath().normalize();
    }

    /** The program name, e.g. {@code smtpd}: the log tag's second half and {@code process_name}. */
    public String program() {
        return program;
    }

    /** The service name: {@code -n}, else the program name (protocol doc §3.6). */
    public String serviceName() {
        return options.serviceName() != null ? options.serviceName() : program;
    }

    /** {@code -t}: inet, unix, unix-dgram, fifo, pass; {@code "stdin"} in stand-alone mode. */
    public String transport() {
        return options.standalone() ? "stdin" : options.transport();
    }

    public ServerOptions options() {
        return options;
    }

    /** main.cf with the service's defaults below it and {@code -o} on top. */
    public MainConfig config() {
        return config;
    }

    /** The generation the master gave this process ({@code GENERATION}, octal), 0 without one. */
    public long generation() {
        return generation;
    }

    /** {@code queue_directory}, absolute, as seen from outside any chroot. */
    public Path queueDirectory() {
        return queueDirectory;
    }

    /** {@code myhostname}. */
    public String hostname() {
        return config.get("myhostname");
    }

    public boolean verbose() {
        return options.verbose() > 0;
    }

    /**
     * The user this process becomes when it drops privileges: {@code mail_owner} with {@code -u}
     * when running as root; empty otherwise (it stays who it is). A pre-jail hook uses this to give
     * what it creates to that user.
     */
    public synchronized Optional<Users.Passwd> dropsTo() {
        if (dropsTo == null) {
            dropsTo = options.unprivileged() && Users.geteuid() == 0
                    ? Optional.of(Privileges.mailOwner(this)) : Optional.empty();
        }
        return dropsTo;
    }

    /** True after the runtime has chrooted to {@code queue_directory} ({@code -c}). */
    public boolean jailed() {
        return jailed;
    }

    void enterJail() {
        jailed = true;
    }

    /**
     * A path to use for {@code outside} (absolute, as configured) from this process, before or
     * after the jail: relative to the working directory, which is {@code queue_directory} both
     * outside a chroot and at the root of one, when it lies below {@code queue_directory}; else
     * unchanged, which a chrooted process cannot reach (a {@link ServerFatal} says so).
     */
    public Path localPath(String parameter, String outside) {
        Path p = Path.of(outside).toAbsolutePath().normalize();
        if (p.startsWith(queueDirectory) && !p.equals(queueDirectory)) {
            return queueDirectory.relativize(p);
        }
        if (p.equals(queueDirectory)) {
            return Path.of(".");
        }
        if (options.chroot()) {
            throw new ServerFatal(parameter + " = " + outside + " is outside queue_directory (" + queueDirectory
                    + "), which this chrooted service cannot reach");
        }
        return p;
    }

    /** A parameter's expanded value. */
    public String parameter(String name) {
        return config.get(name);
    }

    /** An integer parameter, at least {@code min}. */
    public int intParameter(String name, int min) {
        try {
            int v = config.getInt(name);
            if (v < min) {
                throw bad(name, "invalid " + name + " parameter value " + v + " < " + min);
            }
            return v;
        } catch (ConfigException e) {
            throw bad(name, e);
        }
    }

    /** A time parameter in seconds ({@code 30}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 2d}), at least {@code min}. */
    public long timeParameter(String name, long min) {
        try {
            long v = config.getTimeSeconds(name);
            if (v < min) {
                throw bad(name, "invalid " + name + " parameter value " + v + "s < " + min + "s");
            }
            return v;
        } catch (ConfigException e) {
            throw bad(name, e);
        }
    }

    /** A list parameter (commas and/or whitespace; {@code { a b }} is one element). */
    public List<String> listParameter(String name) {
        return config.getList(name);
    }

    private ServerFatal bad(String name, ConfigException e) {
        ConfigError first = e.errors().get(0);
        return bad(name, first.text());
    }

    /** Names where a bad value came from: {@code -o name=value}, main.cf's line, or the built-in default. */
    private ServerFatal bad(String name, String text) {
        if (options.overrides().containsKey(name)) {
            return new ServerFatal("-o " + name + "=" + options.overrides().get(name) + ": " + text);
        }
        if (config.isSet(name)) {
            return new ServerFatal(new ConfigError(config.file(), config.line(name), text).toString());
        }
        return new ServerFatal("default " + name + " = " + config.raw(name) + ": " + text);
    }
}
