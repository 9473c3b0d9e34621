package org.jmaster.conf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.jmaster.conf.TestConf.entry;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** childArgv against the observed and derived examples of protocol doc §3.6. */
class ChildArgvTest {

    private static List<String> argv(String line, boolean debug, boolean verbose, int fds, boolean localOnly)
            throws Exception {
        ServiceEntry e = entry(line);
        return e.childArgv(debug, verbose, fds, e.stressEligible(localOnly), false);
    }

    private static List<String> words(String s) {
        return Arrays.asList(s.split(" "));
    }

    @Test
    void observedWakeupService() throws Exception {
        assertThat(argv("w1 unix n - n 5 1 fake mode=trigger", false, false, 1, true))
                .isEqualTo(words("fake -l -n w1 -t unix -u mode=trigger"));
    }

    @Test
    void observedPrivilegedChrootedUnlimited() throws Exception {
        assertThat(argv("privsvc unix n n y - 0 fake mode=serve", false, false, 1, true))
                .isEqualTo(words("fake -z -n privsvc -t unix -c mode=serve"));
    }

    @Test
    void observedLoopbackInetWithTwoSockets() throws Exception {
        assertThat(argv("20026 inet n - n - 2 fake mode=serve", false, false, 2, true))
                .isEqualTo(words("fake -n 20026 -t inet -u -s 2 mode=serve"));
    }

    @Test
    void observedPassServiceGetsStressArgument() throws Exception {
        assertThat(argv("pst pass n - n - 2 fake mode=slow", false, false, 1, false))
                .isEqualTo(List.of("fake", "-n", "pst", "-t", "pass", "-u", "-o", "stress=", "mode=slow"));
    }

    @Test
    void observedDebugAndVerbose() throws Exception {
        assertThat(argv("newsvc unix n - n - 1 fake mode=serve", true, true, 1, true))
                .isEqualTo(words("fake -l -n newsvc -t unix -d -v -u mode=serve"));
    }

    @Test
    void stockSmtpd() throws Exception {
        assertThat(argv("smtp inet n - n - - smtpd", false, false, 2, false))
                .isEqualTo(List.of("smtpd", "-n", "smtp", "-t", "inet", "-u", "-o", "stress=", "-s", "2"));
    }

    @Test
    void stockPickupAndCleanup() throws Exception {
        assertThat(argv("pickup unix n - n 60 1 pickup", false, false, 1, true)).isEqualTo(words("pickup -l -t unix -u"));
        assertThat(argv("cleanup unix n - n - 0 cleanup", false, false, 1, true)).isEqualTo(words("cleanup -z -t unix -u"));
    }

    @Test
    void stressedChildGetsStressYes() throws Exception {
        ServiceEntry e = entry("smtp inet n - n - - smtpd");
        assertThat(e.childArgv(false, false, 1, true, true))
                .isEqualTo(List.of("smtpd", "-n", "smtp", "-t", "inet", "-u", "-o", "stress=yes"));
    }

    @Test
    void stressEligibility() throws Exception {
        assertThat(entry("smtp inet n - n - - smtpd").stressEligible(false)).isTrue();
        assertThat(entry("smtp inet n - n - - smtpd").stressEligible(true)).isFalse();
        assertThat(entry("smtp inet n - n - 1 smtpd").stressEligible(false)).isFalse();
        assertThat(entry("smtp inet n - n - 0 smtpd").stressEligible(false)).isFalse();
    }

    @Test
    void spacedArgumentsAndLongOptionForm() throws Exception {
        assertThat(argv("127.0.0.1:20025 inet n - n - - fake -o { foo = bar baz } { spaced arg }", false, false, 1, true))
                .containsExactly("fake", "-n", "127.0.0.1:20025", "-t", "inet", "-u", "-o", "foo = bar baz", "spaced arg");
    }

    @Test
    void dashNComparesTheBasenameOfTheCommand() throws Exception {
        assertThat(argv("smtpd unix n - n - 1 sub/dir/smtpd", false, false, 1, true))
                .isEqualTo(words("sub/dir/smtpd -l -t unix -u"));
        assertThat(argv("dg unix-dgram n - n - 1 postlogd", false, false, 1, true))
                .isEqualTo(words("postlogd -l -n dg -t unix-dgram -u"));
    }
}
