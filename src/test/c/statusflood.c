/*
 * statusflood: a Postfix-protocol child that floods the master's status channel (fd 5) with frames
 * the master must warn about: its own pid and generation, but an unknown status value. It writes
 * as fast as the master reads, for the number of seconds in its last argument (default 5), then
 * exits. The connection that caused its spawn is taken from the listener on fd 6 first (and left
 * open), so that no client is left waiting for a second child once this one is gone.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct frame {
    int pid;
    unsigned gen;
    int avail;
};

int main(int argc, char **argv) {
    int seconds = argc > 1 ? atoi(argv[argc - 1]) : 0;
    if (seconds <= 0)
        seconds = 5;
    const char *g = getenv("GENERATION");
    struct frame frames[256];
    for (int i = 0; i < 256; i++) {
        frames[i].pid = getpid();
        frames[i].gen = g ? (unsigned) strtoul(g, 0, 8) : 0;
        frames[i].avail = 7;
    }
    struct pollfd p = {6, POLLIN, 0};
    if (poll(&p, 1, 2000) == 1)
        accept(6, 0, 0);
    time_t end = time(0) + seconds;
    while (time(0) < end) {
        if (write(5, frames, sizeof frames) < 0)
            return 1;
    }
    return 0;
}
