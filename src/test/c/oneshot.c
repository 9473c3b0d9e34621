/*
 * oneshot: the smallest Postfix-protocol child, for spawn-heavy tests and benchmarks.
 * Waits for a connection on fd 6 (or EOF on fd 5), reports TAKEN, writes "hello <pid>\n",
 * closes, reports AVAIL and exits: one process per connection, like max_use=1.
 * With argument "reuse" it keeps serving until the master closes fd 5. With argument "probe"
 * the greeting also carries what the process inherited, read before anything could change it:
 * "hello <pid> <gen> SigBlk=<hex> SigIgn=<hex> fds=<n,n,...>".
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <dirent.h>
#include <unistd.h>

static void probe(char *out, size_t size) {
    char line[256];
    size_t used = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "SigBlk:", 7) == 0 || strncmp(line, "SigIgn:", 7) == 0) {
            char *v = line + 7;
            while (*v == '\t' || *v == ' ')
                v++;
            v[strcspn(v, "\n")] = 0;
            used += (size_t) snprintf(out + used, size - used, " %.6s=%s", line, v);
        }
    }
    if (f)
        fclose(f);
    used += (size_t) snprintf(out + used, size - used, " fds=");
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int self = d ? dirfd(d) : -1;
    while (d && (e = readdir(d)) != 0) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == self)
            continue;
        used += (size_t) snprintf(out + used, size - used, "%s,", e->d_name);
    }
    if (d)
        closedir(d);
}

static void notify(int pid, unsigned gen, int avail) {
    int frame[3] = {pid, (int) gen, avail};
    if (write(5, frame, sizeof frame) != sizeof frame)
        _exit(0);
}

int main(int argc, char **argv) {
    int reuse = argc > 1 && strcmp(argv[argc - 1], "reuse") == 0;
    char inherited[512] = "";
    if (argc > 1 && strcmp(argv[argc - 1], "probe") == 0)
        probe(inherited, sizeof inherited);
    const char *g = getenv("GENERATION");
    unsigned gen = g ? (unsigned) strtoul(g, 0, 8) : 0;
    int pid = getpid();
    char buf[640];
    for (;;) {
        struct pollfd p[2] = {{5, POLLIN, 0}, {6, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (p[0].revents)
            return 0; /* master gone or reload */
        if (!p[1].revents)
            continue;
        int c = accept(6, 0, 0);
        if (c < 0)
            continue; /* a sibling took it */
        notify(pid, gen, 0);
        int n = snprintf(buf, sizeof buf, "hello %d %u%s\n", pid, gen, inherited);
        if (write(c, buf, (size_t) n) < 0) { /* client gone: nothing to do */ }
        close(c);
        notify(pid, gen, 1);
        if (!reuse)
            return 0;
    }
}
