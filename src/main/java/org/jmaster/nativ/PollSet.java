package org.jmaster.nativ;

import static org.jmaster.nativ.Native.C;
import static org.jmaster.nativ.Native.MEM;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * A reusable native {@code struct pollfd[]} for {@code poll(2)}: the event loop fills it once per
 * change of its watch set and polls it as often as it likes; {@link #poll} allocates nothing.
 * The buffer grows on demand (existing entries are kept) and is freed by the garbage collector
 * with this object. Not thread-safe: one owner thread.
 *
 * <pre>
 *   ps.reset(n); for (i...) ps.set(i, fd, PollSet.POLLIN);
 *   int ready = ps.poll(-1);            // 0 after EINTR or a timeout
 *   for (i...) if (ps.revents(i) != 0) ...
 * </pre>
 */
public final class PollSet {
    public static final short POLLIN = 0x001;
    public static final short POLLPRI = 0x002;
    public static final short POLLOUT = 0x004;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;
    public static final short POLLRDHUP = 0x2000;

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
        int n = C.poll(base, count, timeoutMs);
        if (n >= 0) {
            return n;
        }
        int err = Native.errno();
        if (err == Posix.EINTR) {
            for (int i = 0; i < count; i++) {
                MEM.putShort(base + (long) i * Abi.POLLFD_SIZE + Abi.POLLFD_REVENTS, (short) 0);
            }
            return 0;
        }
        throw new UncheckedNativeException("poll", "", err);
    }
}
