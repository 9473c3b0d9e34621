package org.jmaster.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OptionsTest {
    @Test
    void parsesPostfixOptionsBundledAndSeparate() throws Exception {
        Options o = Options.parse(new String[] {"-dvv", "-c", "conf", "-e5"});
        assertThat(o.foreground()).isTrue();
        assertThat(o.verbose()).isEqualTo(2);
        assertThat(o.configDir()).contains("conf");
        assertThat(o.exitTime()).contains(5);
        assertThat(o.test()).isFalse();
        assertThat(Options.parse(new String[] {"-cconf", "-t"}).configDir()).contains("conf");
    }

    @Test
    void acceptsEveryOptionPostfixsControlScriptPasses() throws Exception {
        // postfix-script: master -t, master -w (start), master -i (start-fg as PID 1), master -s (start-fg)
        assertThat(Options.parse(new String[] {"-t"}).test()).isTrue();
        assertThat(Options.parse(new String[] {"-w"}).waitInit()).isTrue();
        assertThat(Options.parse(new String[] {"-i"}).initMode()).isTrue();
        assertThat(Options.parse(new String[] {"-s"}).keepStdout()).isTrue();
        assertThat(Options.parse(new String[] {"-d"}).keepStdout()).isFalse();
    }

    @Test
    void longOptions() throws Exception {
        assertThat(Options.parse(new String[] {"--check", "-c", "x"}).check()).isTrue();
        assertThat(Options.parse(new String[] {"--help"}).help()).isTrue();
        assertThat(Options.parse(new String[] {"-h"}).help()).isTrue();
        assertThat(Options.parse(new String[] {"--version"}).version()).isTrue();
    }

    @Test
    void rejectsWhatPostfixRejects() {
        assertThatThrownBy(() -> Options.parse(new String[] {"-t", "-w"}))
                .hasMessage("the -t and -w options cannot be used together");
        assertThatThrownBy(() -> Options.parse(new String[] {"-x"})).hasMessageContaining("invalid option -- 'x'");
        assertThatThrownBy(() -> Options.parse(new String[] {"-c"})).hasMessageContaining("requires an argument");
        assertThatThrownBy(() -> Options.parse(new String[] {"operand"})).hasMessageContaining("unexpected argument");
        assertThatThrownBy(() -> Options.parse(new String[] {"-e", "5x"})).hasMessageContaining("bad value");
        assertThatThrownBy(() -> Options.parse(new String[] {"--bogus"})).hasMessageContaining("unknown option");
    }
}
