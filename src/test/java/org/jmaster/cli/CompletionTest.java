package org.jmaster.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: bash completion (completion/jmaster.bash) completes the options and commands that
 * {@code --help} lists, {@code --json} after status and children, and directories after {@code -c}.
 */
class CompletionTest {
    private static final Path SCRIPT = Path.of("completion/jmaster.bash").toAbsolutePath();

    @TempDir
    Path tmp;

    /** What bash completes for the words of {@code line} (the last one being completed), one per element. */
    private List<String> complete(String... words) throws Exception {
        StringBuilder script = new StringBuilder(". '" + SCRIPT + "'\nCOMP_WORDS=(");
        for (String w : words) {
            script.append("'").append(w.replace("'", "'\\''")).append("' ");
        }
        script.append(")\nCOMP_CWORD=").append(words.length - 1).append("\n")
                .append("complete -p ").append(words[0].replaceFirst(".*/", "")).append(" >/dev/null || exit 3\n")
                .append("_jmaster\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n");
        Process p = new ProcessBuilder("bash", "--norc", "--noprofile", "-c", script.toString())
                .directory(tmp.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        List<String> got = new ArrayList<>(out.lines().filter(l -> !l.isEmpty()).toList());
        got.sort(null);
        return got;
    }

    @Test
    void commandsOptionsAndDirectories() throws Exception {
        assertThat(complete("jmaster", "st")).containsExactly("status", "stop");
        assertThat(complete("./master", "-c", "conf", "re")).containsExactly("reload");
        assertThat(complete("master", "--ch")).containsExactly("--check");
        assertThat(complete("master", "status", "--")).containsExactly("--json");
        assertThat(complete("master", "reload", "")).isEmpty();
        Files.createDirectories(tmp.resolve("conf.d"));
        Files.writeString(tmp.resolve("config-file"), "");
        assertThat(complete("jmaster", "-c", "con")).containsExactly("conf.d");
    }

    @Test
    void everyOptionAndCommandOfTheHelpIsCompleted() throws Exception {
        String help = Options.help("master");
        List<String> offered = complete("master", "-");
        Matcher option = Pattern.compile("(?m)^  (-\\w|--\\w+)(?:, (--\\w+))?").matcher(help);
        int seen = 0;
        while (option.find()) {
            seen++;
            if (option.group(1).equals("--json")) {
                continue; // offered after status and children (above)
            }
            assertThat(offered).contains(option.group(1));
            if (option.group(2) != null) {
                assertThat(offered).contains(option.group(2));
            }
        }
        assertThat(seen).isGreaterThan(10);
        assertThat(offered).contains("--version");
        List<String> commands = complete("master", "");
        Matcher command = Pattern.compile("(?m)^  ([a-z]+) +\\S").matcher(help);
        while (command.find()) {
            assertThat(commands).contains(command.group(1));
        }
        assertThat(commands).hasSize(6);
    }
}
