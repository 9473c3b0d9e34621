/*
 * jmaster-exec: the exec step between posix_spawn and a child program, for what posix_spawn cannot
 * do: per-service resource limits, priority, umask, working directory, root directory, groups, gid
 * and uid (master.cf's -M rlimit_*, nice, umask, cwd, chroot, groups, group, user), and
 * LISTEN_PID for systemd-protocol children, which must be the child's own pid.
 *
 *   jmaster-exec [--rlimit RES=SOFT:HARD]... [--nice N] [--umask OCTAL] [--chroot DIR] [--cwd DIR]
 *                [--groups G1,G2,...] [--gid GID] [--uid UID] [--listen-pid] -- PATH ARGV0 ARGS...
 *
 * The steps run in that order (limits and priority while still privileged, chroot before the
 * working directory, groups and gid before uid), then PATH is exec'd with ARGV0 ARGS. Any failure
 * is reported on stderr as "jmaster-exec: <step>: <error>" with exit status 127, before the program
 * runs, so the master sees a bad start-up. Numbers only: the master resolves names.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *step, const char *arg) {
    fprintf(stderr, "jmaster-exec: %s %s: %s\n", step, arg ? arg : "", strerror(errno));
    _exit(127);
}

static int resource(const char *name) {
    if (strcmp(name, "nofile") == 0) return RLIMIT_NOFILE;
    if (strcmp(name, "nproc") == 0) return RLIMIT_NPROC;
    if (strcmp(name, "as") == 0) return RLIMIT_AS;
    if (strcmp(name, "core") == 0) return RLIMIT_CORE;
    errno = EINVAL;
    return -1;
}

static rlim_t limit(const char *text) {
    return strcmp(text, "infinity") == 0 ? RLIM_INFINITY : (rlim_t) strtoull(text, 0, 10);
}

int main(int argc, char **argv) {
    int i = 1;
    const char *chroot_dir = 0, *cwd = 0, *groups = 0;
    long gid = -1, uid = -1;
    int listen_pid = 0;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : 0;
        if (strcmp(opt, "--listen-pid") == 0) {
            listen_pid = 1;
            continue;
        }
        if (!val) {
            errno = EINVAL;
            die("missing value for", opt);
        }
        i++;
        if (strcmp(opt, "--rlimit") == 0) {
            char buf[128];
            snprintf(buf, sizeof buf, "%s", val);
            char *eq = strchr(buf, '='), *colon = eq ? strchr(eq, ':') : 0;
            if (!eq || !colon) {
                errno = EINVAL;
                die("rlimit", val);
            }
            *eq = *colon = 0;
            int res = resource(buf);
            struct rlimit rl = {limit(eq + 1), limit(colon + 1)};
            if (res < 0 || setrlimit(res, &rl) != 0)
                die("setrlimit", val);
        } else if (strcmp(opt, "--nice") == 0) {
            errno = 0;
            if (setpriority(PRIO_PROCESS, 0, atoi(val)) != 0)
                die("setpriority", val);
        } else if (strcmp(opt, "--umask") == 0) {
            umask((mode_t) strtoul(val, 0, 8));
        } else if (strcmp(opt, "--chroot") == 0) {
            chroot_dir = val;
        } else if (strcmp(opt, "--cwd") == 0) {
            cwd = val;
        } else if (strcmp(opt, "--groups") == 0) {
            groups = val;
        } else if (strcmp(opt, "--gid") == 0) {
            gid = atol(val);
        } else if (strcmp(opt, "--uid") == 0) {
            uid = atol(val);
        } else {
            errno = EINVAL;
            die("unknown option", opt);
        }
    }
    if (i + 2 > argc) {
        errno = EINVAL;
        die("usage", "-- PATH ARGV0 [ARGS...]");
    }
    if (chroot_dir) {
        if (chroot(chroot_dir) != 0)
            die("chroot", chroot_dir);
        if (!cwd && chdir("/") != 0)
            die("chdir", "/");
    }
    if (cwd && chdir(cwd) != 0)
        die("chdir", cwd);
    if (groups) {
        gid_t list[64];
        size_t n = 0;
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", groups);
        for (char *tok = strtok(buf, ","); tok && n < 64; tok = strtok(0, ","))
            list[n++] = (gid_t) atol(tok);
        if (setgroups(n, list) != 0)
            die("setgroups", groups);
    } else if (uid >= 0 && geteuid() == 0) {
        /* changing user without naming groups: drop root's supplementary groups */
        if (setgroups(0, 0) != 0)
            die("setgroups", "");
    }
    if (gid >= 0 && setgid((gid_t) gid) != 0)
        die("setgid", 0);
    if (uid >= 0 && setuid((uid_t) uid) != 0)
        die("setuid", 0);
    if (listen_pid) {
        char pid[32];
        snprintf(pid, sizeof pid, "%ld", (long) getpid());
        setenv("LISTEN_PID", pid, 1);
    }
    const char *path = argv[i + 1];
    execv(path, &argv[i + 2]);
    die("exec", path);
    return 127;
}
