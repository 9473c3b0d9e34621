package org.jmaster.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.jmaster.nativ.Users;
import org.junit.jupiter.api.Test;

/**
 * The built exec step ({@code target/jmaster-exec}, compiled by Maven before the tests) run as a
 * process: what it refuses, and what a child it starts really gets (read from the child's own
 * {@code /proc/self/status}). A refusal must come before the program runs: the probe program
 * prints {@code ran} first, so its absence proves it.
 */
class ExecStepTest {
    private static final Path EXEC = Path.of(System.getProperty("user.dir"), "target", "jmaster-exec");
    /** Prints "ran", then the ids and groups it has, in /proc's words. */
    private static final String PROBE = "echo ran; grep -E '^(Uid|Gid|Groups):' /proc/self/status";

    private record Run(int status, String out, String err) {}

    private static Run run(String... options) throws IOException, InterruptedException {
        assertThat(EXEC).as("built by mvn compile").isExecutable();
        List<String> cmd = new ArrayList<>();
        cmd.add(EXEC.toString());
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("--", "/bin/sh", "sh", "-c", PROBE));
        Process p = new ProcessBuilder(cmd).directory(Path.of("/").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    private static String field(Run r, String name) {
        return r.out().lines().filter(l -> l.startsWith(name + ":")).map(l -> l.substring(name.length() + 1).trim())
                .findFirst().orElseThrow(() -> new AssertionError("no " + name + " in " + r));
    }

    private static void assertRefused(Run r, String message) {
        assertThat(r.status()).as(r.toString()).isEqualTo(127);
        assertThat(r.out()).as("the program must not run").doesNotContain("ran");
        assertThat(r.err()).startsWith("jmaster-exec: ").contains(message);
    }

    @Test
    void uidWithoutGidIsRefusedAsRoot() throws Exception {
        assumeTrue(Users.geteuid() == 0, "needs root");
        assertRefused(run("--uid", "65534"), "--uid 65534: refused without --gid");
    }

    @Test
    void malformedNumbersAreRefusedNotReadAsZeroOrCut() throws Exception {
        for (String bad : List.of("12x", "-1", "", " 12", "+5", "0x10", "99999999999999999999", "4294967295")) {
            assertRefused(run("--uid", bad, "--gid", "65534"), "--uid");
            assertRefused(run("--uid", "65534", "--gid", bad), "--gid");
            assertRefused(run("--groups", "65534," + bad, "--uid", "65534", "--gid", "65534"), "--groups");
        }
        assertRefused(run("--nice", "5x"), "--nice 5x: not a number");
        assertRefused(run("--umask", "028"), "--umask 028: not a number");
        assertRefused(run("--umask", "07777"), "--umask 07777: number out of range");
        assertRefused(run("--rlimit", "nofile=1x:10"), "--rlimit 1x: not a number");
        assertRefused(run("--rlimit", "nofile=10:-1"), "--rlimit -1: not a number");
        assertRefused(run("--uid", "1", "--uid", "2", "--gid", "1"), "--uid 2: given twice");
    }

    @Test
    void tooManyGroupsAreRefusedAndAFullListIsNotCut() throws Exception {
        assumeTrue(Users.geteuid() == 0, "needs root");
        String full = IntStream.rangeClosed(1, 1024).mapToObj(Integer::toString).collect(Collectors.joining(","));
        Run ok = run("--groups", full, "--gid", "65534", "--uid", "65534");
        assertThat(ok.status()).as(ok.toString()).isZero();
        assertThat(field(ok, "Groups").split("\\s+")).hasSize(1024);
        assertRefused(run("--groups", full + ",1025", "--gid", "65534", "--uid", "65534"), "more than 1024 groups");
    }

    @Test
    void changingUserLeavesNoGroupButThePrimary() throws Exception {
        assumeTrue(Users.geteuid() == 0, "needs root");
        Run r = run("--gid", "65534", "--uid", "65534");
        assertThat(r.status()).as(r.toString()).isZero();
        assertThat(field(r, "Uid")).isEqualTo("65534\t65534\t65534\t65534");
        assertThat(field(r, "Gid")).isEqualTo("65534\t65534\t65534\t65534");
        assertThat(field(r, "Groups")).isEqualTo("65534");
    }

    @Test
    void aProgramArgumentZeroIsRequired() throws Exception {
        Process p = new ProcessBuilder(EXEC.toString(), "--", "/bin/true").start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(127);
        assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).contains("usage");
    }
}
