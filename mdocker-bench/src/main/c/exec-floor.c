/*
 * The floor under a warm pool's start, measured by the benchmark (ExecFloor) in the same run as
 * the pool's rows: the least a start from a parked process can cost on this machine, with no
 * namespaces, no JVM and no relay. A child is forked ahead and waits on a SOCK_SEQPACKET
 * socketpair, as a pooled sandbox's command process does; for each line on stdin the parent sends
 * it one datagram, the child execs BINARY (argv[0] "true"), and the parent times until the
 * channel's end of file (exec closed the child's end: start-to-exec) and until it has reaped the
 * child (start-to-exit). It prints "EXEC_NS EXIT_NS" per line and forks the next child at once,
 * so that one waits, parked, before the next line.
 *   exec-floor BINARY
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A child waiting for its datagram; returns the parent's end of its channel, -1 on failure. */
static int park(const char *binary, pid_t *child)
{
    int sv[2];
    char b;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    *child = fork();
    if (*child < 0)
        return -1;
    if (*child == 0) {
        char buf[64];
        char *argv[] = { "true", NULL };
        char *envp[] = { NULL };

        close(sv[0]);
        if (write(sv[1], "R", 1) != 1 || recv(sv[1], buf, sizeof buf, 0) <= 0)
            _exit(126);
        execve(binary, argv, envp);
        _exit(127);
    }
    close(sv[1]);
    if (read(sv[0], &b, 1) != 1) /* parked: it waits in recv (or is about to) */
        return -1;
    return sv[0];
}

int main(int argc, char **argv)
{
    char line[64], buf[8];
    pid_t child;
    int fd, status;

    if (argc != 2) {
        fprintf(stderr, "usage: exec-floor BINARY\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    fd = park(argv[1], &child);
    while (fd >= 0 && fgets(line, sizeof line, stdin) != NULL) {
        long long t0, t1, t2;
        ssize_t n;

        t0 = now_ns();
        if (send(fd, "go", 2, 0) != 2)
            break;
        do
            n = recv(fd, buf, sizeof buf, 0);
        while (n > 0 || (n < 0 && errno == EINTR));
        t1 = now_ns();
        if (waitpid(child, &status, 0) != child)
            break;
        t2 = now_ns();
        close(fd);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "exec-floor: %s did not exit 0 (status %#x)\n", argv[1], status);
            return 1;
        }
        printf("%lld %lld\n", t1 - t0, t2 - t0);
        fd = park(argv[1], &child);
    }
    if (fd < 0) {
        fprintf(stderr, "exec-floor: %s\n", strerror(errno));
        return 1;
    }
    close(fd); /* the parked child's recv ends: it exits */
    waitpid(child, &status, 0);
    return 0;
}
