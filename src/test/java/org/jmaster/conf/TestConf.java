package org.jmaster.conf;

import java.nio.file.Path;
import java.util.Map;

/** Helpers: parse main.cf and master.cf texts with fixed paths and a fixed services table. */
final class TestConf {

    static final Path DIR = Path.of("/etc/jmaster-test");
    static final Path MAIN = DIR.resolve("main.cf");
    static final Path MASTER = DIR.resolve("master.cf");

    /** A small stand-in for /etc/services, so tests do not depend on the machine. */
    static final Map<String, Integer> SERVICES = Map.of("smtp", 25, "submission", 587, "pop3", 110,
            "imap", 143, "http", 80, "ssh", 22);

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
