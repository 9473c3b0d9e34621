package org.jmaster.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The command lines of {@code upgrade}, {@code events} and {@code reload --canary}. */
class ChangeOptionsTest {
    @Test
    void upgradeEventsAndCanaryReload() throws Exception {
        assertThat(Options.parse(new String[] {"upgrade"}).command()).contains("upgrade");
        Options e = Options.parse(new String[] {"-c", "x", "events", "--follow", "--json", "--service", "smtp"});
        assertThat(e.command()).contains("events");
        assertThat(e.follow()).isTrue();
        assertThat(e.json()).isTrue();
        assertThat(e.service()).contains("smtp");
        assertThat(ChangeCommands.handles(e)).isTrue();
        assertThat(Options.parse(new String[] {"reload"}).canary()).isEqualTo(-1);
        assertThat(ChangeCommands.handles(Options.parse(new String[] {"reload"}))).isFalse();
        assertThat(Options.parse(new String[] {"reload", "--canary"}).canary()).isZero();
        assertThat(Options.parse(new String[] {"reload", "--canary=30"}).canary()).isEqualTo(30);
        assertThat(ChangeCommands.handles(Options.parse(new String[] {"reload", "--canary"}))).isTrue();
    }

    @Test
    void refusesWhatDoesNotFit() {
        assertThatThrownBy(() -> Options.parse(new String[] {"status", "--follow"}))
                .hasMessage("--follow goes with events");
        assertThatThrownBy(() -> Options.parse(new String[] {"--service", "x"}))
                .hasMessage("--service goes with events");
        assertThatThrownBy(() -> Options.parse(new String[] {"status", "--canary"}))
                .hasMessage("--canary goes with reload");
        assertThatThrownBy(() -> Options.parse(new String[] {"reload", "--canary=0"}))
                .hasMessageContaining("--canary: bad value: \"0\"");
        assertThatThrownBy(() -> Options.parse(new String[] {"reload", "--canary=soon"}))
                .hasMessageContaining("--canary: bad value: \"soon\"");
        assertThatThrownBy(() -> Options.parse(new String[] {"upgrade", "--json"}))
                .hasMessage("--json goes with status, children or events");
    }
}
