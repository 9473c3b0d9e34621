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
 *   bload loop PORT SECONDS C    C clients, each making sessions one after another for SECONDS
 *                                (sessions under way then are finished); a session is connect,
 *                                read a line, send "ping\n", read the line back, close, within 5 s.
 *                                Prints "ok <n> timeout <n> refused <n> reset <n> other <n> ns <elapsed>
 *                                maxns <slowest ok session>"
 *   bload flood PORT N SECONDS   N sessions started at once, each allowed SECONDS; prints as loop
 * The whole run ends after BLOAD_TIMEOUT seconds (default 120) whatever happens; each connection
 * of lat, rate and hold waits at most 5 s for its reply.
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

/* ---- loop and flood: non-blocking sessions driven by one poll loop ---- */

enum { S_FREE, S_CONNECT, S_GREETING, S_ECHO };
enum { RES_OK, RES_TIMEOUT, RES_REFUSED, RES_RESET, RES_OTHER, RES_COUNT };

struct session {
    int fd, state;
    long long start, deadline;
    size_t got;
    char buf[128];
};

static int classify(int err) {
    if (err == ECONNREFUSED)
        return RES_REFUSED;
    if (err == ECONNRESET || err == EPIPE || err == 0)
        return RES_RESET; /* 0: end of file before the exchange was complete */
    if (err == ETIMEDOUT)
        return RES_TIMEOUT;
    return RES_OTHER;
}

static void finish(struct session *s, int result, long *counts, long long *maxns) {
    if (s->fd >= 0) {
        struct linger l = {1, 0}; /* RST on close: no TIME_WAIT pile-up over thousands of sessions */
        setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        close(s->fd);
    }
    counts[result]++;
    if (result == RES_OK && now_ns() - s->start > *maxns)
        *maxns = now_ns() - s->start;
    s->fd = -1;
    s->state = S_FREE;
}

static void begin(struct session *s, long long allowed, long *counts, long long *maxns) {
    s->start = now_ns();
    s->deadline = s->start + allowed;
    s->got = 0;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->fd < 0) {
        counts[RES_OTHER]++;
        return;
    }
    s->state = S_CONNECT;
    if (connect(s->fd, (struct sockaddr *) &target, sizeof target) < 0 && errno != EINPROGRESS)
        finish(s, classify(errno), counts, maxns);
}

/* reads into the session's buffer until a newline; 1 = line complete, 0 = not yet, -1 = failed */
static int read_line(struct session *s, int *err) {
    for (;;) {
        ssize_t n = recv(s->fd, s->buf + s->got, sizeof s->buf - 1 - s->got, 0);
        if (n > 0) {
            s->got += (size_t) n;
            if (memchr(s->buf, '\n', s->got))
                return 1;
            if (s->got >= sizeof s->buf - 1) {
                *err = EPROTO;
                return -1;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        *err = n == 0 ? 0 : errno;
        return -1;
    }
}

static void step(struct session *s, long *counts, long long *maxns) {
    int err = 0;
    if (s->state == S_CONNECT) {
        socklen_t len = sizeof err;
        if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
            finish(s, classify(err), counts, maxns);
            return;
        }
        s->state = S_GREETING;
        return;
    }
    int r = read_line(s, &err);
    if (r < 0) {
        finish(s, classify(err), counts, maxns);
    } else if (r > 0 && s->state == S_GREETING) {
        if (strncmp(s->buf, "hi ", 3) != 0) {
            finish(s, RES_OTHER, counts, maxns);
            return;
        }
        s->got = 0;
        s->state = S_ECHO;
        if (send(s->fd, "ping\n", 5, MSG_NOSIGNAL) != 5)
            finish(s, classify(errno), counts, maxns);
    } else if (r > 0) {
        finish(s, s->got == 5 && memcmp(s->buf, "ping\n", 5) == 0 ? RES_OK : RES_OTHER, counts, maxns);
    }
}

/* n sessions in parallel; with again, each slot starts a new one until `seconds` have passed */
static int sessions(long n, double seconds, int again) {
    struct session *ss = calloc((size_t) n, sizeof *ss);
    struct pollfd *p = calloc((size_t) n, sizeof *p);
    long *idx = calloc((size_t) n, sizeof *idx);
    long counts[RES_COUNT] = {0};
    long long maxns = 0, t0 = now_ns(), until = t0 + (long long) (seconds * 1e9);
    long long allowed = again ? 5000000000LL : (long long) (seconds * 1e9);
    for (long i = 0; i < n; i++) {
        ss[i].fd = -1;
        begin(&ss[i], allowed, counts, &maxns);
    }
    for (;;) {
        long long now = now_ns();
        int live = 0;
        long long next = now + 1000000000LL;
        for (long i = 0; i < n; i++) {
            if (ss[i].state == S_FREE && again && now < until)
                begin(&ss[i], allowed, counts, &maxns);
            if (ss[i].state != S_FREE && now >= ss[i].deadline)
                finish(&ss[i], RES_TIMEOUT, counts, &maxns);
            if (ss[i].state == S_FREE)
                continue;
            p[live] = (struct pollfd){ss[i].fd, ss[i].state == S_CONNECT ? POLLOUT : POLLIN, 0};
            idx[live++] = i;
            if (ss[i].deadline < next)
                next = ss[i].deadline;
        }
        if (live == 0 && (!again || now >= until))
            break;
        int wait_ms = (int) ((next - now) / 1000000) + 1;
        int k = poll(p, (nfds_t) live, wait_ms);
        if (k < 0 && errno != EINTR)
            return 1;
        for (int j = 0; k > 0 && j < live; j++)
            if (p[j].revents)
                step(&ss[idx[j]], counts, &maxns);
    }
    printf("ok %ld timeout %ld refused %ld reset %ld other %ld ns %lld maxns %lld\n", counts[RES_OK],
           counts[RES_TIMEOUT], counts[RES_REFUSED], counts[RES_RESET], counts[RES_OTHER], now_ns() - t0, maxns);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: bload lat|rate|hold|loop|flood PORT N [C|SECONDS]\n");
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
    if (strcmp(argv[1], "loop") == 0 && argc > 4 && atoi(argv[4]) > 0 && atoi(argv[4]) <= 1024)
        return sessions(atoi(argv[4]), (double) n, 1);
    if (strcmp(argv[1], "flood") == 0 && argc > 4 && n > 0 && n <= 10000)
        return sessions(n, atof(argv[4]), 0);
    fprintf(stderr, "bload: unknown mode %s\n", argv[1]);
    return 2;
}
