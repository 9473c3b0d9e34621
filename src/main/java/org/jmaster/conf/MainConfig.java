package org.jmaster.conf;

import java.io.IOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * main.cf (protocol doc §2.1, §2.2): {@code name = value} settings stored raw and expanded when
 * read, over built-in defaults.
 *
 * <p>Immutable and thread-safe. A successful {@link #load} has already validated every parameter
 * jmaster knows (type, range, expansion) and the expansion of every other setting, so
 * {@link #get} never fails afterwards; the typed getters still throw for names whose values they
 * cannot convert. {@code config_directory} is always the directory the file was read from.
 */
public final class MainConfig {

    /** File name of main.cf inside the configuration directory. */
    public static final String FILE_NAME = "main.cf";

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
        Path file = configDir.resolve(FILE_NAME);
        String text;
        try {
            text = readText(file);
        } catch (NoSuchFileException e) {
            text = "";
        } catch (IOException e) {
            throw new ConfigException(ConfigError.ofFile(file, "cannot open file: " + reason(e)));
        }
        return parse(file, text, configDir, compiledDefaults);
    }

    /** Parses main.cf text as if read from {@code file}; see {@link #load}. */
    public static MainConfig parse(Path file, String text, Path configDir, Map<String, String> compiledDefaults)
            throws ConfigException {
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
            throw new ConfigException(errors);
        }
        if (more.isEmpty()) {
            return config;
        }
        warnings.addAll(more);
        return new MainConfig(file, dir, config.defaults, config.settings, config.lines, List.copyOf(warnings));
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

    /** Checks known parameters and the expansion of every setting; errors and warnings out. */
    private void validate(List<ConfigError> errors, List<ConfigError> warnings) {
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String name = e.getKey();
            Expander.Result r = expand(e.getValue());
            if (r.error() != null) {
                ConfigError err = error(name, "parameter " + name + ": " + r.error());
                if (Parameters.spec(name) != null) {
                    errors.add(err);
                } else {
                    warnings.add(err);
                }
            }
        }
        for (Parameters.Spec spec : Parameters.all().values()) {
            String name = spec.name();
            if (settings.containsKey(name) && expand(settings.get(name)).error() != null) {
                continue; // reported above
            }
            String raw = lookup(name);
            if (!settings.containsKey(name)) {
                Expander.Result r = expand(raw);
                if (r.error() != null) {
                    errors.add(error(name, "parameter " + name + ": " + r.error()));
                    continue;
                }
            }
            try {
                checkValue(spec);
            } catch (ConfigException ex) {
                errors.addAll(ex.errors());
            }
        }
        errors.sort((a, b) -> Integer.compare(a.line(), b.line()));
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

    /** Reads a file as UTF-8, replacing malformed bytes. */
    static String readText(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE)
                .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
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
