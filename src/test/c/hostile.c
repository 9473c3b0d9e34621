/*
 * hostile: what a local user can do to the master's sockets, for the attack tests (run as nobody).
 *
 *   hostile request PATH TEXT        connect to unix socket PATH, send TEXT and a newline, print the
 *                                    answer; exit 0 when there was one, 3 when the master closed the
 *                                    connection without answering, 2 when connect failed
 *   hostile race PATH TEXT SECONDS   for SECONDS, try to connect to PATH as fast as possible (as the
 *                                    master starts); send TEXT on every connection made; then print
 *                                    "connected <n> answered <m>"
 *   hostile reset PORT N             N times: connect to 127.0.0.1:PORT, send half a request, give
 *                                    the server 100 ms to take it, then reset the connection (RST)
 *   hostile hold tcp PORT N          open N connections to 127.0.0.1:PORT (or "unix PATH") without
 *   hostile hold unix PATH N         waiting for the server, print "connected <k>" (those the kernel
 *                                    completed within 2 s), and keep them open until stdin closes
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int unix_connect(const char *path) {
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *) &sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* reads until EOF or 5 s of silence; returns the number of bytes, printing them */
static long drain(int fd, int print) {
    char buf[4096];
    long total = 0;
    struct pollfd p = {fd, POLLIN, 0};
    while (poll(&p, 1, 5000) > 0) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        if (print)
            fwrite(buf, 1, (size_t) n, stdout);
        total += n;
    }
    return total;
}

static int request(const char *path, const char *text) {
    int fd = unix_connect(path);
    if (fd < 0) {
        fprintf(stderr, "connect %s: %s\n", path, strerror(errno));
        return 2;
    }
    dprintf(fd, "%s\n", text);
    long n = drain(fd, 1);
    fflush(stdout);
    return n > 0 ? 0 : 3;
}

static int race(const char *path, const char *text, double seconds) {
    enum { MAX = 4096 };
    static int fds[MAX];
    int count = 0;
    double end = now() + seconds;
    while (now() < end && count < MAX) {
        for (int i = 0; i < 1000 && count < MAX; i++) {
            int fd = unix_connect(path);
            if (fd >= 0) {
                dprintf(fd, "%s\n", text);
                fds[count++] = fd;
            }
        }
    }
    int answered = 0;
    for (int i = 0; i < count; i++) {
        if (drain(fds[i], 0) > 0)
            answered++;
        close(fds[i]);
    }
    printf("connected %d answered %d\n", count, answered);
    return 0;
}

static int hold(const char *kind, const char *where, int n) {
    int *fds = calloc((size_t) n, sizeof(int));
    int connected = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(kind, "unix") == 0) {
            struct sockaddr_un sa;
            memset(&sa, 0, sizeof sa);
            sa.sun_family = AF_UNIX;
            strncpy(sa.sun_path, where, sizeof sa.sun_path - 1);
            fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (fds[i] >= 0 && connect(fds[i], (struct sockaddr *) &sa, sizeof sa) != 0) {
                close(fds[i]);
                fds[i] = -1;
            }
        } else {
            struct sockaddr_in sa;
            memset(&sa, 0, sizeof sa);
            sa.sin_family = AF_INET;
            sa.sin_port = htons((unsigned short) atoi(where));
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (fds[i] >= 0 && connect(fds[i], (struct sockaddr *) &sa, sizeof sa) != 0 && errno != EINPROGRESS) {
                close(fds[i]);
                fds[i] = -1;
            }
        }
    }
    /* give every connect in progress two seconds in all to complete */
    double end = now() + 2;
    for (int i = 0; i < n; i++) {
        if (fds[i] < 0)
            continue;
        struct pollfd p = {fds[i], POLLOUT, 0};
        int left = (int) ((end - now()) * 1000);
        int err = 0;
        socklen_t len = sizeof err;
        if (poll(&p, 1, left > 0 ? left : 0) == 1 && getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &len) == 0
            && err == 0)
            connected++;
    }
    printf("connected %d\n", connected);
    fflush(stdout);
    /* hold them until our standard input closes */
    char c;
    while (read(0, &c, 1) > 0) {
    }
    return 0;
}

static int reset(int port, int n) {
    for (int i = 0; i < n; i++) {
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons((unsigned short) port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) != 0) {
            fprintf(stderr, "connect: %s\n", strerror(errno));
            return 2;
        }
        const char *half = "GET /metrics HTTP/1.0\r\n";
        if (write(fd, half, strlen(half)) < 0)
            return 2;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, 0);
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);
    }
    printf("reset %d\n", n);
    return 0;
}

int main(int argc, char **argv) {
    /* the master may close a refused connection before the request is written */
    signal(SIGPIPE, SIG_IGN);
    if (argc == 4 && strcmp(argv[1], "request") == 0)
        return request(argv[2], argv[3]);
    if (argc == 5 && strcmp(argv[1], "race") == 0)
        return race(argv[2], argv[3], atof(argv[4]));
    if (argc == 4 && strcmp(argv[1], "reset") == 0)
        return reset(atoi(argv[2]), atoi(argv[3]));
    if (argc == 5 && strcmp(argv[1], "hold") == 0)
        return hold(argv[2], argv[3], atoi(argv[4]));
    fprintf(stderr, "usage: hostile request PATH TEXT | race PATH TEXT SECONDS | reset PORT N | hold tcp|unix WHERE N\n");
    return 64;
}
