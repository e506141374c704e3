/*
 * oci-caller: plays the part conmon and containerd's shim play for an OCI runtime, for the tests
 * of mdocker-runtime (OciRuntimeTest). It makes itself a child subreaper, optionally listens on
 * a console socket, runs one command (mdocker-runtime create ...) and then reports, one line each
 * on stdout:
 *   created RC                    the command's exit status
 *   children PID...               its children now (from /proc/self/task/TID/children): the
 *                                 container's process once the runtime's processes have gone
 *   console NAME                  the name sent with the terminal's master over the console socket
 *   tty TEXT                      what the master shows, a line at a time (--console only)
 *   reaped PID exit N | signal N  each child it reaps, until it has none left
 * Usage: oci-caller [--console SOCKET] CMD [ARG...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void children(void)
{
    char path[64], buf[4096];
    ssize_t n;
    int fd;

    snprintf(path, sizeof path, "/proc/self/task/%d/children", getpid());
    fd = open(path, O_RDONLY);
    n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    printf("children %s\n", buf);
    fflush(stdout);
}

/* The master from the console socket; prints its name and returns it (-1 on failure). */
static int receive_console(int listener)
{
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } control;
    char name[256];
    struct iovec iov = { name, sizeof name - 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
    struct pollfd p = { listener, POLLIN, 0 };
    struct cmsghdr *cm;
    ssize_t n;
    int conn, fd = -1;

    if (poll(&p, 1, 10000) <= 0)
        return -1;
    conn = accept(listener, NULL, NULL);
    if (conn < 0)
        return -1;
    n = recvmsg(conn, &m, 0);
    close(conn);
    if (n <= 0)
        return -1;
    name[n] = '\0';
    cm = CMSG_FIRSTHDR(&m);
    if (cm != NULL && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    printf("console %s fd %s\n", name, fd >= 0 && isatty(fd) ? "tty" : "none");
    fflush(stdout);
    return fd;
}

int main(int argc, char **argv)
{
    int first = 1, listener = -1, master = -1, status;
    const char *console = NULL;
    char buf[4096];
    pid_t cmd, pid;

    if (argc > 3 && strcmp(argv[1], "--console") == 0) {
        struct sockaddr_un a = { .sun_family = AF_UNIX };

        console = argv[2];
        first = 3;
        snprintf(a.sun_path, sizeof a.sun_path, "%s", console);
        unlink(console);
        listener = socket(AF_UNIX, SOCK_STREAM, 0);
        if (listener < 0 || bind(listener, (struct sockaddr *) &a, sizeof a) < 0 || listen(listener, 1) < 0) {
            perror("console socket");
            return 2;
        }
    }
    if (first >= argc) {
        fprintf(stderr, "usage: oci-caller [--console SOCKET] CMD [ARG...]\n");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        perror("PR_SET_CHILD_SUBREAPER");
        return 2;
    }
    cmd = fork();
    if (cmd == 0) {
        execvp(argv[first], argv + first);
        _exit(127);
    }
    while (waitpid(cmd, &status, 0) < 0 && errno == EINTR)
        ;
    printf("created %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    fflush(stdout);
    children();
    if (listener >= 0) {
        master = receive_console(listener);
        unlink(console);
    }
    if (master >= 0) { /* what the terminal shows, until its end (EIO once the process has gone) */
        ssize_t n;

        while ((n = read(master, buf, sizeof buf - 1)) > 0) {
            buf[n] = '\0';
            for (char *line = strtok(buf, "\r\n"); line != NULL; line = strtok(NULL, "\r\n"))
                printf("tty %s\n", line);
            fflush(stdout);
        }
    }
    while ((pid = wait(&status)) > 0 || errno == EINTR) {
        if (pid <= 0)
            continue;
        if (WIFEXITED(status))
            printf("reaped %d exit %d\n", pid, WEXITSTATUS(status));
        else
            printf("reaped %d signal %d\n", pid, WTERMSIG(status));
        fflush(stdout);
    }
    return 0;
}
