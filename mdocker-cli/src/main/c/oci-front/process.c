/*
 * Processes (oci-front): pidfds, whether a pid with its recorded start time still runs, waiting
 * for a process's end, the pids a container's cgroups list; and the monotonic clock the waits
 * measure. A pid is signalled only through a pidfd opened before its start time was checked, so
 * a reused pid is never hit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "front.h"

long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

int pidfd_open(int pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int pidfd_send_signal(int fd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

/* Whether pid that started at start_time still runs (exists with that start time, not a zombie). */
int is_running(int pid, long long start_time)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    char *stat = pid > 0 ? read_file(path, NULL) : NULL;
    if (!stat)
        return 0;
    char *p = strrchr(stat, ')');
    int running = 0;
    if (p && p[1] == ' ') {
        p += 2; /* field 3, the state */
        char state = *p;
        for (int field = 3; field < 22 && p; field++) {
            p = strchr(p, ' ');
            if (p)
                p++;
        }
        running = p && atoll(p) == start_time && state != 'Z' && state != 'X';
    }
    free(stat);
    return running;
}

/* A pidfd of the container's process while it runs, checked against its start time; -1 when it does not. */
int open_process(const struct state *st)
{
    int fd = st->pid > 0 ? pidfd_open(st->pid) : -1;
    if (fd >= 0 && !is_running(st->pid, st->start_time)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Waits until the process of fd has exited or ms passed; 1 when it has. */
int await_exit(int fd, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    long long deadline = now_ms() + ms;
    for (;;) {
        long long left = deadline - now_ms();
        if (left < 0)
            left = 0;
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return 1;
        if (r == 0 || (r < 0 && errno != EINTR))
            return 0;
    }
}

/* The pids listed in the cgroup.procs of dirs (a pid once); a count, into *out. */
int listed(char **dirs, int **out)
{
    int n = 0, cap = 16;
    int *pids = malloc(sizeof(int) * (size_t)cap);
    for (char **d = dirs; *d; d++) {
        char *procs = path_join(*d, "cgroup.procs");
        char *text = read_file(procs, NULL);
        free(procs);
        if (!text)
            continue; /* that hierarchy's directory went with the container */
        for (char *p = text; *p; ) {
            char *end;
            long pid = strtol(p, &end, 10);
            if (end == p)
                break;
            int seen = 0;
            for (int i = 0; i < n && !seen; i++)
                seen = pids[i] == pid;
            if (!seen) {
                if (n == cap)
                    pids = realloc(pids, sizeof(int) * (size_t)(cap *= 2));
                pids[n++] = (int)pid;
            }
            p = end;
            while (*p == '\n' || *p == ' ')
                p++;
        }
        free(text);
    }
    *out = pids;
    return n;
}

/* Sends sig to every process listed in the cgroup.procs of dirs (through pidfds: a pid reused meanwhile is not hit). */
void signal_listed(char **dirs, int sig)
{
    int *pids;
    int n = listed(dirs, &pids);
    for (int i = 0; i < n; i++) {
        int pfd = pidfd_open(pids[i]);
        if (pfd >= 0) {
            pidfd_send_signal(pfd, sig);
            close(pfd);
        }
    }
    free(pids);
}
