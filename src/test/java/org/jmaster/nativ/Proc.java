package org.jmaster.nativ;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/** Test helper: what /proc says about a process, seen from outside it. */
final class Proc {
    private Proc() {}

    /** The open descriptors of {@code pid} and what each points to ({@code pipe:[123]}, {@code /dev/null}). */
    static TreeMap<Integer, String> fds(long pid) {
        TreeMap<Integer, String> out = new TreeMap<>();
        try (var dir = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
            for (Path p : dir) {
                out.put(Integer.parseInt(p.getFileName().toString()), Files.readSymbolicLink(p).toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** What our own descriptor {@code fd} points to. */
    static String self(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The open-file flags of {@code pid}'s descriptor {@code fd} (octal "flags:" line of fdinfo). */
    static int fdFlags(long pid, int fd) {
        for (String line : lines("/proc/" + pid + "/fdinfo/" + fd)) {
            if (line.startsWith("flags:")) {
                return Integer.parseInt(line.substring(6).trim(), 8);
            }
        }
        throw new AssertionError("no flags for fd " + fd);
    }

    /** A field of /proc/PID/status, e.g. "SigIgn". */
    static String status(String proc, String field) {
        for (String line : lines("/proc/" + proc + "/status")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim();
            }
        }
        throw new AssertionError("no " + field);
    }

    static long hexField(String proc, String field) {
        return Long.parseUnsignedLong(status(proc, field), 16);
    }

    static List<String> nulSeparated(String file) {
        try {
            String s = new String(Files.readAllBytes(Path.of(file)), StandardCharsets.UTF_8);
            if (s.isEmpty()) {
                return List.of();
            }
            if (s.endsWith("\0")) {
                s = s.substring(0, s.length() - 1);
            }
            return Arrays.asList(s.split("\0", -1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until {@code pid} has finished its exec. posix_spawn returns when the vfork'd child has
     * replaced its memory, which is before the kernel has written the new argv and environment:
     * for a moment /proc/PID/cmdline and environ read empty (seen once in ~20 runs).
     */
    static void awaitExec(long pid) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (cmdline(pid).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("pid " + pid + " has no command line after 5 s");
            }
            Thread.onSpinWait();
        }
    }

    static List<String> cmdline(long pid) {
        return nulSeparated("/proc/" + pid + "/cmdline");
    }

    static List<String> environ(long pid) {
        return nulSeparated("/proc/" + pid + "/environ");
    }

    static String cwd(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/" + pid + "/cwd")).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fields of /proc/PID/stat after the command name: index 0 is the state, 2 pgrp, 3 session. */
    static String[] stat(long pid) {
        String s = String.join("\n", lines("/proc/" + pid + "/stat"));
        return s.substring(s.lastIndexOf(')') + 2).split(" ");
    }

    static int pgrp(long pid) {
        return Integer.parseInt(stat(pid)[2]);
    }

    static int session(long pid) {
        return Integer.parseInt(stat(pid)[3]);
    }

    static List<String> lines(String file) {
        try {
            return Files.readAllLines(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for the child behind {@code pidfd} (at most 20 s), reaps it and closes the pidfd. */
    static ExitStatus reap(int pidfd) {
        try {
            assertThat(PollSet.waitReadable(pidfd, 20_000)).as("child exits within 20 s").isTrue();
            ExitStatus st = Processes.waitidPidfd(pidfd, true);
            assertThat(st.kind()).isNotEqualTo(ExitStatus.Kind.NONE);
            return st;
        } finally {
            TestNative.close(pidfd);
        }
    }

    /** Spawns, then reaps; returns the status. */
    static ExitStatus run(SpawnPlan plan) throws NativeException {
        int pid = Spawn.spawn(plan);
        return reap(Processes.pidfdOpen(pid));
    }

    /** The pids of this JVM's children that are zombies (no thread may leave one behind). */
    static List<Integer> zombieChildren() {
        List<Integer> out = new ArrayList<>();
        try (var tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                Path children = t.resolve("children");
                if (!Files.exists(children)) {
                    continue;
                }
                for (String pid : Files.readString(children).trim().split("\\s+")) {
                    if (pid.isEmpty()) {
                        continue;
                    }
                    try {
                        if (stat(Long.parseLong(pid))[0].equals("Z")) {
                            out.add(Integer.parseInt(pid));
                        }
                    } catch (UncheckedIOException gone) {
                        // reaped meanwhile
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static TreeSet<Integer> set(int... fds) {
        TreeSet<Integer> s = new TreeSet<>();
        for (int fd : fds) {
            s.add(fd);
        }
        return s;
    }

    /** Reads everything from a blocking fd until EOF. */
    static String readAll(int fd) throws NativeException {
        byte[] buf = new byte[4096];
        int n;
        java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
        while ((n = Fds.read(fd, buf, 0, buf.length)) != 0) {
            if (n < 0) {
                PollSet.waitReadable(fd, 10_000);
                continue;
            }
            bos.write(buf, 0, n);
        }
        return bos.toString(StandardCharsets.UTF_8);
    }
}
