/*
 * oneshot: the smallest Postfix-protocol child, for spawn-heavy tests and benchmarks.
 * Waits for a connection on fd 6 (or EOF on fd 5), reports TAKEN, writes "hello <pid>\n",
 * closes, reports AVAIL and exits: one process per connection, like max_use=1.
 * With argument "reuse" it keeps serving until the master closes fd 5.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void notify(int pid, unsigned gen, int avail) {
    int frame[3] = {pid, (int) gen, avail};
    if (write(5, frame, sizeof frame) != sizeof frame)
        _exit(0);
}

int main(int argc, char **argv) {
    int reuse = argc > 1 && strcmp(argv[argc - 1], "reuse") == 0;
    const char *g = getenv("GENERATION");
    unsigned gen = g ? (unsigned) strtoul(g, 0, 8) : 0;
    int pid = getpid();
    char buf[64];
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
        int n = snprintf(buf, sizeof buf, "hello %d %u\n", pid, gen);
        if (write(c, buf, (size_t) n) < 0) { /* client gone: nothing to do */ }
        close(c);
        notify(pid, gen, 1);
        if (!reuse)
            return 0;
    }
}
