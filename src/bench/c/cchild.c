/*
 * cchild: the chaos suite's child (src/bench/chaos.py and ChaosIT), the same executable under jmaster
 * and under Postfix's master. It speaks the master's child protocol (listener on fd 6, status channel
 * on fd 5, 12-byte frames {pid, generation, status} with 0 = busy and 1 = idle; a new child is idle
 * without saying so) and, like Postfix's single_server, honours max_use: "-o max_use=N" or "-m N" on
 * its command line (0 = no limit), and max_idle: "-o max_idle=S" or "-i S" (exit after S idle
 * seconds; 0 = never). The options the masters put in front (-l -z -u -c -d -v -n NAME
 * -t TYPE -s N -o NAME=VALUE) are parsed and otherwise ignored.
 *
 * A connection: TAKEN, the greeting "hi <pid>\n", read one line (at most 5 s, 512 bytes), write it
 * back, close, AVAIL. The child exits after max_use connections, or when the status channel reads
 * end-of-file while it is idle (a reload, or the master gone), or when an AVAIL cannot be written, or
 * after max_idle seconds without a connection; it always exits with status 0.
 *
 * Words after the options (name=value):
 *   delay=MS     wait MS milliseconds before the greeting (a slow service: clients pile up)
 *   garbage=N    before serving, write garbage to fd 5: a burst of writes of 1-11 bytes, a pause
 *                (the master drains it and is aligned on frames again), then N whole 12-byte
 *                frames cycling through random bytes, its own pid with a wrong generation, its own
 *                pid with an unknown status, and its own pid flipping TAKEN/AVAIL; the last word is
 *                an honest AVAIL, so the master's books are right again when serving starts
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum { STATUS_FD = 5, LISTEN_FD = 6, STAT_TAKEN = 0, STAT_AVAIL = 1 };

static int self;
static unsigned generation;

static int frame(int pid, unsigned gen, int status) {
    int f[3] = {pid, (int) gen, status};
    return write(STATUS_FD, f, sizeof f) == (ssize_t) sizeof f ? 0 : -1;
}

static void garbage(long n) {
    unsigned seed = (unsigned) self * 2654435761u;
    unsigned char junk[12];
    /* odd-length writes, then a pause long enough for any master to read them all */
    for (int i = 0; i < 16; i++) {
        size_t len = 1 + rand_r(&seed) % 11;
        for (size_t k = 0; k < len; k++)
            junk[k] = (unsigned char) rand_r(&seed);
        if (write(STATUS_FD, junk, len) < 0)
            _exit(0);
    }
    struct timespec pause = {0, 300 * 1000 * 1000};
    nanosleep(&pause, 0);
    for (long i = 0; i < n; i++) {
        int r;
        switch (i % 4) {
        case 0:
            for (size_t k = 0; k < sizeof junk; k++)
                junk[k] = (unsigned char) rand_r(&seed);
            r = write(STATUS_FD, junk, sizeof junk) == (ssize_t) sizeof junk ? 0 : -1;
            break;
        case 1:
            r = frame(self, generation + 1 + (unsigned) (rand_r(&seed) % 1000), STAT_TAKEN);
            break;
        case 2:
            r = frame(self, generation, 2 + rand_r(&seed) % 1000);
            break;
        default:
            r = frame(self, generation, (int) ((i / 4) % 2));
            break;
        }
        if (r < 0)
            _exit(0); /* the master is gone or closed the channel */
    }
    if (frame(self, generation, STAT_AVAIL) < 0)
        _exit(0);
}

/* one connection: greeting, one line echoed back, bounded in time and size */
static void serve(int conn, long delay_ms) {
    struct timeval tv = {5, 0};
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (delay_ms > 0) {
        struct timespec d = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
        nanosleep(&d, 0);
    }
    char line[512];
    int len = snprintf(line, sizeof line, "hi %d\n", self);
    if (write(conn, line, (size_t) len) != len)
        return;
    size_t got = 0;
    while (got < sizeof line) {
        ssize_t n = read(conn, line + got, sizeof line - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        got += (size_t) n;
        if (memchr(line, '\n', got))
            break;
    }
    if (write(conn, line, got) < 0) { /* the client left */ }
}

int main(int argc, char **argv) {
    long max_use = 0, max_idle = 0, delay_ms = 0, junk = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && strchr("ntsirm", a[1]) && a[1] && !a[2] && i + 1 < argc) {
            if (a[1] == 'm')
                max_use = atol(argv[i + 1]);
            if (a[1] == 'i')
                max_idle = atol(argv[i + 1]);
            i++;
        } else if (strcmp(a, "-o") == 0 && i + 1 < argc) {
            if (strncmp(argv[i + 1], "max_use=", 8) == 0)
                max_use = atol(argv[i + 1] + 8);
            if (strncmp(argv[i + 1], "max_idle=", 9) == 0)
                max_idle = atol(argv[i + 1] + 9);
            i++;
        } else if (strncmp(a, "delay=", 6) == 0) {
            delay_ms = atol(a + 6);
        } else if (strncmp(a, "garbage=", 8) == 0) {
            junk = atol(a + 8);
        }
    }
    const char *g = getenv("GENERATION");
    generation = g ? (unsigned) strtoul(g, 0, 8) : 0;
    self = (int) getpid();
    if (junk > 0)
        garbage(junk);
    for (long uses = 0; max_use <= 0 || uses < max_use;) {
        struct pollfd p[2] = {{STATUS_FD, POLLIN, 0}, {LISTEN_FD, POLLIN, 0}};
        int ready = poll(p, 2, max_idle > 0 ? (int) (max_idle * 1000) : -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (ready == 0)
            return 0; /* max_idle */
        if (p[0].revents)
            return 0; /* reload or master exit: nothing in hand, leave */
        if (!(p[1].revents & POLLIN))
            continue;
        int conn = accept(LISTEN_FD, 0, 0);
        if (conn < 0)
            continue; /* a sibling was faster */
        frame(self, generation, STAT_TAKEN);
        serve(conn, delay_ms);
        close(conn);
        uses++;
        if (frame(self, generation, STAT_AVAIL) < 0)
            return 0;
    }
    return 0;
}
