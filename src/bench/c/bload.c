/*
 * bload: the benchmark's load client (loopback TCP only). Every mode is bounded in count and time.
 *
 *   bload lat  PORT N            N connections one after another; prints each one's time from
 *                                connect() to the first reply byte, in nanoseconds, one per line
 *                                ("-1" for a failure)
 *   bload rate PORT N C          N connections from C concurrent workers (connect, first byte,
 *                                close); prints "ok <n> failed <n> ns <elapsed>"
 *   bload hold PORT N            opens N connections (at most 64 waiting for their reply at a time)
 *                                and keeps them; prints "held <n> failed <n> ns <elapsed>", then
 *                                reads commands on stdin: "probe K" makes K more connections one
 *                                after another and prints their latencies on one line; "quit" (or
 *                                end of input) closes everything
 * The whole run ends after BLOAD_TIMEOUT seconds (default 120) whatever happens; each connection
 * waits at most 5 s for its reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in target;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long) t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* one connection: connect, wait for the first byte, close; returns ns or -1 */
static long long one(void) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct linger l = {1, 0}; /* RST on close: no TIME_WAIT pile-up over thousands of runs */
    setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    long long t0 = now_ns();
    long long r = -1;
    if (connect(s, (struct sockaddr *) &target, sizeof target) == 0) {
        char c;
        ssize_t n;
        do
            n = recv(s, &c, 1, 0);
        while (n < 0 && errno == EINTR);
        if (n == 1)
            r = now_ns() - t0;
    }
    close(s);
    return r;
}

static int lat(long n) {
    for (long i = 0; i < n; i++)
        printf("%lld\n", one());
    return 0;
}

static int rate(long n, int workers) {
    long *done = mmap(0, 2 * sizeof(long) * (size_t) workers, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (done == MAP_FAILED)
        return 1;
    long long t0 = now_ns();
    for (int w = 0; w < workers; w++) {
        pid_t p = fork();
        if (p == 0) {
            long mine = n / workers + (w < n % workers);
            for (long i = 0; i < mine; i++)
                done[2 * w + (one() < 0)]++;
            _exit(0);
        }
    }
    while (wait(0) > 0) {}
    long long elapsed = now_ns() - t0;
    long ok = 0, failed = 0;
    for (int w = 0; w < workers; w++) {
        ok += done[2 * w];
        failed += done[2 * w + 1];
    }
    printf("ok %ld failed %ld ns %lld\n", ok, failed, elapsed);
    return 0;
}

static int hold(long n) {
    int *fds = calloc((size_t) n, sizeof *fds);
    struct pollfd *pend = calloc(64, sizeof *pend);
    long *who = calloc(64, sizeof *who);
    long next = 0, held = 0, failed = 0;
    int npend = 0;
    long long t0 = now_ns();
    while ((next < n || npend > 0) && now_ns() - t0 < 100000000000LL) {
        while (next < n && npend < 64) {
            int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (s < 0 || (connect(s, (struct sockaddr *) &target, sizeof target) < 0 && errno != EINPROGRESS)) {
                if (s >= 0)
                    close(s);
                fds[next++] = -1;
                failed++;
                continue;
            }
            pend[npend] = (struct pollfd){s, POLLIN, 0};
            who[npend++] = next;
            fds[next++] = s;
        }
        if (poll(pend, (nfds_t) npend, 5000) <= 0)
            break;
        for (int i = 0; i < npend; i++) {
            if (!pend[i].revents)
                continue;
            char buf[64];
            ssize_t got = recv(pend[i].fd, buf, sizeof buf, 0);
            if (got > 0) {
                held++;
            } else {
                close(pend[i].fd);
                fds[who[i]] = -1;
                failed++;
            }
            pend[i] = pend[--npend];
            who[i] = who[npend];
            i--;
        }
    }
    failed += npend;
    printf("held %ld failed %ld ns %lld\n", held, failed, now_ns() - t0);
    fflush(stdout);
    char cmd[64];
    while (fgets(cmd, sizeof cmd, stdin)) {
        long k;
        if (sscanf(cmd, "probe %ld", &k) == 1) {
            for (long i = 0; i < k && i < 10000; i++)
                printf("%s%lld", i ? " " : "", one());
            printf("\n");
            fflush(stdout);
        } else {
            break;
        }
    }
    for (long i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: bload lat|rate|hold PORT N [C]\n");
        return 2;
    }
    const char *limit = getenv("BLOAD_TIMEOUT");
    alarm(limit ? (unsigned) atoi(limit) : 120);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    target.sin_family = AF_INET;
    target.sin_port = htons((unsigned short) atoi(argv[2]));
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    long n = atol(argv[3]);
    if (n < 0 || n > 1000000)
        return 2;
    if (strcmp(argv[1], "lat") == 0)
        return lat(n);
    if (strcmp(argv[1], "rate") == 0 && argc > 4)
        return rate(n, atoi(argv[4]) > 0 && atoi(argv[4]) <= 256 ? atoi(argv[4]) : 1);
    if (strcmp(argv[1], "hold") == 0)
        return hold(n);
    fprintf(stderr, "bload: unknown mode %s\n", argv[1]);
    return 2;
}
