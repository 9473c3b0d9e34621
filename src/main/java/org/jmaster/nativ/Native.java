package org.jmaster.nativ;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.Runtime;

/**
 * Loads {@link LibC} once, on first use (class initialisation is the lock), and gives the package
 * its errno and raw memory access. Loading costs one small generated class, not jnr-posix's
 * whole interface.
 */
final class Native {
    static final LibC C;
    static final Runtime RUNTIME;
    /** Absolute-address memory access (jffi's, backed by Unsafe): allocation-free gets and puts. */
    static final MemoryIO MEM;

    static {
        // Abi's initialiser refuses platforms whose layouts we do not know, before anything is bound
        Abi.requireSupported();
        C = LibraryLoader.create(LibC.class).failImmediately().load("c");
        RUNTIME = Runtime.getRuntime(C);
        MEM = MemoryIO.getInstance();
    }

    private Native() {}

    /**
     * The narrow jnr-ffi binding of the C library: only the functions this package calls. Every
     * pointer, {@code size_t} and {@code ssize_t} is a Java {@code long} holding a raw address or
     * size (LP64), so every stub has a primitive-only signature: jnr-ffi then generates its fastest
     * invoker, and a call allocates nothing. Memory behind the addresses comes from {@link Scratch}
     * or from a buffer owned by the caller. {@code uid_t}, {@code gid_t}, {@code mode_t} and
     * {@code socklen_t} travel as {@code int} (same width; the bits are passed through).
     *
     * <p>Public only because jnr-ffi implements it in its own class loader; {@link Native} is
     * package-private, so no code outside this package can name it.
     *
     * <p>errno is saved by jnr-ffi after every call not marked {@link IgnoreError}; read it with
     * {@link Native#errno()} right after the call, on the same thread. The {@code posix_spawn*}
     * functions do not use errno: they return the error number.
     */
    public interface LibC {
        // process creation (glibc: posix_spawn_file_actions_addchdir_np >= 2.29, addclosefrom_np >= 2.34)

        /**
         * posix_spawn with one extra, ignored argument ({@code unused}, pass 0). jnr-ffi 2.2.17's
         * generated x86_64 machine-code stub passes a wrong value as the 6th integer argument
         * (jnr-ffi issue #181; seen here as EFAULT from execve with a garbage envp). Its stub
         * compilers (x86_64 and aarch64) only take functions of at most 6 integer arguments, so a
         * 7th makes jnr-ffi call through libffi instead, which is correct. The C function never
         * reads the extra argument (a register or stack slot the callee ignores under the SysV
         * x86_64 and AAPCS64 conventions).
         */
        int posix_spawn(long pidOut, long path, long fileActions, long attr, long argv, long envp, long unused);

        int posix_spawn_file_actions_init(long fileActions);

        int posix_spawn_file_actions_destroy(long fileActions);

        int posix_spawn_file_actions_adddup2(long fileActions, int fd, int newFd);

        int posix_spawn_file_actions_addclose(long fileActions, int fd);

        int posix_spawn_file_actions_addopen(long fileActions, int fd, long path, int flags, int mode);

        int posix_spawn_file_actions_addchdir_np(long fileActions, long path);

        int posix_spawn_file_actions_addclosefrom_np(long fileActions, int from);

        int posix_spawnattr_init(long attr);

        int posix_spawnattr_destroy(long attr);

        int posix_spawnattr_setflags(long attr, short flags);

        int posix_spawnattr_setsigmask(long attr, long sigset);

        int posix_spawnattr_setsigdefault(long attr, long sigset);

        int posix_spawnattr_setpgroup(long attr, int pgroup);

        // children (glibc >= 2.36 has the pidfd wrappers)
        int pidfd_open(int pid, int flags);

        int pidfd_send_signal(int pidfd, int sig, long siginfo, int flags);

        int waitid(int idtype, int id, long siginfo, int options);

        int waitpid(int pid, long status, int options);

        int prctl(int option, long arg2, long arg3, long arg4, long arg5);

        int setpriority(int which, int who, int prio);

        int kill(int pid, int sig);

        int killpg(int pgrp, int sig);

        int tgkill(int tgid, int tid, int sig);

        // descriptors
        int pipe2(long fds, int flags);

        int socketpair(int domain, int type, int protocol, long fds);

        int close(int fd);

        long read(int fd, long buf, long count);

        long write(int fd, long buf, long count);

        long pwrite(int fd, long buf, long count, long offset);

        int fcntl(int fd, int cmd, int arg);

        int dup3(int oldFd, int newFd, int flags);

        int open(long path, int flags, int mode);

        int poll(long fds, long nfds, int timeoutMs);

        int flock(int fd, int operation);

        int fstat(int fd, long statBuf);

        int lstat(long path, long statBuf);

        // files
        int mkfifo(long path, int mode);

        int chown(long path, int uid, int gid);

        int fchown(int fd, int uid, int gid);

        int chmod(long path, int mode);

        int fchmod(int fd, int mode);

        int unlink(long path);

        // identity and process state
        int setsid();

        int setpgid(int pid, int pgid);

        @IgnoreError
        int getpid();

        @IgnoreError
        int getppid();

        @IgnoreError
        int getpgrp();

        @IgnoreError
        int getuid();

        @IgnoreError
        int geteuid();

        @IgnoreError
        int getgid();

        @IgnoreError
        int getegid();

        @IgnoreError
        int umask(int mask);

        int seteuid(int uid);

        int setegid(int gid);

        // privilege drop and jails (a Java service's -u and -c)
        int setgroups(long size, long gids);

        int getgroups(int size, long gids);

        int setgid(int gid);

        int setuid(int uid);

        int chroot(long path);

        int chdir(long path);

        int getpwnam_r(long name, long pwd, long buf, long bufLen, long result);

        int getgrnam_r(long name, long grp, long buf, long bufLen, long result);

        int getpwuid_r(int uid, long pwd, long buf, long bufLen, long result);

        int getrlimit(int resource, long rlimit);

        int setrlimit(int resource, long rlimit);

        // signals and messages
        long signal(int sig, long handler);

        int sigaction(int sig, long act, long oldAct);

        @IgnoreError
        long strerror(int errnum);

        @IgnoreError
        long strsignal(int sig);

        // sockets
        int socket(int domain, int type, int protocol);

        int setsockopt(int fd, int level, int name, long value, int len);

        int getsockopt(int fd, int level, int name, long value, long lenInOut);

        int bind(int fd, long addr, int len);

        int listen(int fd, int backlog);

        int connect(int fd, long addr, int len);

        int accept4(int fd, long addr, long lenInOut, int flags);

        int getsockname(int fd, long addr, long lenInOut);

        int getpeername(int fd, long addr, long lenInOut);

        long sendmsg(int fd, long msg, int flags);

        long recvmsg(int fd, long msg, int flags);

        long send(int fd, long buf, long len, int flags);
    }

    /** errno as saved by jnr-ffi after this thread's last libc call. */
    static int errno() {
        return RUNTIME.getLastError();
    }
}
