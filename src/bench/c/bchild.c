/*
 * bchild: the benchmark's child, the same executable under jmaster and under Postfix's master.
 * It speaks the master's child protocol: listener on fd 6, status channel on fd 5, 12-byte frames
 * {pid, generation, status} with 0 = busy and 1 = idle. A new child is idle without saying so.
 *
 * The last argument picks the behaviour (the masters put their own options in front of it):
 *   once   one connection, then exit (every connection costs a spawn, like max_use=1)
 *   reuse  keep serving connections until the status channel closes (reload or master gone)
 *   hold   one connection, kept open until the client closes it, then exit (slow clients)
 * Every connection is answered with one line, "hi <pid>\n", as soon as it is accepted.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { STATUS_FD = 5, LISTEN_FD = 6 };

static unsigned generation;

static void report(int busy) {
    int frame[3] = {(int) getpid(), (int) generation, busy ? 0 : 1};
    if (write(STATUS_FD, frame, sizeof frame) != (ssize_t) sizeof frame)
        _exit(0); /* the master is gone */
}

/* waits until the client closes (or the master goes away while idle is irrelevant: we are busy) */
static void hold(int conn) {
    char sink[256];
    for (int rounds = 0; rounds < 1000000; rounds++) {
        ssize_t n = read(conn, sink, sizeof sink);
        if (n == 0 || (n < 0 && errno != EINTR))
            return;
    }
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[argc - 1] : "once";
    int reuse = strcmp(mode, "reuse") == 0, holding = strcmp(mode, "hold") == 0;
    const char *g = getenv("GENERATION");
    generation = g ? (unsigned) strtoul(g, 0, 8) : 0;
    char line[32];
    int len = snprintf(line, sizeof line, "hi %d\n", (int) getpid());
    for (;;) {
        struct pollfd p[2] = {{STATUS_FD, POLLIN, 0}, {LISTEN_FD, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (p[0].revents)
            return 0; /* reload or master exit: nothing in hand, leave */
        if (!(p[1].revents & POLLIN))
            continue;
        int conn = accept(LISTEN_FD, 0, 0);
        if (conn < 0)
            continue; /* a sibling was faster */
        report(1);
        if (write(conn, line, (size_t) len) < 0) { /* the client left already */ }
        if (holding)
            hold(conn);
        close(conn);
        report(0);
        if (!reuse)
            return 0;
    }
}
