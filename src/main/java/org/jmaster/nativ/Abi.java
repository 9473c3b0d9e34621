package org.jmaster.nativ;

/**
 * Every number this package passes to or reads from the C library: struct sizes, field offsets and
 * flag values for LP64 Linux with glibc, x86_64 and aarch64. They were checked with {@code sizeof}
 * and {@code offsetof} against glibc 2.36's headers on x86_64; where aarch64 (asm-generic) differs,
 * both values are here and the comment says so. Nothing else in the package hard-codes a layout.
 */
final class Abi {
    /** True on aarch64, false on x86_64; any other architecture is refused at class load. */
    static final boolean AARCH64;

    static {
        String arch = System.getProperty("os.arch", "");
        String os = System.getProperty("os.name", "");
        if (!os.equals("Linux")) {
            throw new UnsupportedOperationException("org.jmaster.nativ supports Linux only, not " + os);
        }
        if (arch.equals("amd64") || arch.equals("x86_64")) {
            AARCH64 = false;
        } else if (arch.equals("aarch64") || arch.equals("arm64")) {
            AARCH64 = true;
        } else {
            throw new UnsupportedOperationException("org.jmaster.nativ supports x86_64 and aarch64, not " + arch);
        }
    }

    private Abi() {}

    /** Does nothing; calling it runs the static check above (constants alone would not). */
    static void requireSupported() {}

    static final int POINTER = 8;

    // ---- posix_spawn (opaque glibc types; sizes 80 and 336 on both; we reserve more) ----
    static final int SPAWN_FILE_ACTIONS_RESERVE = 128;
    static final int SPAWNATTR_RESERVE = 512;
    /** glibc's sigset_t: 1024 bits; signal n is bit (n-1) of little-endian 64-bit words. */
    static final int SIGSET_SIZE = 128;
    static final short POSIX_SPAWN_SETPGROUP = 0x02;
    static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    static final short POSIX_SPAWN_SETSID = 0x80; // glibc >= 2.26
    static final int NSIG = 65;

    // ---- signal dispositions; struct sigaction starts with sa_handler on both ----
    static final long SIG_DFL = 0;
    static final long SIG_IGN = 1;
    static final long SIG_ERR = -1;
    static final int SIGACTION_RESERVE = 256; // 152 on both
    static final int SIGACTION_HANDLER = 0;

    // ---- waitid / siginfo_t (128 bytes; SIGCHLD fields after a 4-byte pad) ----
    static final int P_ALL = 0;
    static final int P_PIDFD = 3;
    static final int WNOWAIT = 0x01000000;
    static final int PR_SET_CHILD_SUBREAPER = 36;
    static final int WNOHANG = 1;
    static final int WEXITED = 4;
    static final int SIGINFO_SIZE = 128;
    static final int SIGINFO_CODE = 8;
    static final int SIGINFO_PID = 16;
    static final int SIGINFO_UID = 20;
    static final int SIGINFO_STATUS = 24;
    static final int CLD_EXITED = 1;
    static final int CLD_KILLED = 2;
    static final int CLD_DUMPED = 3;
    static final int CLD_TRAPPED = 4;
    static final int CLD_STOPPED = 5;

    // ---- struct pollfd { int fd; short events; short revents; } ----
    static final int POLLFD_SIZE = 8;
    static final int POLLFD_FD = 0;
    static final int POLLFD_EVENTS = 4;
    static final int POLLFD_REVENTS = 6;

    // ---- open(2) flags: O_DIRECTORY and O_NOFOLLOW differ between the two ----
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_NOCTTY = 0400;
    static final int O_TRUNC = 01000;
    static final int O_APPEND = 02000;
    static final int O_NONBLOCK = 04000;
    static final int O_DIRECTORY = AARCH64 ? 040000 : 0200000;
    static final int O_NOFOLLOW = AARCH64 ? 0100000 : 0400000;
    static final int O_CLOEXEC = 02000000;

    // ---- fcntl ----
    static final int F_GETFD = 1;
    static final int F_SETFD = 2;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int F_DUPFD_CLOEXEC = 1030;
    static final int FD_CLOEXEC = 1;

    // ---- struct stat: x86_64 has a 64-bit st_nlink before st_mode; aarch64 the reverse ----
    static final int STAT_RESERVE = 256; // 144 on x86_64, 128 on aarch64
    static final int STAT_DEV = 0;
    static final int STAT_INO = 8;
    static final int STAT_MODE = AARCH64 ? 16 : 24;
    static final int STAT_NLINK = AARCH64 ? 20 : 16;
    static final boolean STAT_NLINK_IS_64 = !AARCH64;
    static final int STAT_UID = AARCH64 ? 24 : 28;
    static final int STAT_GID = AARCH64 ? 28 : 32;
    static final int STAT_SIZE = 48;
    static final int S_IFMT = 0170000;
    static final int S_IFIFO = 0010000;
    static final int S_IFSOCK = 0140000;

    // ---- struct passwd / struct group ----
    static final int PASSWD_SIZE = 48;
    static final int PASSWD_NAME = 0;
    static final int PASSWD_UID = 16;
    static final int PASSWD_GID = 20;
    static final int PASSWD_DIR = 32;
    static final int PASSWD_SHELL = 40;
    static final int GROUP_SIZE = 32;
    static final int GROUP_NAME = 0;
    static final int GROUP_GID = 16;
    static final int GROUP_MEM = 24;

    // ---- rlimit: two rlim_t (unsigned 64-bit); RLIM_INFINITY is all ones ----
    static final int RLIMIT_SIZE = 16;
    static final int RLIMIT_FSIZE = 1;
    static final int RLIMIT_CORE = 4;
    static final int RLIMIT_NOFILE = 7;

    // ---- sockets ----
    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_NONBLOCK = 04000;
    static final int SOCK_CLOEXEC = 02000000;
    static final int SOL_SOCKET = 1;
    static final int SO_REUSEADDR = 2;
    static final int SO_ERROR = 4;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_REUSEPORT = 15;
    static final int SO_PEERCRED = 17;
    static final int SO_SNDTIMEO = 21; // struct timeval: two longs
    static final int IPPROTO_IPV6 = 41;
    static final int IPV6_V6ONLY = 26;
    static final int SCM_RIGHTS = 1;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    /** sockaddr_storage is 128 bytes; every address we build or read fits. */
    static final int SOCKADDR_RESERVE = 128;
    static final int SOCKADDR_IN_SIZE = 16;   // family@0 port@2 (big-endian) addr@4
    static final int SOCKADDR_IN6_SIZE = 28;  // family@0 port@2 flowinfo@4 addr@8 scope_id@24
    static final int SIN6_ADDR = 8;
    static final int SIN6_SCOPE_ID = 24;
    static final int SOCKADDR_UN_SIZE = 110;  // family@0 sun_path[108]@2
    static final int SUN_PATH = 2;
    static final int SUN_PATH_MAX = 108;
    static final int UCRED_SIZE = 12;         // pid, uid, gid
    // struct msghdr (56 bytes), struct iovec (16), struct cmsghdr (16, data at 16)
    static final int MSGHDR_SIZE = 56;
    static final int MSG_NAME = 0;
    static final int MSG_NAMELEN = 8;
    static final int MSG_IOV = 16;
    static final int MSG_IOVLEN = 24;
    static final int MSG_CONTROL = 32;
    static final int MSG_CONTROLLEN = 40;
    static final int MSG_FLAGS = 48;
    static final int IOVEC_SIZE = 16;
    static final int IOV_BASE = 0;
    static final int IOV_LEN = 8;
    static final int CMSG_LEN_ONE_FD = 20;   // CMSG_LEN(sizeof(int))
    static final int CMSG_SPACE_ONE_FD = 24; // CMSG_SPACE(sizeof(int))
    static final int CMSG_LEN_FIELD = 0;
    static final int CMSG_LEVEL = 8;
    static final int CMSG_TYPE = 12;
    static final int CMSG_DATA = 16;
    static final int TIMEVAL_SIZE = 16;
}
