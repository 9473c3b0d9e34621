package org.jmaster.conf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * master.cf (protocol doc §1): the parsed, validated, immutable service table.
 *
 * <p>Entries are in file order. When two entries have the same {@link ServiceKey}, the later
 * one's settings win and it takes the position of the first, with Postfix's duplicate warning.
 * Disabled entries ({@code master_service_disable}, or every inet entry when
 * {@code inet_protocols} enables nothing) are left out. Every error of the file is collected
 * before a {@link ConfigException} is thrown. There is no {@code $name} expansion in master.cf.
 */
public final class ServiceTable {

    /** File name of master.cf inside the configuration directory. */
    public static final String FILE_NAME = "master.cf";

    private final Path file;
    private final List<ServiceEntry> services;
    private final Map<ServiceKey, ServiceEntry> byKey;
    private final List<ConfigError> warnings;

    private ServiceTable(Path file, List<ServiceEntry> services, List<ConfigError> warnings) {
        this.file = file;
        this.services = List.copyOf(services);
        Map<ServiceKey, ServiceEntry> map = new LinkedHashMap<>();
        services.forEach(s -> map.put(s.key(), s));
        this.byKey = map;
        this.warnings = List.copyOf(warnings);
    }

    /**
     * Reads {@code configDir/master.cf}; a missing file is an error, and so is one larger than
     * {@code master_cf_size_limit} (reported with its size, never read whole).
     */
    public static ServiceTable load(Path configDir, MainConfig main) throws ConfigException {
        Path file = configDir.resolve(FILE_NAME);
        String text;
        try {
            text = MainConfig.readText(file, main.getInt("master_cf_size_limit"), "master_cf_size_limit");
        } catch (IOException e) {
            throw new ConfigException(ConfigError.ofFile(file, "cannot open file: " + MainConfig.reason(e)));
        }
        return parse(file, text, main);
    }

    /** Parses master.cf text as if read from {@code file}, with the settings of {@code main}. */
    public static ServiceTable parse(Path file, String text, MainConfig main) throws ConfigException {
        return parse(file, text, main, TcpPorts.system(main.knownTcpPorts()));
    }

    static ServiceTable parse(Path file, String text, MainConfig main, TcpPorts ports) throws ConfigException {
        List<ConfigError> errors = new ArrayList<>();
        List<ConfigError> warnings = new ArrayList<>();
        MasterEntryParser.Settings settings = settings(file, main, ports, errors, warnings);

        LogicalLines logical = LogicalLines.parse(file, text);
        warnings.addAll(logical.warnings());
        MasterEntryParser parser = new MasterEntryParser(file, settings, errors, warnings);
        Map<ServiceKey, Integer> position = new LinkedHashMap<>();
        List<ServiceEntry> services = new ArrayList<>();
        for (LogicalLine line : logical.lines()) {
            ServiceEntry entry = parser.parse(line);
            if (entry == null) {
                continue;
            }
            Integer at = position.get(entry.key());
            if (at == null) {
                position.put(entry.key(), services.size());
                services.add(entry);
            } else {
                warnings.add(new ConfigError(file, entry.line(), "duplicate master.cf entry for service \""
                        + entry.extName() + "\" (" + entry.name() + ") -- using the last entry"));
                services.set(at, entry);
            }
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(MainConfig.capped(file, errors, "errors"));
        }
        return new ServiceTable(file, services, MainConfig.capped(file, warnings, "warnings"));
    }

    private static MasterEntryParser.Settings settings(Path file, MainConfig main, TcpPorts ports,
                                                       List<ConfigError> errors, List<ConfigError> warnings) {
        int limit = 100;
        try {
            limit = main.getInt("default_process_limit");
        } catch (ConfigException e) {
            errors.addAll(e.errors());
        }
        InetProtocols protocols = main.inetProtocols();
        String disable = main.get("master_service_disable");
        if (protocols.none()) {
            warnings.add(ConfigError.ofFile(file,
                    "all network protocols are disabled (inet_protocols = " + main.get("inet_protocols") + ")"));
            warnings.add(ConfigError.ofFile(file, "disabling all type \"inet\" services in master.cf"));
            disable = "inet, " + disable;
        }
        boolean chrootByDefault = main.compatibilityLevel().compareTo(new CompatLevel(1, 0, 0)) < 0;
        return new MasterEntryParser.Settings(limit, chrootByDefault, ServiceDisable.parse(disable), protocols,
                main.getList("inet_interfaces").isEmpty(), ports);
    }

    /** The master.cf path. */
    public Path file() {
        return file;
    }

    /** The services, in file order (a duplicate at its first position, with the last settings). */
    public List<ServiceEntry> services() {
        return services;
    }

    /**
     * Warnings: duplicates, {@code using backwards-compatible default setting chroot=y},
     * disabled inet services, dropped text.
     */
    public List<ConfigError> warnings() {
        return warnings;
    }

    /** The service with {@code key}, if present. */
    public Optional<ServiceEntry> find(ServiceKey key) {
        return Optional.ofNullable(byKey.get(key));
    }
}
