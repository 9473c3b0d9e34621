package org.jmaster.nativ;

import static org.jmaster.nativ.Native.MEM;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * {@code poll(2)}. A PollSet is a reusable native {@code struct pollfd[]}: the event loop keeps one
 * entry per watched descriptor, changes one entry per change of its watch set ({@link #add},
 * {@link #set}, {@link #removeSwap}) and polls it as often as it likes; {@link #poll} allocates
 * nothing. The buffer grows on demand (existing entries are kept) and is freed by the garbage
 * collector with this object. The static calls ({@link #waitReadable}, {@link #waitWritable},
 * {@link #pollFds}) wait on a few descriptors through a per-thread set. Has its own small binding
 * (poll alone), loaded on first use.
 *
 * <pre>
 *   ps.reset(n); for (i...) ps.set(i, fd, PollSet.POLLIN);
 *   int ready = ps.poll(-1);            // 0 after EINTR or a timeout
 *   for (i...) if (ps.revents(i) != 0) ...
 * </pre>
 *
 * <h2>Promises</h2>
 * A poll never changes a descriptor's flags (a listener shared with children stays as it is).
 * EINTR is not retried by {@link #poll}, which returns 0 (the caller loops); the waiting calls
 * retry with the time left.
 *
 * <h2>Errors</h2>
 * Only a bug or exhaustion explains a failing poll (EFAULT, EINVAL, ENOMEM):
 * {@link UncheckedNativeException}.
 *
 * <h2>Threads</h2>
 * A PollSet is not thread-safe: one owner thread. The static calls are thread-safe.
 */
public final class PollSet {
    public static final short POLLIN = 0x001;
    public static final short POLLPRI = 0x002;
    public static final short POLLOUT = 0x004;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;
    public static final short POLLRDHUP = 0x2000;

    private static final ThreadLocal<PollSet> POLL_ONE = ThreadLocal.withInitial(() -> new PollSet(4));

    /** The call this file makes, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            int poll(long fds, long nfds, int timeoutMs);
        }
    }

    private Pointer buffer;
    private long base;
    private int capacity;
    private int size;

    public PollSet() {
        this(16);
    }

    public PollSet(int capacity) {
        allocate(Math.max(1, capacity));
    }

    private void allocate(int newCapacity) {
        Pointer b = Memory.allocateDirect(Native.RUNTIME, (long) newCapacity * Abi.POLLFD_SIZE, true);
        if (buffer != null) {
            MEM.copyMemory(base, b.address(), (long) size * Abi.POLLFD_SIZE);
        }
        buffer = b;
        base = b.address();
        capacity = newCapacity;
    }

    private void ensure(int n) {
        if (n > capacity) {
            allocate(Math.max(n, capacity * 2));
        }
    }

    /** Sets the number of entries to {@code count}, growing the buffer; entries beyond the old size are fd -1. */
    public void reset(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count " + count);
        }
        ensure(count);
        for (int i = size; i < count; i++) {
            set0(i, -1, (short) 0);
        }
        size = count;
    }

    /** Removes every entry. */
    public void clear() {
        size = 0;
    }

    /** Appends an entry and returns its index. */
    public int add(int fd, short events) {
        ensure(size + 1);
        set0(size, fd, events);
        return size++;
    }

    /** Sets entry {@code i} (below {@link #size()}); a negative fd is skipped by poll(2). */
    public void set(int i, int fd, short events) {
        check(i);
        set0(i, fd, events);
    }

    private void set0(int i, int fd, short events) {
        long a = base + (long) i * Abi.POLLFD_SIZE;
        MEM.putInt(a + Abi.POLLFD_FD, fd);
        MEM.putShort(a + Abi.POLLFD_EVENTS, events);
        MEM.putShort(a + Abi.POLLFD_REVENTS, (short) 0);
    }

    /**
     * Removes entry {@code i} by moving the last entry (its fd, events and revents) into its place;
     * returns the old index of the entry that moved, or -1 when {@code i} was the last one.
     */
    public int removeSwap(int i) {
        check(i);
        int last = size - 1;
        size = last;
        if (i == last) {
            return -1;
        }
        MEM.copyMemory(base + (long) last * Abi.POLLFD_SIZE, base + (long) i * Abi.POLLFD_SIZE, Abi.POLLFD_SIZE);
        return last;
    }

    /** Forgets what the last {@link #poll} reported for entry {@code i}. */
    public void clearRevents(int i) {
        check(i);
        MEM.putShort(base + (long) i * Abi.POLLFD_SIZE + Abi.POLLFD_REVENTS, (short) 0);
    }

    public int fd(int i) {
        check(i);
        return MEM.getInt(base + (long) i * Abi.POLLFD_SIZE + Abi.POLLFD_FD);
    }

    public short events(int i) {
        check(i);
        return MEM.getShort(base + (long) i * Abi.POLLFD_SIZE + Abi.POLLFD_EVENTS);
    }

    /** What the last {@link #poll} reported for entry {@code i}; 0 after a timeout or EINTR. */
    public short revents(int i) {
        check(i);
        return MEM.getShort(base + (long) i * Abi.POLLFD_SIZE + Abi.POLLFD_REVENTS);
    }

    public int size() {
        return size;
    }

    private void check(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("entry " + i + " of " + size);
        }
    }

    /** Polls all {@link #size()} entries. */
    public int poll(int timeoutMs) {
        return poll(size, timeoutMs);
    }

    /**
     * Polls the first {@code count} entries for at most {@code timeoutMs} (-1: forever, 0: do not
     * wait). Returns how many entries have non-zero revents; 0 on timeout and when a signal
     * interrupted the wait (EINTR: the revents are cleared, the caller just loops).
     *
     * @throws UncheckedNativeException for EFAULT/EINVAL/ENOMEM, which only a bug or exhaustion causes
     */
    public int poll(int count, int timeoutMs) {
        if (count < 0 || count > size) {
            throw new IndexOutOfBoundsException("count " + count + " of " + size);
        }
        int n = Lib.C.poll(base, count, timeoutMs);
        if (n >= 0) {
            return n;
        }
        int err = Native.errno();
        if (err == Errno.EINTR) {
            for (int i = 0; i < count; i++) {
                MEM.putShort(base + (long) i * Abi.POLLFD_SIZE + Abi.POLLFD_REVENTS, (short) 0);
            }
            return 0;
        }
        throw new UncheckedNativeException("poll", "", err);
    }

    // =====================================================================================
    // a few descriptors, through a per-thread set

    /**
     * {@code poll} over parallel arrays, through a per-thread {@link PollSet} (no allocation per
     * call once it has grown to {@code count}). Fills {@code revents}; returns the ready count,
     * 0 on timeout or EINTR.
     */
    public static int pollFds(int[] fds, short[] events, short[] revents, int count, int timeoutMs) {
        PollSet ps = POLL_ONE.get();
        ps.reset(count);
        for (int i = 0; i < count; i++) {
            ps.set(i, fds[i], events[i]);
        }
        int n = ps.poll(count, timeoutMs);
        for (int i = 0; i < count; i++) {
            revents[i] = ps.revents(i);
        }
        return n;
    }

    /**
     * Waits until {@code fd} is readable, hung up or in error, at most {@code timeoutMs} (-1:
     * forever); true if it is, false on timeout. Retries after EINTR with the time left.
     */
    public static boolean waitReadable(int fd, int timeoutMs) {
        return waitFor(fd, POLLIN, timeoutMs);
    }

    /** As {@link #waitReadable} for writability (a non-blocking connect finishing). */
    public static boolean waitWritable(int fd, int timeoutMs) {
        return waitFor(fd, POLLOUT, timeoutMs);
    }

    private static boolean waitFor(int fd, short events, int timeoutMs) {
        PollSet ps = POLL_ONE.get();
        ps.reset(1);
        ps.set(0, fd, events);
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        for (;;) {
            int left = timeoutMs < 0 ? -1
                    : (int) Math.max(0, (deadline - System.nanoTime() + 999_999L) / 1_000_000L);
            if (ps.poll(1, left) > 0) {
                return true;
            }
            if (timeoutMs >= 0 && deadline - System.nanoTime() <= 0) {
                return false;
            }
        }
    }
}
