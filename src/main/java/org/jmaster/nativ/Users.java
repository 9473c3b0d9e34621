package org.jmaster.nativ;

import static org.jmaster.nativ.Errno.ERANGE;
import static org.jmaster.nativ.Native.MEM;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import jnr.ffi.annotations.IgnoreError;

/**
 * Users and privileges: the user and group databases ({@code getpwnam_r}, {@code getgrnam_r},
 * {@code getpwuid_r}), this process's ids, and dropping privileges for good (supplementary
 * groups, gid, uid, chroot, working directory). Has its own small binding, loaded on first use.
 *
 * <h2>Promises</h2>
 * Lookups are reentrant and allocate their buffers per call (growing on ERANGE). The set*id calls
 * are glibc's, which apply them to every thread of the process.
 *
 * <h2>Errors</h2>
 * A refused change of identity (EPERM, a chroot that does not exist) throws the checked
 * {@link NativeException}. A lookup that fails for another reason than an unknown name (EIO, a
 * broken NSS module) throws {@link UncheckedNativeException}; an unknown name is an empty result.
 *
 * <h2>Threads</h2>
 * Lookups are thread-safe. {@link #setgroups}, {@link #setgid}, {@link #setuid}, {@link #chroot}
 * and {@link #chdir} change the whole process (all threads).
 */
public final class Users {
    /** A user database entry. */
    public record Passwd(String name, int uid, int gid, String home, String shell) {}

    /** A group database entry. */
    public record Group(String name, int gid, List<String> members) {}

    private Users() {}

    /** The calls this file makes, bound on first use. */
    private static final class Lib {
        static final Calls C = Native.load(Calls.class);

        public interface Calls {
            @IgnoreError
            int getuid();

            @IgnoreError
            int geteuid();

            @IgnoreError
            int getgid();

            @IgnoreError
            int getegid();

            int setgroups(long size, long gids);

            int setgid(int gid);

            int setuid(int uid);

            int chroot(long path);

            int chdir(long path);

            int getpwnam_r(long name, long pwd, long buf, long bufLen, long result);

            int getgrnam_r(long name, long grp, long buf, long bufLen, long result);

            int getpwuid_r(int uid, long pwd, long buf, long bufLen, long result);
        }
    }

    private static NativeException fail(String call, String subject) {
        return new NativeException(call, subject, Native.errno());
    }

    // =====================================================================================
    // ids

    public static int getuid() {
        return Lib.C.getuid();
    }

    public static int geteuid() {
        return Lib.C.geteuid();
    }

    public static int getgid() {
        return Lib.C.getgid();
    }

    public static int getegid() {
        return Lib.C.getegid();
    }

    /**
     * Sets the supplementary groups of the whole process (all threads, as glibc applies every
     * set*id call); needs CAP_SETGID. An empty array clears them.
     */
    public static void setgroups(int[] gids) throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            long a = s.alloc(Math.max(4L, 4L * gids.length));
            for (int i = 0; i < gids.length; i++) {
                MEM.putInt(a + 4L * i, gids[i]);
            }
            if (Lib.C.setgroups(gids.length, a) != 0) {
                throw fail("setgroups", Arrays.toString(gids));
            }
        } finally {
            s.release(mark);
        }
    }

    /** Real, effective and saved gid of the whole process (as root; otherwise only to one of the three). */
    public static void setgid(int gid) throws NativeException {
        if (Lib.C.setgid(gid) != 0) {
            throw fail("setgid", Integer.toString(gid));
        }
    }

    /**
     * Real, effective and saved uid of the whole process. As root this is for good: there is no
     * way back to uid 0. Set the groups and the gid first.
     */
    public static void setuid(int uid) throws NativeException {
        if (Lib.C.setuid(uid) != 0) {
            throw fail("setuid", Integer.toString(uid));
        }
    }

    /**
     * Makes {@code path} the root directory of the whole process (needs CAP_SYS_CHROOT). The
     * working directory is not changed: call {@link #chdir chdir("/")} next, or it stays outside.
     */
    public static void chroot(String path) throws NativeException {
        pathCall("chroot", path, Lib.C::chroot);
    }

    /** Changes the working directory of the whole process (relative paths in every thread follow it). */
    public static void chdir(String path) throws NativeException {
        pathCall("chdir", path, Lib.C::chdir);
    }

    private static void pathCall(String call, String path, java.util.function.LongToIntFunction c)
            throws NativeException {
        Scratch s = Scratch.get();
        int mark = s.mark();
        try {
            if (c.applyAsInt(s.cstr(path)) != 0) {
                throw fail(call, path);
            }
        } finally {
            s.release(mark);
        }
    }

    // =====================================================================================
    // users and groups

    /** The user database entry for {@code name}, or empty. Unchecked for lookup errors (EIO, ...). */
    public static Optional<Passwd> getpwnam(String name) {
        return lookup("getpwnam_r", name, Abi.PASSWD_SIZE, Lib.C::getpwnam_r, pwd -> new Passwd(
                Scratch.string(MEM.getAddress(pwd + Abi.PASSWD_NAME)),
                MEM.getInt(pwd + Abi.PASSWD_UID), MEM.getInt(pwd + Abi.PASSWD_GID),
                Scratch.string(MEM.getAddress(pwd + Abi.PASSWD_DIR)),
                Scratch.string(MEM.getAddress(pwd + Abi.PASSWD_SHELL))));
    }

    /** The group database entry for {@code name}, or empty. Unchecked for lookup errors. */
    public static Optional<Group> getgrnam(String name) {
        return lookup("getgrnam_r", name, Abi.GROUP_SIZE, Lib.C::getgrnam_r, grp -> {
            List<String> members = new ArrayList<>();
            long mem = MEM.getAddress(grp + Abi.GROUP_MEM);
            for (long p; mem != 0 && (p = MEM.getAddress(mem)) != 0; mem += Abi.POINTER) {
                members.add(Scratch.string(p));
            }
            return new Group(Scratch.string(MEM.getAddress(grp + Abi.GROUP_NAME)),
                    MEM.getInt(grp + Abi.GROUP_GID), List.copyOf(members));
        });
    }

    /** One of the reentrant {@code get*nam_r} calls: (name, entry, buffer, buffer length, result). */
    private interface ByName {
        int call(long name, long entry, long buf, long bufLen, long result);
    }

    /**
     * A reentrant name-service lookup: the buffer grows on ERANGE (up to 1 MiB); empty when the name
     * is unknown; the entry is decoded while its strings are still in the scratch buffer.
     */
    private static <T> Optional<T> lookup(String call, String name, int entrySize, ByName c,
                                          java.util.function.LongFunction<T> decode) {
        Scratch s = Scratch.get();
        for (int size = 1024; ; size *= 4) {
            int mark = s.mark();
            try {
                long entry = s.calloc(entrySize);
                long result = s.calloc(Abi.POINTER);
                long buf = s.alloc(size);
                int rc = c.call(s.cstr(name), entry, buf, size, result);
                if (rc == ERANGE && size < (1 << 20)) {
                    continue;
                }
                if (rc != 0) {
                    throw new UncheckedNativeException(call, name, rc);
                }
                if (MEM.getAddress(result) == 0) {
                    return Optional.empty();
                }
                return Optional.of(decode.apply(entry));
            } finally {
                s.release(mark);
            }
        }
    }

    /** The user database entry for {@code uid}, or empty. Unchecked for lookup errors. */
    public static Optional<Passwd> getpwuid(int uid) {
        // the name argument of the shared lookup is only used in error messages here
        return lookup("getpwuid_r", Integer.toUnsignedString(uid), Abi.PASSWD_SIZE,
                (name, pwd, buf, len, result) -> Lib.C.getpwuid_r(uid, pwd, buf, len, result), pwd -> new Passwd(
                Scratch.string(MEM.getAddress(pwd + Abi.PASSWD_NAME)),
                MEM.getInt(pwd + Abi.PASSWD_UID), MEM.getInt(pwd + Abi.PASSWD_GID),
                Scratch.string(MEM.getAddress(pwd + Abi.PASSWD_DIR)),
                Scratch.string(MEM.getAddress(pwd + Abi.PASSWD_SHELL))));
    }
}
