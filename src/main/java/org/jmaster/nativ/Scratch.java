package org.jmaster.nativ;

import static org.jmaster.nativ.Native.MEM;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Per-thread native scratch memory for the arguments of one libc call: a bump allocator over one
 * block, released by mark. Nesting is allowed (a callee allocates above its caller and releases
 * back to its own mark). A request that does not fit the block gets its own chunk, dropped at
 * release. Blocks are jnr-ffi direct memory, freed by the garbage collector when the thread that
 * owned them is gone (the JDK's signal handlers run on short-lived threads).
 *
 * <pre>
 *   Scratch s = Scratch.get(); int m = s.mark();
 *   try { long a = s.alloc(16); ... } finally { s.release(m); }
 * </pre>
 */
final class Scratch {
    static final int BLOCK = 16 * 1024;
    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

    private final Pointer block;
    private final long base;
    private int top;
    private final List<Pointer> overflow = new ArrayList<>(0);

    private Scratch() {
        block = Memory.allocateDirect(Native.RUNTIME, BLOCK, true);
        base = block.address();
    }

    static Scratch get() {
        return LOCAL.get();
    }

    /** A mark to release to: the current top, and the number of overflow chunks in its high bits. */
    int mark() {
        return top | (overflow.size() << 20);
    }

    void release(int mark) {
        top = mark & 0xFFFFF;
        int keep = mark >>> 20;
        for (int i = overflow.size() - 1; i >= keep; i--) {
            overflow.remove(i);
        }
    }

    /** {@code size} bytes, 16-byte aligned, contents undefined. */
    long alloc(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("size " + size);
        }
        long aligned = (size + 15) & ~15L;
        if (top + aligned <= BLOCK) {
            long a = base + top;
            top += (int) aligned;
            return a;
        }
        Pointer chunk = Memory.allocateDirect(Native.RUNTIME, (int) Math.max(aligned, 16), false);
        overflow.add(chunk);
        return chunk.address();
    }

    /** {@code size} zeroed bytes. */
    long calloc(long size) {
        long a = alloc(size);
        MEM.setMemory(a, size, (byte) 0);
        return a;
    }

    /** The bytes of {@code s} in UTF-8 plus a NUL; refuses an embedded NUL instead of truncating. */
    long cstr(String s) {
        Objects.requireNonNull(s);
        return cstr(utf8(s));
    }

    long cstr(byte[] bytes) {
        long a = alloc(bytes.length + 1L);
        MEM.putByteArray(a, bytes, 0, bytes.length);
        MEM.putByte(a + bytes.length, (byte) 0);
        return a;
    }

    /** A NULL-terminated {@code char *[]} of the strings, for argv and envp. */
    long cstrArray(List<String> strings) {
        long array = alloc((strings.size() + 1L) * Abi.POINTER);
        for (int i = 0; i < strings.size(); i++) {
            MEM.putAddress(array + (long) i * Abi.POINTER, cstr(strings.get(i)));
        }
        MEM.putAddress(array + (long) strings.size() * Abi.POINTER, 0L);
        return array;
    }

    static byte[] utf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        for (byte x : b) {
            if (x == 0) {
                throw new IllegalArgumentException("NUL byte in C string: " + s.replace('\0', '@'));
            }
        }
        return b;
    }

    /** The NUL-terminated string at {@code address} as UTF-8, or null for a null pointer. */
    static String string(long address) {
        if (address == 0) {
            return null;
        }
        return new String(MEM.getZeroTerminatedByteArray(address), StandardCharsets.UTF_8);
    }
}
