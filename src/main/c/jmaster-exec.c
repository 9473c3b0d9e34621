/*
 * jmaster-exec: the exec step between posix_spawn and a child program, for what posix_spawn cannot
 * do: per-service resource limits, priority, umask, working directory, root directory, groups, gid
 * and uid (master.cf's -M rlimit_*, nice, umask, cwd, chroot, groups, group, user, and the
 * unprivileged column of children that do not speak Postfix's protocol), and LISTEN_PID for
 * systemd-protocol children, which must be the child's own pid.
 *
 *   jmaster-exec [--rlimit RES=SOFT:HARD]... [--nice N] [--umask OCTAL] [--chroot DIR] [--cwd DIR]
 *                [--groups G1,G2,...] [--gid GID] [--uid UID] [--listen-pid] -- PATH ARGV0 ARGS...
 *
 * Every option is read and checked before anything changes: a malformed number ("12x", "-1", one
 * that overflows), a group list longer than the kernel's NGROUPS_MAX or 1024, an option given
 * twice, or, when running as root, --uid without --gid (the child would keep gid 0) is refused,
 * with nothing truncated and nothing read as 0. Then the steps run in this order: limits and
 * priority while still privileged, umask, chroot before the working directory, groups and gid
 * before uid (groups default to just the gid when the uid changes), a check that the ids really
 * changed, LISTEN_PID; then PATH is exec'd with ARGV0 ARGS. Any failure is reported on stderr as
 * "jmaster-exec: <step>: <reason>" with exit status 127, before the program runs, so the master
 * sees a bad start-up. Numbers only: the master resolves names.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RLIMITS 8
/* jmaster's own bound on a group list (master.cf's -M groups has the same), below Linux's 65536 */
#define MAX_GROUPS 1024

static void die(const char *step, const char *arg, const char *reason) {
    int shown = arg && *arg;
    fprintf(stderr, "jmaster-exec: %s%s%s: %s\n", step, shown ? " " : "", shown ? arg : "", reason);
    _exit(127);
}

static void die_errno(const char *step, const char *arg) {
    die(step, arg, strerror(errno));
}

/* Digits only, base 8 or 10, no sign, no blanks, at most max; else the option is refused. */
static unsigned long long number(const char *opt, const char *text, int base, unsigned long long max) {
    const char *digits = base == 8 ? "01234567" : "0123456789";
    if (*text == 0 || strspn(text, digits) != strlen(text))
        die(opt, text, "not a number");
    errno = 0;
    unsigned long long v = strtoull(text, 0, base);
    if (errno == ERANGE || v > max)
        die(opt, text, "number out of range");
    return v;
}

/* A uid or gid: 0 .. 2^32-2 ((uid_t) -1 means "no change" to the kernel, so it is never valid). */
static unsigned long id(const char *opt, const char *text) {
    return (unsigned long) number(opt, text, 10, (unsigned long long) (uid_t) -1 - 1);
}

static int resource(const char *name, size_t len) {
    static const struct { const char *name; int res; } names[] = {
        {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"as", RLIMIT_AS}, {"core", RLIMIT_CORE}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && strncmp(names[i].name, name, len) == 0)
            return names[i].res;
    return -1;
}

static rlim_t limit(const char *text) {
    return strcmp(text, "infinity") == 0 ? RLIM_INFINITY
            : (rlim_t) number("--rlimit", text, 10, (unsigned long long) RLIM_INFINITY - 1);
}

/* "RES=SOFT:HARD", parsed in place of a copy of the argument. */
static void parse_rlimit(const char *val, int *res, struct rlimit *rl) {
    const char *eq = strchr(val, '='), *colon = eq ? strchr(eq, ':') : 0;
    if (!eq || !colon)
        die("--rlimit", val, "expected RES=SOFT:HARD");
    if ((*res = resource(val, (size_t) (eq - val))) < 0)
        die("--rlimit", val, "unknown resource");
    size_t soft_len = (size_t) (colon - eq - 1);
    char soft[32];
    if (soft_len >= sizeof soft)
        die("--rlimit", val, "number out of range");
    memcpy(soft, eq + 1, soft_len);
    soft[soft_len] = 0;
    rl->rlim_cur = limit(soft);
    rl->rlim_max = limit(colon + 1);
}

/* "G1,G2,...": every item a valid gid, at most NGROUPS_MAX of them; the list is allocated to fit. */
static size_t parse_groups(const char *val, gid_t **out) {
    size_t n = 1;
    for (const char *p = val; *p; p++)
        n += *p == ',';
    long max = sysconf(_SC_NGROUPS_MAX);
    if (max < 0 || max > MAX_GROUPS)
        max = MAX_GROUPS;
    if (n > (size_t) max) {
        char why[64];
        snprintf(why, sizeof why, "more than %ld groups", max);
        die("--groups", 0, why);
    }
    gid_t *list = calloc(n, sizeof *list);
    char *copy = strdup(val);
    if (!list || !copy)
        die_errno("--groups", 0);
    size_t i = 0;
    for (char *item = copy, *next; item; item = next, i++) {
        next = strchr(item, ',');
        if (next)
            *next++ = 0;
        list[i] = (gid_t) id("--groups", item);
    }
    free(copy);
    *out = list;
    return n;
}

int main(int argc, char **argv) {
    int i = 1;
    const char *chroot_dir = 0, *cwd = 0, *groups_arg = 0, *gid_arg = 0, *uid_arg = 0, *nice_arg = 0,
               *umask_arg = 0;
    int listen_pid = 0, nlimits = 0;
    int limit_res[MAX_RLIMITS];
    struct rlimit limits[MAX_RLIMITS];
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--listen-pid") == 0) {
            listen_pid = 1;
            continue;
        }
        const char *val = i + 1 < argc ? argv[++i] : 0;
        if (!val)
            die(opt, 0, "missing value");
        const char **slot = strcmp(opt, "--nice") == 0 ? &nice_arg
                : strcmp(opt, "--umask") == 0 ? &umask_arg
                : strcmp(opt, "--chroot") == 0 ? &chroot_dir
                : strcmp(opt, "--cwd") == 0 ? &cwd
                : strcmp(opt, "--groups") == 0 ? &groups_arg
                : strcmp(opt, "--gid") == 0 ? &gid_arg
                : strcmp(opt, "--uid") == 0 ? &uid_arg : 0;
        if (slot) {
            if (*slot)
                die(opt, val, "given twice");
            *slot = val;
        } else if (strcmp(opt, "--rlimit") == 0) {
            if (nlimits == MAX_RLIMITS)
                die(opt, val, "too many limits");
            parse_rlimit(val, &limit_res[nlimits], &limits[nlimits]);
            nlimits++;
        } else {
            die("unknown option", opt, "refused");
        }
    }
    if (i + 3 > argc)
        die("usage", 0, "jmaster-exec [OPTIONS] -- PATH ARGV0 [ARGS...]");

    /* everything is checked before the first change */
    int nice_value = 0;
    if (nice_arg) {
        int negative = nice_arg[0] == '-';
        unsigned long long v = number("--nice", nice_arg + negative, 10, 40);
        nice_value = negative ? -(int) v : (int) v;
    }
    mode_t mask = umask_arg ? (mode_t) number("--umask", umask_arg, 8, 0777) : 0;
    gid_t gid = gid_arg ? (gid_t) id("--gid", gid_arg) : 0;
    uid_t uid = uid_arg ? (uid_t) id("--uid", uid_arg) : 0;
    gid_t *groups = 0;
    size_t ngroups = groups_arg ? parse_groups(groups_arg, &groups) : 0;
    int root = geteuid() == 0;
    if (uid_arg && !gid_arg && root)
        die("--uid", uid_arg, "refused without --gid: the child would keep group 0");

    for (int k = 0; k < nlimits; k++)
        if (setrlimit(limit_res[k], &limits[k]) != 0)
            die_errno("setrlimit", 0);
    if (nice_arg) {
        errno = 0;
        if (setpriority(PRIO_PROCESS, 0, nice_value) != 0)
            die_errno("setpriority", nice_arg);
    }
    if (umask_arg)
        umask(mask);
    if (chroot_dir) {
        if (chroot(chroot_dir) != 0)
            die_errno("chroot", chroot_dir);
        if (!cwd && chdir("/") != 0)
            die_errno("chdir", "/");
    }
    if (cwd && chdir(cwd) != 0)
        die_errno("chdir", cwd);
    if (groups_arg) {
        if (setgroups(ngroups, groups) != 0)
            die_errno("setgroups", groups_arg);
    } else if (uid_arg && root) {
        /* changing user without naming groups: none but the primary group, as Postfix's set_ugid */
        if (setgroups(1, &gid) != 0)
            die_errno("setgroups", gid_arg);
    }
    if (gid_arg && setgid(gid) != 0)
        die_errno("setgid", gid_arg);
    if (uid_arg && setuid(uid) != 0)
        die_errno("setuid", uid_arg);
    if ((uid_arg && (getuid() != uid || geteuid() != uid)) || (gid_arg && (getgid() != gid || getegid() != gid)))
        die("setuid", uid_arg ? uid_arg : gid_arg, "the ids did not change");
    if (uid_arg && uid != 0 && setuid(0) == 0)
        die("setuid", uid_arg, "root could be regained");
    free(groups);
    if (listen_pid) {
        char pid[32];
        snprintf(pid, sizeof pid, "%ld", (long) getpid());
        if (setenv("LISTEN_PID", pid, 1) != 0)
            die_errno("setenv", "LISTEN_PID");
    }
    const char *path = argv[i + 1];
    execv(path, &argv[i + 2]);
    die_errno("exec", path);
    return 127;
}
