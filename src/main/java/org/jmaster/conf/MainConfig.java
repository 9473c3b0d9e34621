package org.jmaster.conf;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * main.cf (protocol doc §2.1, §2.2): {@code name = value} settings stored raw and expanded when
 * read, over built-in defaults.
 *
 * <p>Immutable and thread-safe. A successful {@link #load} has already validated every parameter
 * jmaster knows (type, range, expansion) and the expansion of every other setting, so
 * {@link #get} never fails afterwards; the typed getters still throw for names whose values they
 * cannot convert. {@code config_directory} is always the directory the file was read from.
 *
 * <p>Every input is bounded: main.cf is read only up to {@link #MAIN_CF_SIZE_LIMIT} bytes (a larger
 * file is an error naming it and its size, and is never held in memory whole), and all the
 * {@code $name} expansions of one load share one {@link Expander.Budget}.
 */
public final class MainConfig {

    /** File name of main.cf inside the configuration directory. */
    public static final String FILE_NAME = "main.cf";
    /**
     * The largest main.cf, in bytes. Fixed: main.cf is read before any of its settings; master.cf's
     * limit is the parameter {@code master_cf_size_limit}.
     */
    public static final long MAIN_CF_SIZE_LIMIT = 1L << 20;
    /** At most this many errors, and as many warnings, are reported per file; then a count of the rest. */
    static final int MAX_REPORTED = 100;

    private final Path file;
    private final Path configDir;
    private final Map<String, String> defaults;
    private final Map<String, String> settings;
    private final Map<String, Integer> lines;
    private final List<ConfigError> warnings;
    private final Map<String, String> expanded = new ConcurrentHashMap<>();

    private MainConfig(Path file, Path configDir, Map<String, String> defaults, Map<String, String> settings,
                       Map<String, Integer> lines, List<ConfigError> warnings) {
        this.file = file;
        this.configDir = configDir;
        this.defaults = defaults;
        this.settings = settings;
        this.lines = lines;
        this.warnings = warnings;
    }

    /**
     * Reads {@code configDir/main.cf}. A missing file is not an error: every parameter has its
     * default. {@code compiledDefaults} replace built-in defaults (e.g. {@code daemon_directory},
     * {@code mail_version}).
     */
    public static MainConfig load(Path configDir, Map<String, String> compiledDefaults) throws ConfigException {
        Read read = read(configDir, compiledDefaults);
        if (!read.ok()) {
            throw new ConfigException(read.errors());
        }
        return read.config();
    }

    /**
     * main.cf read for validation: the configuration and every error of the file. When the file
     * has errors, {@code config} is the file with each broken setting back at its default (all of
     * them, when the file could not be read at all), so that what depends on main.cf (master.cf,
     * the log tag) can still be checked and reported in the same run; it is never run.
     */
    public record Read(MainConfig config, List<ConfigError> errors) {
        public Read {
            errors = List.copyOf(errors);
        }

        public boolean ok() {
            return errors.isEmpty();
        }
    }

    /** {@link #load}, without throwing: see {@link Read}. */
    public static Read read(Path configDir, Map<String, String> compiledDefaults) {
        Path file = configDir.resolve(FILE_NAME);
        String text;
        try {
            text = readText(file, MAIN_CF_SIZE_LIMIT, "the limit for main.cf");
        } catch (NoSuchFileException e) {
            text = "";
        } catch (IOException e) {
            return new Read(defaultsOnly(file, configDir, compiledDefaults),
                    List.of(ConfigError.ofFile(file, "cannot open file: " + reason(e))));
        } catch (ConfigException e) {
            return new Read(defaultsOnly(file, configDir, compiledDefaults), e.errors());
        }
        try {
            return new Read(parse(file, text, configDir, compiledDefaults), List.of());
        } catch (ConfigException e) {
            return new Read(withoutBrokenSettings(file, text, configDir, compiledDefaults, e.errors()), e.errors());
        }
    }

    private static MainConfig defaultsOnly(Path file, Path configDir, Map<String, String> compiledDefaults) {
        try {
            return parse(file, "", configDir, compiledDefaults);
        } catch (ConfigException impossible) {
            throw new IllegalStateException("the built-in defaults do not validate: " + impossible.getMessage());
        }
    }

    /**
     * The file's settings without those named by {@code errors} (by line), validated again until
     * nothing is left to drop; the defaults alone when that does not converge.
     */
    private static MainConfig withoutBrokenSettings(Path file, String text, Path configDir,
                                                    Map<String, String> compiledDefaults, List<ConfigError> errors) {
        Set<Integer> broken = new HashSet<>();
        List<ConfigError> now = errors;
        for (int round = 0; round < 3; round++) {
            now.forEach(e -> broken.add(e.line()));
            if (broken.contains(0)) {
                break; // a whole-file problem, or one no setting can be blamed for
            }
            try {
                return parse(file, text, configDir, compiledDefaults, broken);
            } catch (ConfigException e) {
                now = e.errors();
            }
        }
        return defaultsOnly(file, configDir, compiledDefaults);
    }

    /** Parses main.cf text as if read from {@code file}; see {@link #load}. */
    public static MainConfig parse(Path file, String text, Path configDir, Map<String, String> compiledDefaults)
            throws ConfigException {
        return parse(file, text, configDir, compiledDefaults, Set.of());
    }

    /** {@link #parse}, ignoring the logical lines that start at {@code skipLines}. */
    private static MainConfig parse(Path file, String text, Path configDir, Map<String, String> compiledDefaults,
                                    Set<Integer> skipLines) throws ConfigException {
        Path dir = configDir.toAbsolutePath().normalize();
        Map<String, String> defaults = new LinkedHashMap<>(Parameters.builtinDefaults());
        defaults.putAll(compiledDefaults);
        defaults.put("config_directory", dir.toString());

        List<ConfigError> errors = new ArrayList<>();
        List<ConfigError> warnings = new ArrayList<>();
        LogicalLines logical = LogicalLines.parse(file, text);
        warnings.addAll(logical.warnings());
        Map<String, String> settings = new LinkedHashMap<>();
        Map<String, Integer> lines = new LinkedHashMap<>();
        for (LogicalLine line : logical.lines()) {
            if (skipLines.contains(line.line())) {
                continue;
            }
            NameValue.Parsed p = NameValue.split(line.text());
            if (p.error() != null) {
                errors.add(new ConfigError(file, line.line(), p.error() + ": \"" + line.text() + "\""));
                continue;
            }
            String name = p.pair().name();
            String value = p.pair().value();
            if (Parameters.READ_ONLY.contains(name)) {
                warnings.add(new ConfigError(file, line.line(),
                        "ignoring read-only parameter: " + name + " = " + value));
                continue;
            }
            String old = settings.remove(name);
            if (old != null) {
                warnings.add(new ConfigError(file, line.line(), "overriding earlier entry: " + name + "=" + old));
            }
            settings.put(name, value);
            lines.put(name, line.line());
        }
        MainConfig config = new MainConfig(file, dir, Collections.unmodifiableMap(defaults),
                Collections.unmodifiableMap(settings), Collections.unmodifiableMap(lines), List.copyOf(warnings));
        List<ConfigError> more = new ArrayList<>();
        config.validate(errors, more);
        if (!errors.isEmpty()) {
            throw new ConfigException(capped(file, errors, "errors"));
        }
        if (more.isEmpty() && warnings.size() <= MAX_REPORTED) {
            return config;
        }
        warnings.addAll(more);
        MainConfig withWarnings = new MainConfig(file, dir, config.defaults, config.settings, config.lines,
                capped(file, warnings, "warnings"));
        withWarnings.expanded.putAll(config.expanded);
        return withWarnings;
    }

    /**
     * A copy with {@code nameValues} set on top (a child's {@code -o name=value}); read-only
     * parameters are not overridden. Values are not validated here.
     */
    public MainConfig withOverrides(Map<String, String> nameValues) {
        Map<String, String> s = new LinkedHashMap<>(settings);
        Map<String, Integer> l = new LinkedHashMap<>(lines);
        nameValues.forEach((name, value) -> {
            if (!Parameters.READ_ONLY.contains(name)) {
                s.remove(name);
                s.put(name, value);
                l.put(name, 0);
            }
        });
        return new MainConfig(file, configDir, defaults, Collections.unmodifiableMap(s),
                Collections.unmodifiableMap(l), warnings);
    }

    /** The main.cf path this configuration was read from (it need not exist). */
    public Path file() {
        return file;
    }

    /** The absolute configuration directory; the value of {@code config_directory}. */
    public Path configDirectory() {
        return configDir;
    }

    /** Warnings (overridden entries, ignored read-only settings, odd lines), in file order. */
    public List<ConfigError> warnings() {
        return warnings;
    }

    /** The expanded value; the built-in default when unset; {@code ""} for unknown names. */
    public String get(String name) {
        return expanded.computeIfAbsent(name, n -> {
            String raw = lookup(n);
            return raw == null ? "" : expand(raw).value();
        });
    }

    /** The unexpanded value (setting or default), {@code ""} for unknown names. */
    public String raw(String name) {
        String raw = lookup(name);
        return raw == null ? "" : raw;
    }

    /** Whether main.cf (or an override) sets {@code name}. */
    public boolean isSet(String name) {
        return settings.containsKey(name);
    }

    /** The line of main.cf that sets {@code name}, or 0 (default, override, not set). */
    public int line(String name) {
        return lines.getOrDefault(name, 0);
    }

    /** Every explicitly set name and its raw value, in file order. */
    public Map<String, String> names() {
        return settings;
    }

    /**
     * An integer value. Errors: {@code bad numerical configuration: name = value} and, for
     * parameters with a range, {@code invalid <name> parameter value N < min} (or {@code > max}).
     */
    public int getInt(String name) throws ConfigException {
        String value = get(name);
        OptionalInt n = Values.parseInt(value);
        if (n.isEmpty()) {
            throw new ConfigException(error(name, "bad numerical configuration: " + name + " = " + value));
        }
        checkRange(name, n.getAsInt());
        return n.getAsInt();
    }

    /** A boolean value, {@code yes} or {@code no} in any case; else {@code bad boolean configuration}. */
    public boolean getBool(String name) throws ConfigException {
        String value = get(name);
        if (value.equalsIgnoreCase("yes")) {
            return true;
        }
        if (value.equalsIgnoreCase("no")) {
            return false;
        }
        throw new ConfigException(error(name, "bad boolean configuration: " + name + " = " + value));
    }

    /**
     * A time value in seconds: {@code <digits>[s|m|h|d|w]}, the unit defaulting per parameter
     * (seconds for unknown names). Errors: {@code parameter <name>: bad time value: <value>} and
     * the range texts of {@link #getInt}.
     */
    public long getTimeSeconds(String name) throws ConfigException {
        String value = get(name);
        Parameters.Spec spec = Parameters.spec(name);
        char unit = spec == null ? 's' : spec.unit();
        OptionalLong t = Values.parseTime(value, unit);
        if (t.isEmpty()) {
            throw new ConfigException(error(name, "parameter " + name + ": bad time value: " + value));
        }
        checkRange(name, t.getAsLong());
        return t.getAsLong();
    }

    /**
     * A list value, split on commas and whitespace; {@code { a b }} is one element {@code a b}.
     * Unbalanced braces (rejected at load time for known list parameters) are tolerated here.
     */
    public List<String> getList(String name) {
        return Values.splitList(get(name)).elements();
    }

    /** The {@code inet_protocols} families (validated at load time). */
    public InetProtocols inetProtocols() {
        return InetProtocols.parse(get("inet_protocols")).orElse(new InetProtocols(true, true));
    }

    /** The {@code known_tcp_ports} table (validated at load time). */
    Map<String, Integer> knownTcpPorts() {
        return TcpPorts.parseKnown(get("known_tcp_ports")).table();
    }

    /** The {@code compatibility_level} (validated at load time). */
    CompatLevel compatibilityLevel() {
        CompatLevel level = CompatLevel.parse(get("compatibility_level"));
        return level == null ? new CompatLevel(0, 0, 0) : level;
    }

    private String lookup(String name) {
        String v = settings.get(name);
        return v != null ? v : defaults.get(name);
    }

    private Expander.Result expand(String raw) {
        return Expander.expand(raw, this::lookup);
    }

    private Expander.Result expand(String raw, Expander.Budget budget) {
        return Expander.expand(raw, this::lookup, budget);
    }

    private void checkRange(String name, long value) throws ConfigException {
        Parameters.Spec spec = Parameters.spec(name);
        if (spec == null) {
            return;
        }
        if (value < spec.min()) {
            throw new ConfigException(error(name, "invalid " + name + " parameter value " + value + " < " + spec.min()));
        }
        if (value > spec.max()) {
            throw new ConfigException(error(name, "invalid " + name + " parameter value " + value + " > " + spec.max()));
        }
    }

    private ConfigError error(String name, String text) {
        return new ConfigError(file, line(name), text);
    }

    /**
     * Checks known parameters and the expansion of every setting; errors and warnings out. All
     * the expansions share one budget, and each value is expanded once (and kept for {@link #get}).
     * A setting jmaster does not know that fails to expand is a warning, as Postfix would only
     * notice it when a program reads it, unless the whole file's budget ran out: that is an error.
     */
    private void validate(List<ConfigError> errors, List<ConfigError> warnings) {
        checkAll(errors, warnings);
        errors.sort((a, b) -> Integer.compare(a.line(), b.line()));
    }

    private void checkAll(List<ConfigError> errors, List<ConfigError> warnings) {
        Expander.Budget budget = new Expander.Budget(Expander.MAX_WORK);
        Set<String> failed = new HashSet<>();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String name = e.getKey();
            Expander.Result r = expand(e.getValue(), budget);
            // get() gives the partial value of a setting that fails: keep it, never expand twice
            expanded.put(name, r.value());
            if (r.error() != null) {
                failed.add(name);
                ConfigError err = error(name, "parameter " + name + ": " + r.error());
                if (r.exhausted()) {
                    // the file as a whole is too costly to expand; this setting is where it showed
                    errors.add(new ConfigError(file, line(name), err.text() + " (for all of " + FILE_NAME + ")"));
                    return;
                }
                if (Parameters.spec(name) != null) {
                    errors.add(err);
                } else {
                    warnings.add(err);
                }
            }
        }
        for (Parameters.Spec spec : Parameters.all().values()) {
            String name = spec.name();
            if (failed.contains(name)) {
                continue; // reported above
            }
            String raw = lookup(name);
            if (!settings.containsKey(name)) {
                Expander.Result r = expand(raw, budget);
                if (r.error() != null) {
                    errors.add(error(name, "parameter " + name + ": " + r.error()));
                    if (r.exhausted()) {
                        return;
                    }
                    continue;
                }
                expanded.put(name, r.value());
            }
            try {
                checkValue(spec);
            } catch (ConfigException ex) {
                errors.addAll(ex.errors());
            }
        }
    }

    private void checkValue(Parameters.Spec spec) throws ConfigException {
        String name = spec.name();
        switch (spec.kind()) {
            case INT:
                getInt(name);
                break;
            case BOOL:
                getBool(name);
                break;
            case TIME:
                getTimeSeconds(name);
                break;
            case LIST:
                List<String> braceErrors = Values.splitList(get(name)).errors();
                if (!braceErrors.isEmpty()) {
                    throw new ConfigException(error(name, "parameter " + name + ": " + braceErrors.get(0)));
                }
                break;
            case INET_PROTOCOLS:
                if (InetProtocols.parse(get(name)).isEmpty()) {
                    throw new ConfigException(error(name, InetProtocols.error(get(name))));
                }
                break;
            case COMPAT_LEVEL:
                if (CompatLevel.parse(get(name)) == null) {
                    throw new ConfigException(error(name, "bad compatibility_level value: \"" + get(name) + "\""));
                }
                break;
            case METRICS_ENDPOINT:
                try {
                    MetricsEndpoint.parse(get(name));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(error(name, e.getMessage()));
                }
                break;
            case KNOWN_TCP_PORTS:
                List<String> errs = TcpPorts.parseKnown(get(name)).errors();
                if (!errs.isEmpty()) {
                    List<ConfigError> list = new ArrayList<>();
                    errs.forEach(t -> list.add(error(name, t)));
                    throw new ConfigException(list);
                }
                break;
            default:
                break;
        }
    }

    /**
     * Reads a configuration file as UTF-8, replacing malformed bytes, and at most {@code limit}
     * bytes of it: a larger file is a {@link ConfigException} naming the file and its size, found
     * from the open descriptor before anything is read (and, for a file that grows meanwhile, after
     * reading one byte more than the limit), so an oversize file is never held in memory whole. A
     * file that is not a regular one (a FIFO would block the reader) is refused as well.
     *
     * @param limitName how the error names the limit ("the limit for main.cf", a parameter)
     */
    static String readText(Path file, long limit, String limitName) throws IOException, ConfigException {
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
        if (!attrs.isRegularFile()) {
            throw new ConfigException(ConfigError.ofFile(file, attrs.isDirectory()
                    ? "cannot open file: Is a directory" : "cannot read file: not a regular file"));
        }
        byte[] bytes;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > limit) {
                throw tooLarge(file, Long.toString(size), limit, limitName);
            }
            InputStream in = Channels.newInputStream(ch);
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) {
                throw tooLarge(file, "more than " + limit, limit, limitName);
            }
        }
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE)
                .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    }

    /**
     * The first {@link #MAX_REPORTED} of {@code list} and, when there are more, a last entry that
     * counts the rest: each is a log line at every reload, and a file full of mistakes must not
     * flood the log.
     */
    static List<ConfigError> capped(Path file, List<ConfigError> list, String what) {
        if (list.size() <= MAX_REPORTED) {
            return List.copyOf(list);
        }
        List<ConfigError> out = new ArrayList<>(list.subList(0, MAX_REPORTED));
        out.add(ConfigError.ofFile(file, (list.size() - MAX_REPORTED) + " more " + what + " not shown"));
        return List.copyOf(out);
    }

    private static ConfigException tooLarge(Path file, String size, long limit, String limitName) {
        return new ConfigException(ConfigError.ofFile(file, "file size " + size + " bytes exceeds " + limitName
                + " (" + limit + " bytes)"));
    }

    /** A short reason for an I/O failure, like strerror's. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
