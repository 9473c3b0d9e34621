package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end, issue 17: a master in init mode ({@code -i}) as PID 1 of its own PID namespace writes 1
 * into its pid file; the operator commands, run from another PID namespace, must never signal that
 * namespace's PID 1. They go through the control socket; when it does not answer they refuse and say
 * how ({@code nsenter}); from inside the master's namespace the signal fallback works.
 *
 * <p>The commands never run in this JVM's namespace: each runs as the child of a sentinel that is
 * PID 1 of a namespace of its own and records every signal it gets. So a command that signals "pid 1"
 * hits the sentinel, never this machine's init (which is what the code before the fix would do).
 */
class InitModeIT {
    @TempDir
    Path tmp;

    private static final String SENTINEL = String.join("\n",
            "import json, os, signal, subprocess, sys",
            "got = []",
            "for s in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):",
            "    signal.signal(s, lambda n, f: got.append(n))",
            "p = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,"
                    + " stdin=subprocess.DEVNULL)",
            "with open(sys.argv[1], 'w') as f:",
            "    json.dump({'pid': os.getpid(), 'rc': p.returncode, 'out': p.stdout.decode(), 'signals': got}, f)",
            "");

    private static boolean works(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Runs {@code args} of the launcher as the child of a sentinel that is PID 1 of a new PID namespace. */
    private JsonNode inAnotherNamespace(MasterProcess m, String... args) throws Exception {
        Path sentinel = tmp.resolve("sentinel.py");
        Files.writeString(sentinel, SENTINEL);
        Path result = tmp.resolve("result.json");
        Files.deleteIfExists(result);
        List<String> cmd = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc", "/usr/bin/python3",
                sentinel.toString(), result.toString(), MasterProcess.REPO.resolve("master").toString(), "-c",
                m.conf.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(result).as(out).exists();
        JsonNode r = MasterProcess.JSON.readTree(result.toFile());
        assertThat(r.get("pid").asInt()).as("the sentinel is PID 1 of its namespace").isEqualTo(1);
        return r;
    }

    record Run(int rc, String out) {}

    private static Run inTheMastersNamespace(ProcessHandle master, MasterProcess m, String command) throws Exception {
        Process p = new ProcessBuilder("nsenter", "--target", Long.toString(master.pid()), "--pid", "--mount",
                MasterProcess.REPO.resolve("master").toString(), "-c", m.conf.toString(), command)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void commandsFromAnotherNamespaceNeverSignalItsPid1() throws Exception {
        assumeTrue(works("unshare", "--pid", "--fork", "--mount-proc", "true"), "unshare --pid is not allowed here");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/nsenter")), "no nsenter");
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("maillog_file = /dev/stderr");
            m.masterCf(port + " inet n n n - 1 fake mode=serve");
            m.startCommand(Map.of(), List.of("unshare", "--pid", "--fork", "--mount-proc",
                    MasterProcess.REPO.resolve("master").toString(), "-c", m.conf.toString(), "-i"));
            ProcessHandle master = m.process.toHandle().children().findFirst().orElseThrow();
            try {
                assertThat(Files.readString(m.queue.resolve("pid/master.pid")).trim()).isEqualTo("1");

                // the control socket answers: reload and stop go through it, and nothing is signalled
                JsonNode reload = inAnotherNamespace(m, "reload");
                assertThat(reload.get("signals")).as(reload.toString()).isEmpty();
                assertThat(reload.get("rc").asInt()).as(reload.toString()).isZero();
                assertThat(reload.get("out").asText()).isEqualTo("reloaded jmaster (pid 1)\n");
                m.awaitLog("reload -- version");

                // the control socket does not answer (main.cf now names another one): refused, with how
                m.mainCf("maillog_file = /dev/stderr\nmaster_control_socket = " + tmp.resolve("nowhere.ctl"));
                for (String command : List.of("stop", "reload", "abort")) {
                    JsonNode r = inAnotherNamespace(m, command);
                    assertThat(r.get("signals")).as(r.toString()).isEmpty();
                    assertThat(r.get("rc").asInt()).as(r.toString()).isEqualTo(1);
                    assertThat(r.get("out").asText()).as(r.toString())
                            .contains("master: error: not signalling pid 1: " + m.queue.resolve("pid/master.pid")
                                    + " names pid 1")
                            .contains("nsenter --target")
                            .contains("--pid --mount master -c " + m.conf + " " + command);
                    assertThat(master.isAlive()).isTrue();
                }

                // from inside the master's namespace, as the refusal says, the fallback signals it
                Run reloaded = inTheMastersNamespace(master, m, "reload");
                assertThat(reloaded.rc()).as(reloaded.out()).isZero();
                assertThat(reloaded.out()).contains("sending SIGHUP to pid 1 instead");
                await().atMost(Duration.ofSeconds(20)).until(() -> m.countLog("reload -- version") == 2);
                // a stop from inside ends with the namespace: its init, the master, takes every process in it
                Run stopped = inTheMastersNamespace(master, m, "stop");
                assertThat(stopped.out()).contains("sending SIGTERM to pid 1 instead");
                await().atMost(Duration.ofSeconds(20)).until(() -> !master.isAlive());
                assertThat(m.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(m.process.exitValue()).as("init mode exits 0 on SIGTERM").isZero();
                assertThat(m.logText()).contains("terminating on signal 15");
            } finally {
                master.destroyForcibly();
            }
        }
    }
}
