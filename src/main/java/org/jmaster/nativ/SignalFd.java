package org.jmaster.nativ;

import static org.jmaster.nativ.Native.MEM;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A signal read from a descriptor ({@code signalfd(2)}) instead of a handler: for SIGCHLD, which the
 * JDK would otherwise hand to a new Java thread at every delivery (one per child that exits; that
 * thread's start cost the master about half of its CPU per spawn). It works only when the signal is
 * blocked in every thread of the process, which a JVM can have only from its exec on (the launcher
 * starts it with {@code env --block-signal=CHLD}; threads inherit the mask, and HotSpot unblocks
 * only the signals it uses itself). Has its own small binding, loaded on first use.
 *
 * <h2>Promises</h2>
 * The descriptor is non-blocking and close-on-exec. {@link #drain} reads every queued
 * {@code signalfd_siginfo} and never blocks. Blocking a signal in the process is left to whoever
 * starts it; children made by {@link Spawn} start with the mask their plan says (empty by default).
 *
 * <h2>Errors</h2>
 * {@link #open} fails only without a descriptor or memory: {@link UncheckedNativeException}.
 *
 * <h2>Threads</h2>
 * Thread-safe in the sense of the underlying system calls.
 */
public final class SignalFd {
    private static final int SFD_NONBLOCK = 0x800;
    private static final int SFD_CLOEXEC = 0x80000;
    /** sizeof(struct signalfd_siginfo). */
    private static final int SIGINFO_SIZE = 128;

    private SignalFd() {}

    /** The call this file makes, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            int signalfd(int fd, long mask, int flags);

            long read(int fd, long buf, long count);
        }
    }

    /**
     * Whether {@code sig} is blocked in every thread of this process now, from the {@code SigBlk}
     * lines of {@code /proc/self/task/*}{@code /status}; false when they cannot be read.
     */
    public static boolean blockedInEveryThread(int sig) {
        long bit = 1L << (sig - 1);
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                long blocked = -1;
                for (String line : Files.readAllLines(t.resolve("status"))) {
                    if (line.startsWith("SigBlk:")) {
                        blocked = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                        break;
                    }
                }
                if (blocked == -1 || (blocked & bit) == 0) {
                    return false;
                }
            }
            return true;
        } catch (IOException | RuntimeException e) {
            // a thread that ended while we looked, or no /proc: do not count on the mask
            return false;
        }
    }

    /** A non-blocking, close-on-exec descriptor that is readable while {@code sig} is pending. */
    public static int open(int sig) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long mask = s.calloc(Abi.SIGSET_SIZE);
            MEM.putLong(mask, 1L << (sig - 1));
            int fd = Lib.C.signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
            if (fd < 0) {
                throw new UncheckedNativeException("signalfd", Signals.name(sig), Native.errno());
            }
            return fd;
        } finally {
            s.release(mark);
        }
    }

    /** Reads every queued signal from {@code fd}; true when at least one was there. */
    public static boolean drain(int fd) {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long buf = s.alloc(SIGINFO_SIZE * 8L);
            boolean any = false;
            while (Lib.C.read(fd, buf, SIGINFO_SIZE * 8L) > 0) {
                any = true;
            }
            return any;
        } finally {
            s.release(mark);
        }
    }
}
