package org.jmaster.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration fuzz test of issue 12: at least 10,000 generated main.cf/master.cf pairs
 * (random bytes, NUL, invalid UTF-8, huge lines and files, deep and exponential {@code $name}
 * chains, loops, unterminated braces, huge numbers, mutated stock lines) are written to a real
 * configuration directory and read the way the master reads them ({@link MainConfig#load},
 * {@link ServiceTable#load}). For every input: nothing but {@link ConfigException} escapes, every
 * error names main.cf or master.cf and a line within the file, no error text floods the log, and
 * the input is read in bounded time (a watchdog fails the test on a hang). The generator is
 * seeded (override with {@code -Dfuzz.seed=N}, count with {@code -Dfuzz.count=N}); a failing
 * input is kept under {@code target/fuzz-failures/}.
 */
class ConfigFuzzTest {
    static final long SEED = Long.getLong("fuzz.seed", 0x12_2026L);
    static final int COUNT = Integer.getInteger("fuzz.count", 10_000);
    /** A hang detector, not a speed requirement: far above what any input takes. */
    static final long WATCHDOG_SECONDS = Long.getLong("fuzz.watchdog", 30);
    /** No error text may be longer than this (an error goes to the log as one line). */
    static final int MAX_ERROR_TEXT = Integer.getInteger("fuzz.maxErrorText", 1200);

    static final String[] INSERTS = {
        "{", "}", "?", "$", "${", "$(", "}}}}", "{{{{", "5x", "-", "99999999999999999999999999", "-1", "+0", "[", "]:", "::",
        "-M", "-o", "=", "\n ", "\n#", "\n", "\r", "\0", "{ }", "<level", "==", " inet ", " unix ", "\t", "\u00e9",
        "\ufffd", "${a?{", "${{1}==", "$$", "?{x}:{y}", "1000000000000w", "2147483648", "-2147483649"};

    @TempDir
    static Path tmp;
    static ExecutorService worker;

    @BeforeAll
    static void startWorker() {
        worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "config-fuzz");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stopWorker() {
        worker.shutdownNow();
    }

    @Test
    void tenThousandMutatedConfigurationsAreReadOrRejectedCleanly() throws Exception {
        Random rnd = new Random(SEED);
        Path dir = tmp.resolve("conf");
        Files.createDirectories(dir);
        Path mainFile = dir.resolve(MainConfig.FILE_NAME);
        Path masterFile = dir.resolve(ServiceTable.FILE_NAME);
        int accepted = 0;
        int rejected = 0;
        long[] nanosByKind = new long[8];
        int[] countByKind = new int[8];
        long slowest = 0;
        for (int i = 0; i < COUNT; i++) {
            long t0 = System.nanoTime();
            byte[] main = generate(rnd, true);
            byte[] master = generate(rnd, false);
            Files.write(mainFile, main);
            Files.write(masterFile, master);
            Future<Boolean> f = worker.submit(() -> readAndCheck(dir, mainFile, masterFile, main, master));
            try {
                if (f.get(WATCHDOG_SECONDS, TimeUnit.SECONDS)) {
                    accepted++;
                } else {
                    rejected++;
                }
                long took = System.nanoTime() - t0;
                nanosByKind[lastKind] += took;
                countByKind[lastKind]++;
                if (took > slowest) {
                    slowest = took;
                    System.out.printf("config fuzz: input %d (%s) took %d ms%n", i, KINDS[lastKind], took / 1_000_000);
                }
            } catch (TimeoutException e) {
                f.cancel(true);
                keep(i, main, master);
                fail("input " + i + " (seed " + SEED + ") still being read after " + WATCHDOG_SECONDS + " s");
            } catch (ExecutionException e) {
                keep(i, main, master);
                throw new AssertionError("input " + i + " (seed " + SEED + "): " + e.getCause(), e.getCause());
            }
        }
        for (int k = 0; k < KINDS.length; k++) {
            System.out.printf("config fuzz: %-12s %5d inputs, %6d ms%n", KINDS[k], countByKind[k], nanosByKind[k] / 1_000_000);
        }
        System.out.printf("config fuzz: %d inputs (seed %d), %d accepted, %d rejected with ConfigException,"
                + " 0 other exceptions%n", COUNT, SEED, accepted, rejected);
        assertThat(accepted + rejected).isEqualTo(COUNT);
        assertThat(accepted).as("some inputs must get through to the checks after a successful read").isPositive();
        assertThat(rejected).isPositive();
    }

    /** Reads the pair as the master does; true when both files were accepted. */
    private static boolean readAndCheck(Path dir, Path mainFile, Path masterFile, byte[] mainBytes, byte[] masterBytes) {
        int mainLines = physicalLines(mainBytes);
        int masterLines = physicalLines(masterBytes);
        MainConfig main;
        boolean ok = true;
        try {
            main = MainConfig.load(dir, Map.of());
            checkAll(main.warnings(), mainFile, mainLines);
            exercise(main, mainFile, mainLines);
        } catch (ConfigException e) {
            checkRejection(e, List.of(mainFile), List.of(mainLines));
            ok = false;
            try {
                main = MainConfig.parse(mainFile, "compatibility_level = 3.6\n", dir, Map.of());
            } catch (ConfigException impossible) {
                throw new AssertionError(impossible);
            }
        }
        try {
            ServiceTable table = ServiceTable.load(dir, main);
            checkAll(table.warnings(), masterFile, masterLines);
            for (ServiceEntry e : table.services()) {
                assertThat(e.line()).isBetween(1, masterLines);
                TestConf.useEveryAccessor(e);
            }
        } catch (ConfigException e) {
            // master.cf's errors name master.cf, or main.cf for a main.cf value it needs
            checkRejection(e, List.of(masterFile, mainFile), List.of(masterLines, mainLines));
            ok = false;
        }
        return ok;
    }

    private static void exercise(MainConfig main, Path file, int lines) {
        for (String name : main.names().keySet()) {
            main.get(name);
            main.raw(name);
            main.getList(name);
            try {
                main.getInt(name);
            } catch (ConfigException e) {
                checkRejection(e, List.of(file), List.of(lines));
            }
            try {
                main.getBool(name);
            } catch (ConfigException e) {
                checkRejection(e, List.of(file), List.of(lines));
            }
            try {
                main.getTimeSeconds(name);
            } catch (ConfigException e) {
                checkRejection(e, List.of(file), List.of(lines));
            }
        }
        main.inetProtocols();
    }

    private static void checkRejection(ConfigException e, List<Path> files, List<Integer> lines) {
        assertThat(e.errors()).isNotEmpty();
        for (ConfigError err : e.errors()) {
            assertThat(err.file()).as("the file of: %s", shorten(err.toString())).isIn(files);
            int max = lines.get(files.indexOf(err.file()));
            assertThat(err.line()).as(shorten(err.toString())).isBetween(0, max);
            assertThat(err.text()).as(shorten(err.toString())).isNotBlank();
            assertThat(err.text().length()).as(shorten(err.toString())).isLessThanOrEqualTo(MAX_ERROR_TEXT);
        }
    }

    private static void checkAll(List<ConfigError> warnings, Path file, int lines) {
        for (ConfigError w : warnings) {
            assertThat(w.file()).isEqualTo(file);
            assertThat(w.line()).as(shorten(w.toString())).isBetween(0, lines);
            assertThat(w.text().length()).as(shorten(w.toString())).isLessThanOrEqualTo(MAX_ERROR_TEXT);
        }
    }

    private static String shorten(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "... (" + s.length() + " chars)" : s;
    }

    private static int physicalLines(byte[] b) {
        int n = 1;
        for (byte x : b) {
            if (x == '\n') {
                n++;
            }
        }
        return n;
    }

    private static void keep(int i, byte[] main, byte[] master) {
        try {
            Path d = Files.createDirectories(Path.of("target", "fuzz-failures", "input-" + i));
            Files.write(d.resolve("main.cf"), main);
            Files.write(d.resolve("master.cf"), master);
        } catch (Exception ignored) {
            // best effort
        }
    }

    // ---------------------------------------------------------------------------------------------
    // the generator

    static final String[] KINDS = {"random", "mutated", "chains", "braces", "numbers", "many-lines", "huge-line"};
    /** The kind of the master.cf input last generated, for the timing summary (one thread generates). */
    static int lastKind;

    private static byte[] generate(Random rnd, boolean mainCf) {
        int kind = rnd.nextInt(100);
        int k = kind < 16 ? 0 : kind < 73 ? 1 : kind < 77 ? 2 : kind < 87 ? 3 : kind < 97 ? 4 : kind < 98 ? 5 : 6;
        lastKind = mainCf ? k : Math.max(lastKind, k);
        switch (k) {
            case 0: return randomBytes(rnd, rnd.nextInt(2000));
            case 1: return bytes(mutate(rnd, corpus(rnd, mainCf ? TestConf.MAIN_SAMPLES : TestConf.MASTER_SAMPLES)));
            case 2: return bytes(mainCf ? chain(rnd) : braces(rnd, false));
            case 3: return bytes(braces(rnd, mainCf));
            case 4: return bytes(numbers(rnd, mainCf));
            case 5: return bytes(manyLines(rnd, mainCf));
            default: return hugeLine(rnd, mainCf);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] randomBytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        // sprinkle in what the parsers care about
        for (int i = 0; i < n / 8; i++) {
            String special = "\n\0{}$=# \t\r-";
            b[rnd.nextInt(n)] = (byte) special.charAt(rnd.nextInt(special.length()));
        }
        return b;
    }

    private static String corpus(Random rnd, List<String> lines) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1 + rnd.nextInt(8); i > 0; i--) {
            sb.append(lines.get(rnd.nextInt(lines.size()))).append('\n');
        }
        return sb.toString();
    }

    private static String mutate(Random rnd, String text) {
        StringBuilder sb = new StringBuilder(text);
        for (int i = rnd.nextInt(8); i > 0; i--) {
            int at = sb.length() == 0 ? 0 : rnd.nextInt(sb.length() + 1);
            String what = rnd.nextInt(4) == 0 ? String.valueOf((char) rnd.nextInt(0x250)) : INSERTS[rnd.nextInt(INSERTS.length)];
            switch (rnd.nextInt(3)) {
                case 0:
                    if (sb.length() > 0) {
                        int from = Math.min(at, sb.length() - 1);
                        sb.delete(from, Math.min(sb.length(), from + 1 + rnd.nextInt(5)));
                    }
                    break;
                case 1:
                    sb.insert(at, what);
                    break;
                default:
                    if (sb.length() > 0) {
                        int from = Math.min(at, sb.length() - 1);
                        sb.replace(from, from + 1, what);
                    }
            }
        }
        return sb.toString();
    }

    /** Deep, exponential, looping and conditional {@code $name} chains in main.cf. */
    private static String chain(Random rnd) {
        int n = 2 + rnd.nextInt(rnd.nextBoolean() ? 60 : 1500);
        StringBuilder sb = new StringBuilder();
        int style = rnd.nextInt(7);
        for (int k = 0; k < n; k++) {
            String next = "p" + (k + 1);
            String value;
            switch (style) {
                case 0: value = "$" + next; break;
                case 1: value = "${" + next + "}x$(" + next + ")"; break;       // exponential
                case 2: value = "$" + next + "$" + next + "$" + next; break;  // faster exponential
                case 3: value = "${" + next + "?{$" + next + "}:{$" + next + "}}"; break;
                case 4: value = "${{$" + next + "} == {$" + next + "} ? {$" + next + "} : {x}}"; break;
                case 5: value = "$p" + rnd.nextInt(n); break;                 // loops
                default: value = "${" + next + ":$" + next + "}" + "${p0}"; break;
            }
            sb.append('p').append(k).append(" = ").append(value).append('\n');
        }
        sb.append('p').append(n).append(" = ").append(rnd.nextBoolean() ? "end" : "$p0").append('\n');
        if (rnd.nextBoolean()) {
            String[] known = {"default_process_limit", "syslog_name", "inet_interfaces", "max_idle", "inet_protocols",
                "compatibility_level", "known_tcp_ports", "import_environment", "master_service_disable"};
            sb.append(known[rnd.nextInt(known.length)]).append(" = $p0\n");
        }
        return rnd.nextInt(4) == 0 ? mutate(rnd, sb.toString()) : sb.toString();
    }

    /** Unterminated and deeply nested braces. */
    private static String braces(Random rnd, boolean mainCf) {
        int depth = 1 + rnd.nextInt(rnd.nextBoolean() ? 50 : 20_000);
        String open = rnd.nextBoolean() ? "{" : rnd.nextBoolean() ? "${" : "${{";
        String body = open.repeat(depth) + "x" + (rnd.nextBoolean() ? "}".repeat(rnd.nextInt(depth + 1)) : "");
        String line = mainCf
                ? "v" + rnd.nextInt(3) + " = " + body + "\nimport_environment = " + body + "\n"
                : "s" + rnd.nextInt(3) + " unix - - n - 1 cmd " + body + " -M " + body + " -M {x=" + body + "\n";
        return rnd.nextInt(3) == 0 ? mutate(rnd, line) : line;
    }

    /** Huge, negative and malformed numbers where numbers go. */
    private static String numbers(Random rnd, boolean mainCf) {
        String[] nums = {"99999999999999999999999999999999", "2147483648", "2147483647", "-2147483648", "-1", "0",
            "00000000000000000000000000001", "1e9", "0x10", "9".repeat(5000), "1".repeat(20_000), "+5", ""};
        String a = nums[rnd.nextInt(nums.length)];
        String b = nums[rnd.nextInt(nums.length)];
        String text;
        if (mainCf) {
            text = "default_process_limit = " + a + "\nservice_throttle_time = " + b + "w\nmaster_nice = " + a
                    + "\ncompatibility_level = " + a + "." + b + "\ntcp_windowsize = " + b
                    + "\nq = ${{" + a + "} < {" + b + "} ? {x} : {y}}\nr = ${{" + a + "} <level {" + b + "} ? {x}}\n"
                    + "max_idle = " + a + "s\nmaster_cf_size_limit = " + a + "\n";
        } else {
            text = "s unix - - n " + a + "? " + b + " cmd\n127.0.0.1:" + a + " inet n - n - " + b + " cmd -M rate=" + a
                    + "/" + b + " -M max_per_source=" + a + " -M rlimit_as=" + b + "g -M umask=" + a
                    + " -M prefork=" + b + " -M nice=" + a + " -M source_prefix=" + a + "/" + b + "\n";
        }
        return rnd.nextInt(3) == 0 ? mutate(rnd, text) : text;
    }

    private static String manyLines(Random rnd, boolean mainCf) {
        int n = 1000 + rnd.nextInt(3_000);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (mainCf) {
                sb.append(rnd.nextInt(10) == 0 ? " continued $v" + rnd.nextInt(n) : "v" + i + " = $v" + (i + 1));
            } else {
                sb.append(rnd.nextInt(10) == 0 ? "  -o x=" + i : "s" + i + " unix - - n - 1 cmd a b");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** One huge line (most are larger than the 1 MiB limit), sometimes between ordinary lines. */
    private static byte[] hugeLine(Random rnd, boolean mainCf) {
        int[] sizes = {64 * 1024, 500_000, 1_000_000, 1_048_576, 1_048_577, 1_100_000, 2_000_000};
        int size = sizes[rnd.nextInt(sizes.length)];
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 200);
        byte[] head = bytes(mainCf ? "compatibility_level = 3.6\nhuge = " : "smtp inet n - n - - smtpd ");
        out.write(head, 0, head.length);
        String unit = new String[] {"x", "$x", "${y}", "{", " ", "a=b ", "\0"}[rnd.nextInt(7)];
        byte[] u = bytes(unit);
        while (out.size() < size) {
            out.write(u, 0, u.length);
        }
        byte[] tail = bytes("\n" + (mainCf ? "after = 1\n" : "after unix - - n - 1 cmd\n"));
        out.write(tail, 0, tail.length);
        return out.toByteArray();
    }
}
