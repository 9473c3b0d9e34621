package org.jmaster.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The examples of README.md and docs/*.md that the suite executes. An example is marked by an HTML
 * comment on the line before it (invisible on GitHub and in the man pages):
 *
 * <pre>
 * &lt;!-- doc-test: KIND [ARGUMENT] --&gt;
 * </pre>
 *
 * followed by a fenced code block, an indented (4-space) code block, or a table. The tests give each
 * kind its meaning ({@code master.cf}: the block is a master.cf that {@code --check} accepts;
 * {@code session}: shell commands run as written; ...). Only marked blocks are executed, so prose and
 * illustrations stay free; {@link #unmarkedServiceTables} finds master.cf examples someone forgot to
 * mark.
 */
final class DocBlocks {
    private static final Pattern MARKER = Pattern.compile("^\\s*<!-- doc-test: (\\S+)(?: (.*?))? -->\\s*$");
    private static final Pattern ENTRY = Pattern.compile(
            "^\\S+\\s+(inet|unix|unix-dgram|fifo|pass)\\s+[-yn]\\s+[-yn]\\s+[-yn]\\s+\\S+\\s+\\S+\\s+\\S+");

    /** One marked example: where it is, its kind and argument, and its lines (indentation removed). */
    record Block(Path file, int line, String kind, String argument, List<String> lines) {
        String where() {
            return MasterProcess.REPO.relativize(file) + ":" + line;
        }

        String text() {
            return String.join("\n", lines) + "\n";
        }
    }

    private DocBlocks() {}

    /** README.md and every docs/*.md. */
    static List<Path> documents() {
        List<Path> docs = new ArrayList<>(List.of(MasterProcess.REPO.resolve("README.md")));
        try (Stream<Path> s = Files.list(MasterProcess.REPO.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    /** Every marked block of every document. */
    static List<Block> all() {
        List<Block> out = new ArrayList<>();
        for (Path doc : documents()) {
            out.addAll(of(doc));
        }
        return out;
    }

    /** The marked blocks of {@code kind}. */
    static List<Block> all(String kind) {
        return all().stream().filter(b -> b.kind().equals(kind)).toList();
    }

    static List<Block> of(Path doc) {
        List<String> lines = read(doc);
        List<Block> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = MARKER.matcher(lines.get(i));
            if (!m.matches()) {
                continue;
            }
            int start = i + 1;
            while (start < lines.size() && lines.get(start).isBlank()) {
                start++;
            }
            List<String> body = block(lines, start);
            if (body.isEmpty()) {
                throw new AssertionError(doc + ":" + (i + 1) + ": a doc-test marker without a block after it");
            }
            out.add(new Block(doc, start + 1, m.group(1), m.group(2) == null ? "" : m.group(2), body));
        }
        return out;
    }

    /** The fenced, indented or table block starting at {@code start}, without its indentation. */
    private static List<String> block(List<String> lines, int start) {
        List<String> body = new ArrayList<>();
        if (start >= lines.size()) {
            return body;
        }
        String first = lines.get(start);
        String stripped = first.stripLeading();
        if (stripped.startsWith("```")) {
            int indent = first.length() - stripped.length();
            for (int i = start + 1; i < lines.size() && !lines.get(i).stripLeading().startsWith("```"); i++) {
                String l = lines.get(i);
                body.add(l.length() >= indent && l.substring(0, indent).isBlank() ? l.substring(indent) : l.strip());
            }
        } else if (first.startsWith("    ")) {
            for (int i = start; i < lines.size() && (lines.get(i).startsWith("    ") || lines.get(i).isBlank()); i++) {
                body.add(lines.get(i).isBlank() ? "" : lines.get(i).substring(4));
            }
            while (!body.isEmpty() && body.get(body.size() - 1).isEmpty()) {
                body.remove(body.size() - 1);
            }
        } else if (first.startsWith("|")) {
            for (int i = start; i < lines.size() && lines.get(i).startsWith("|"); i++) {
                body.add(lines.get(i));
            }
        }
        return body;
    }

    /**
     * Code blocks (fenced or indented) that contain a master.cf entry but carry no marker: an example
     * of the service table that the suite would not check.
     */
    static List<String> unmarkedServiceTables() {
        List<String> out = new ArrayList<>();
        for (Path doc : documents()) {
            List<String> lines = read(doc);
            boolean marked = false;
            boolean inFence = false;
            boolean reported = false;
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i);
                if (MARKER.matcher(l).matches()) {
                    marked = true;
                    continue;
                }
                if (l.stripLeading().startsWith("```")) {
                    inFence = !inFence;
                    if (!inFence) {
                        marked = false;
                    }
                    reported = false;
                    continue;
                }
                boolean indented = !inFence && l.startsWith("    ");
                String code = inFence ? l.strip() : indented ? l.substring(4) : null;
                if (code == null) {
                    if (!l.isBlank()) {
                        marked = false;
                        reported = false;
                    }
                    continue;
                }
                if (!marked && !reported && ENTRY.matcher(code).find()) {
                    out.add(MasterProcess.REPO.relativize(doc) + ":" + (i + 1) + ": " + code);
                    reported = true;
                }
            }
        }
        return out;
    }

    private static List<String> read(Path doc) {
        try {
            return Files.readAllLines(doc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
