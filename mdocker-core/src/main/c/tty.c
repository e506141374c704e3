/*
 * Pseudo-terminals (record TTY, Docker's -t): opened inside the container's devpts by the
 * process that starts the command (pid 1 after GO, or a joiner), whose master goes to the JVM
 * over the sync socket and whose peer becomes the command's controlling terminal. Every function
 * here is in section mdk_tty (TTY_CODE), a segment of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <stdio.h>

#include "mdk.h"

int tty_slave = -1; /* open_tty's peer, for the command (pid1.c, join.c) until it runs */
int console_fd = -1;

#ifndef TIOCGPTPEER /* Linux 4.13; musl's headers may lack it */
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* ioctl and fstat as raw syscalls: musl's wrappers would land in the main text segment */
#define tty_ioctl(fd, req, arg) ((int) syscall(SYS_ioctl, fd, req, arg))

TTY_CODE int check_tty(const struct config *c, const char *msg)
{
    if (c->tty[0] == 0 || c->tty[1] == 0 || c->exit_file != NULL)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "%s: TTY of %ux%u%s", msg, c->tty[0], c->tty[1],
                    c->exit_file != NULL ? " with DETACH" : "");
    return 0;
}

/*
 * A message of `type` without payload, carrying n (1 or 2) descriptors (SCM_RIGHTS): TTY's master;
 * PARKED's claim channel and exit channel.
 */
TTY_CODE void send_fds(int sock, uint16_t type, const int *fds, int n)
{
    struct mdk_header h = { MDK_MAGIC, MDK_VERSION, type, 0 };
    union { struct cmsghdr align; char buf[CMSG_SPACE(2 * sizeof(int))]; } control;
    struct iovec iov = { &h, sizeof h };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
    struct cmsghdr *cm;

    memset(&control, 0, sizeof control);
    cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
    while (sendmsg(sock, &m, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

TTY_CODE void send_fd(int sock, uint16_t type, int fd)
{
    send_fds(sock, type, &fd, 1);
}

/* CONSOLE: connects to the caller's console socket (a host path: before pivot_root). */
TTY_CODE int connect_console(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    if (strlen(path) >= sizeof a.sun_path)
        return fail(MDK_STEP_TTY, ENAMETOOLONG, "console socket %s", path);
    strcpy(a.sun_path, path);
    console_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (console_fd < 0)
        return fail(MDK_STEP_TTY, errno, "socket(console)");
    if (connect(console_fd, (struct sockaddr *) &a, sizeof a) < 0)
        return fail(MDK_STEP_TTY, errno, "connect(console socket %s)", path);
    return 0;
}

/* The master to the console socket, as runc sends it: its name as the payload, the fd along. */
static TTY_CODE int send_console(int master, int slave)
{
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } control;
    char name[64];
    struct iovec iov = { name, 0 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
    struct cmsghdr *cm;
    int n = 0;

    if (tty_ioctl(slave, TIOCGPTN, &n) < 0)
        n = 0;
    iov.iov_len = (size_t) snprintf(name, sizeof name, "/dev/pts/%d", n);
    memset(&control, 0, sizeof control);
    cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof master);
    memcpy(CMSG_DATA(cm), &master, sizeof master);
    while (sendmsg(console_fd, &m, MSG_NOSIGNAL) < 0)
        if (errno != EINTR)
            return fail(MDK_STEP_TTY, errno, "sendmsg(console socket)");
    close(console_fd);
    console_fd = -1;
    return 0;
}

/*
 * The monitor's receive from pid 1 when CONFIG has TTY or PARK: as recv_datagram, and the
 * descriptors sent along with TTY (the master) or PARKED (the claim channel and the exit channel)
 * are relayed to the JVM with their message (SCM_RIGHTS again) and closed here; those sent with
 * anything else are closed.
 */
TTY_CODE ssize_t recv_relaying_tty(int sock, void *buf, size_t cap, int flags)
{
    union { struct cmsghdr align; char buf[CMSG_SPACE(2 * sizeof(int))]; } control;
    struct iovec iov = { buf, cap };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
    struct cmsghdr *cm;
    struct mdk_header h;
    ssize_t n;
    int fds[2], k;

    do
        n = recvmsg(sock, &m, flags | MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    cm = n >= 0 ? CMSG_FIRSTHDR(&m) : NULL;
    k = cm == NULL || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ? 0
        : cm->cmsg_len == CMSG_LEN(sizeof(int)) ? 1 : cm->cmsg_len == CMSG_LEN(2 * sizeof(int)) ? 2 : 0;
    if (k > 0) {
        memcpy(fds, CMSG_DATA(cm), k * sizeof(int));
        if (parse_header(buf, (size_t) n, &h) == 0 && (h.type == MDK_MSG_TTY || h.type == MDK_MSG_PARKED))
            send_fds(MDK_SYNC_FD, h.type, fds, k);
        for (int i = 0; i < k; i++)
            close(fds[i]);
    }
    if (n > 0 && (m.msg_flags & MSG_TRUNC)) {
        errno = EMSGSIZE;
        return -1;
    }
    return n;
}

/*
 * Opens a pseudo-terminal in the devpts instance at /dev/pts (the container's: this process is
 * in its mount namespace) with CONFIG's window size, sends its master as TTY over sock and keeps
 * the peer in tty_slave. Neither end becomes this process's controlling terminal (O_NOCTTY).
 */
TTY_CODE int open_tty(const struct config *c, int sock)
{
    struct winsize ws = { .ws_row = c->tty[0], .ws_col = c->tty[1] };
    struct stat st;
    int unlock = 0, master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (master < 0)
        return fail(MDK_STEP_TTY, errno, "open(/dev/pts/ptmx)");
    /* the container may have put something else there (exec): only the multiplexer will do */
    if (syscall(SYS_fstat, master, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2)) {
        close(master);
        return fail(MDK_STEP_TTY, ENOTTY, "/dev/pts/ptmx is not the pseudo-terminal multiplexer (c 5:2)");
    }
    if (fcntl(master, F_SETFL, 0) < 0 || tty_ioctl(master, TIOCSPTLCK, &unlock) < 0
        || tty_ioctl(master, TIOCSWINSZ, &ws) < 0
        || (tty_slave = tty_ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        fail(MDK_STEP_TTY, errno, "ioctl(/dev/pts/ptmx)");
        close(master);
        return -1;
    }
    if (console_fd >= 0) {
        if (send_console(master, master) < 0) {
            close(master);
            return -1;
        }
    } else {
        send_fd(sock, MDK_MSG_TTY, master);
    }
    close(master);
    return 0;
}

/*
 * In the process about to exec the command: a session of its own (setsid fails with EPERM where
 * it leads one already: pid 1 with INIT=0, an exec'd process), the terminal as its controlling
 * terminal, and on its fds 0-2 (stdout and stderr are one stream, as Docker's -t).
 */
TTY_CODE int attach_tty(int slave)
{
    int fd;

    setsid();
    if (tty_ioctl(slave, TIOCSCTTY, 0) < 0)
        return fail(MDK_STEP_TTY, errno, "ioctl(TIOCSCTTY)");
    for (fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0)
            return fail(MDK_STEP_TTY, errno, "dup2(terminal, %d)", fd);
    return 0;
}
