package org.jmaster.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end: canary reload. A reload whose changed service fails to start within the window is
 * undone by the master itself and reported with a non-zero exit; a good one is kept after the window.
 */
class CanaryIT {
    @TempDir
    Path tmp;

    /** {@code master -c conf reload --canary=N} in the background: it answers at the end of the window. */
    private static Process canaryReload(MasterProcess m, String window) throws Exception {
        return new ProcessBuilder(MasterProcess.REPO.resolve("master").toString(), "-c", m.conf.toString(), "reload",
                "--canary" + window).redirectErrorStream(true).redirectOutput(m.dir.resolve("reload.out").toFile())
                .start();
    }

    private static String finish(MasterProcess m, Process p) throws Exception {
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return Files.readString(m.dir.resolve("reload.out"));
    }

    /** The codes of the master's event stream, oldest first. */
    static List<String> codes(MasterProcess m, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("-c", m.conf.toString(), "events", "--json"));
        args.addAll(List.of(extra));
        assertThat(m.runCommand(args.toArray(new String[0]))).isZero();
        List<String> out = new ArrayList<>();
        for (String line : m.commandOutput().split("\n")) {
            if (!line.isBlank()) {
                out.add(MasterProcess.JSON.readTree(line).get("code").asText());
            }
        }
        return out;
    }

    /** The argv of the child that served a session (the fake daemon records it). */
    private static String argvOf(MasterProcess m, int pid) throws Exception {
        JsonNode rec = MasterProcess.JSON.readTree(m.record.resolve(pid + ".json").toFile());
        return rec.get("argv").toString();
    }

    @Test
    void aReloadWhoseCommandFailsAtOnceIsRolledBackAndTheOldCommandServesAgain() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec()).start();
            Client.session(port);
            m.masterCf(port + " inet n n n - 2 fake mode=crash " + m.rec());
            Process reload = canaryReload(m, "=60");
            m.awaitLog("canary window of 60s over 1 changed or added service");
            // the waiting client makes the new command start; it exits 1, the master goes back by itself,
            // and the old command serves the same client
            int served = Client.session(port);
            assertThat(argvOf(m, served)).contains("mode=serve").doesNotContain("mode=crash");
            String out = finish(m, reload);
            assertThat(reload.exitValue()).as(out).isEqualTo(1);
            assertThat(out).contains("reload rolled back: " + port + ": bad command startup: exit status 1");
            assertThat(m.logText()).contains("warning: reload rolled back: " + port
                    + ": bad command startup: exit status 1");
            // the files are the operator's: untouched
            assertThat(Files.readString(m.conf.resolve("master.cf"))).contains("mode=crash");
            assertThat(argvOf(m, Client.session(port))).contains("mode=serve");
            assertThat(codes(m)).containsSubsequence("reload.begin", "reload.done", "canary.begin", "exit.status",
                    "throttle.startup", "reload.rolled_back", "throttle.cleared", "reload.done", "spawn.demand");
            assertThat(codes(m)).doesNotContain("canary.kept");
        }
    }

    @Test
    void aMainCfChangeIsRolledBackWithTheServices() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec()).start();
            Client.session(port);
            // only main.cf changes: daemon_directory names a directory whose "fake" fails at once
            Path broken = Files.createDirectories(tmp.resolve("broken-daemons"));
            Files.writeString(broken.resolve("fake"), "#!/bin/sh\nexit 1\n");
            assertThat(broken.resolve("fake").toFile().setExecutable(true, false)).isTrue();
            m.mainCf("daemon_directory = " + broken);
            Process reload = canaryReload(m, "=60");
            m.awaitLog("canary window of 60s over 1 changed or added service");
            // the waiting client is served by the command of the previous daemon_directory
            int served = Client.session(port);
            assertThat(argvOf(m, served)).contains("mode=serve");
            String out = finish(m, reload);
            assertThat(reload.exitValue()).as(out).isEqualTo(1);
            assertThat(out).contains("reload rolled back: " + port + ": bad command startup: exit status 1");
            // the parameter is the previous one again: the service runs the command from the old directory
            assertThat(m.runCommand("-c", m.conf.toString(), "status", "--json")).isZero();
            JsonNode service = MasterProcess.JSON.readTree(m.commandOutput()).get("services").get(0);
            assertThat(service.get("command").asText()).startsWith(m.daemons.toString());
            assertThat(Files.readString(m.conf.resolve("main.cf"))).contains("daemon_directory = " + broken);
            assertThat(argvOf(m, Client.session(port))).contains("mode=serve");
        }
    }

    @Test
    void aGoodReloadIsKeptAfterTheWindow() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec()).start();
            Client.session(port);
            m.masterCf(port + " inet n n n - 2 fake mode=serve max_use=50 " + m.rec());
            Process reload = canaryReload(m, "=2");
            m.awaitLog("canary window of 2s");
            assertThat(argvOf(m, Client.session(port))).contains("max_use=50");
            String out = finish(m, reload);
            assertThat(reload.exitValue()).as(out).isZero();
            assertThat(out).contains("reloaded jmaster: kept after the canary window of 2s");
            assertThat(m.logText()).contains("no start-up failure within the canary window of 2s")
                    .doesNotContain("rolled back");
            assertThat(argvOf(m, Client.session(port))).contains("max_use=50");
            assertThat(codes(m)).containsSubsequence("canary.begin", "canary.kept");
        }
    }

    @Test
    void aListenerThatCannotBeOpenedRollsTheReloadBack() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp);
             ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec()).start();
            int busy = taken.getLocalPort();
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec(),
                    busy + " inet n n n - 2 fake mode=serve " + m.rec(),
                    "extra unix n n n - 2 fake mode=serve " + m.rec());
            Process reload = canaryReload(m, "=60");
            String out = finish(m, reload);
            assertThat(reload.exitValue()).as(out).isEqualTo(1);
            assertThat(out).contains("reload rolled back: " + busy + ": ").contains("Address already in use");
            // the previous table again: the service that did start is gone too, the first one serves
            assertThat(m.runCommand("-c", m.conf.toString(), "status", "--json")).isZero();
            JsonNode services = MasterProcess.JSON.readTree(m.commandOutput()).get("services");
            assertThat(services).hasSize(1);
            Client.session(port);
            assertThat(codes(m)).containsSubsequence("reload.service_failed", "canary.begin", "reload.rolled_back");
        }
    }

    @Test
    void sighupReloadsAreCanariesWhenMainCfSaysSoAndANewReloadEndsAWindow() throws Exception {
        int port = MasterProcess.freePort();
        try (MasterProcess m = new MasterProcess(tmp)) {
            m.mainCf("master_reload_canary_time = 60s");
            m.masterCf(port + " inet n n n - 2 fake mode=serve " + m.rec()).start();
            m.masterCf(port + " inet n n n - 2 fake mode=crash " + m.rec());
            m.signal("HUP");
            m.awaitLog("canary window of 60s");
            Client.session(port);
            m.awaitLog("reload rolled back: " + port + ": bad command startup: exit status 1");
            // a good change in a window, then a reload without a canary: the window ends, the table stays
            m.masterCf(port + " inet n n n - 2 fake mode=serve max_use=7 " + m.rec());
            Process reload = canaryReload(m, "=60");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> m.countLog("canary window of 60s") == 2);
            // while the window is open: status says so, and an upgrade is refused (nothing changes)
            assertThat(m.runCommand("-c", m.conf.toString(), "status")).isZero();
            assertThat(m.commandOutput()).contains("binary generation 1, canary reload until ");
            assertThat(m.runCommand("-c", m.conf.toString(), "upgrade")).isEqualTo(1);
            assertThat(m.commandOutput()).contains("upgrade refused: a canary reload is in its window");
            m.mainCf("");
            m.signal("HUP");
            String out = finish(m, reload);
            assertThat(reload.exitValue()).as(out).isZero();
            assertThat(out).contains("kept (canary window ended early by a new reload)");
            assertThat(argvOf(m, Client.session(port))).contains("max_use=7");
            assertThat(codes(m)).containsSubsequence("canary.begin", "reload.rolled_back", "canary.begin",
                    "upgrade.failed", "reload.begin", "canary.superseded", "reload.done");
        }
    }
}
