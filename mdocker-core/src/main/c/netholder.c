/*
 * Network mode (argument "network"): the holder of a rootless user's named network. It unshares a
 * user namespace and a network namespace together (the network namespace is the user namespace's),
 * says READY, and the JVM maps the user namespace exactly as it maps every rootless container's
 * (newuidmap/newgidmap, or the single mapping). The containers on the network are cloned by their
 * monitors *into* this user namespace (setns, which the user may do as the namespace's owner), so
 * their network namespaces belong to it too, and root here may join them with veth pairs to the
 * bridge in the holder's network namespace. The holder makes nothing itself: it opens NETLINK_ROUTE
 * sockets in its own network namespace or a container's and hands them to the JVM, which configures
 * links, addresses and routes over them (the kernel checks the opener's capabilities in the
 * namespace's user namespace, and the JVM's own: the owner's user has all of them there).
 *
 * Outbound traffic leaves through pasta, attached to the holder's namespaces from the host's: the
 * holder forks a "starter" before it unshares anything, which waits for pasta's command line and
 * execs it in the host's namespaces. pasta configures the holder's network namespace (a tap
 * interface with the host's address, a default route) and forks its daemon, which the holder, a
 * child subreaper, inherits and kills when it exits. The holder's namespace routes (ip_forward 1,
 * its own) and masquerades the bridge's subnet (an nft rule there, run by the holder).
 *
 * Wire (fd 3, SOCK_SEQPACKET, one request a message):
 *   'R'                 holder -> JVM: unshared (maps not yet written), lo up, forwarding on
 *   'F' TEXT            holder -> JVM: it failed (the first message, or a request's answer)
 *   'N' PATH\0          a NETLINK_ROUTE socket in the network namespace file PATH (empty: the
 *                       holder's own); answered 'K' with the socket (SCM_RIGHTS) or 'F' TEXT
 *   'P' ARG\0 ARG\0...  pasta's command line, run by the starter (once); 'K' once pasta has
 *                       configured the namespace (its foreground process exited 0), else 'F'
 *   'C' ARG\0 ARG\0...  a command run in the holder's namespaces (nft); 'K', or 'F' and its stderr
 * End of file on fd 3 (Network.close, or the JVM's death): the holder kills its children (pasta)
 * and exits 0. Nothing outlives it but what containers still hold: its namespaces go with the last
 * process and descriptor that uses them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/netlink.h>

#include "mdk.h"

#define HOLDER_CODE __attribute__((section("mdk_owners"), noinline))

static HOLDER_CODE int holder_reply_error(int err, const char *what)
{
    char reply[512];
    int n = snprintf(reply, sizeof reply, "F%s: %s", what, strerror(err));

    return send(MDK_SYNC_FD, reply, (size_t) n < sizeof reply ? (size_t) n : sizeof reply - 1, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* A NETLINK_ROUTE socket opened in the network namespace PATH ("": our own), sent as 'K'. */
static HOLDER_CODE int hand_socket(int own, const char *path)
{
    char what[300], cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { .iov_base = "K", .iov_len = 1 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
    struct cmsghdr *cm;
    int ns = -1, sock, err, ret;

    snprintf(what, sizeof what, "socket(AF_NETLINK, NETLINK_ROUTE) in %s", path[0] ? path : "the holder's namespace");
    if (path[0] != '\0') {
        if ((ns = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(ns, CLONE_NEWNET) < 0) {
            err = errno;
            if (ns >= 0)
                close(ns);
            snprintf(what, sizeof what, "setns(%s, CLONE_NEWNET)", path);
            return holder_reply_error(err, what);
        }
        close(ns);
    }
    sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    err = errno;
    if (path[0] != '\0' && setns(own, CLONE_NEWNET) < 0)
        return -1; /* cannot come home: exit, the JVM sees end of file */
    if (sock < 0)
        return holder_reply_error(err, what);
    memset(cbuf, 0, sizeof cbuf);
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &sock, sizeof(int));
    ret = sendmsg(MDK_SYNC_FD, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
    close(sock);
    return ret;
}

#define MAX_ARGS 64

/* ARG\0 ARG\0... (len bytes at buf) as an argv; false when empty or too many. */
static HOLDER_CODE bool split_args(char *buf, size_t len, char **argv)
{
    size_t argc = 0;

    for (size_t i = 0; i < len && argc < MAX_ARGS; i += strlen(buf + i) + 1)
        argv[argc++] = buf + i;
    argv[argc] = NULL;
    return argc > 0 && argc < MAX_ARGS;
}

/*
 * The starter: forked before the holder unshares, so in the host's namespaces; it waits for
 * pasta's command line on fd in (end of file without one: nothing to start) and execs it.
 */
static HOLDER_CODE void __attribute__((noreturn)) starter(int in, pid_t holder)
{
    static char buf[4096];
    char *argv[MAX_ARGS + 1];
    size_t len = 0;
    ssize_t n;

    close(MDK_SYNC_FD); /* the JVM must see the holder's end of file alone */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != holder)
        _exit(1);
    while (len < sizeof buf - 1 && (n = read(in, buf + len, sizeof buf - 1 - len)) != 0) {
        if (n < 0 && errno != EINTR)
            _exit(1);
        if (n > 0)
            len += (size_t) n;
    }
    close(in);
    if (len == 0 || !split_args(buf, len, argv))
        _exit(0);
    /* as from a shell: mdocker-init ignores SIGPIPE, and an ignored signal stays ignored across
       exec (Debian 12's pasta takes an ignored SIGPIPE at its start for a failure) */
    signal(SIGPIPE, SIG_DFL);
    execv(argv[0], argv);
    _exit(127);
}

/* Runs argv in the holder's namespaces; 0, or -1 with its stderr (or the failure) in err. */
static HOLDER_CODE int run_command(char **argv, char *err, size_t errlen)
{
    int pipefd[2], status;
    size_t len = 0;
    ssize_t n;
    pid_t pid;

    err[0] = '\0';
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe2: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    if (pid == 0) {
        close(MDK_SYNC_FD);
        signal(SIGPIPE, SIG_DFL);
        dup2(pipefd[1], 2);
        execv(argv[0], argv);
        dprintf(2, "execv(%s): %s", argv[0], strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    while (len < errlen - 1 && (n = read(pipefd[0], err + len, errlen - 1 - len)) != 0) {
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0)
            len += (size_t) n;
    }
    err[len] = '\0';
    close(pipefd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (len == 0)
        snprintf(err, errlen, "%s exited with status %d", argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return -1;
}

static HOLDER_CODE int reply(const char *type, const char *text)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%s%s", type, text);

    return send(MDK_SYNC_FD, buf, (size_t) n < sizeof buf ? (size_t) n : sizeof buf - 1, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Every child left (pasta's daemon, inherited as subreaper), killed and reaped. */
static HOLDER_CODE void kill_children(void)
{
    char path[64], buf[512];
    int fd;
    ssize_t n;

    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int) getpid());
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0) {
            buf[n] = '\0';
            for (char *p = buf, *end; *p != '\0'; p = end) {
                long pid = strtol(p, &end, 10);
                if (end == p)
                    break;
                if (pid > 0)
                    kill((pid_t) pid, SIGKILL);
            }
        }
    }
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
        ;
}

HOLDER_CODE int netholder_main(void)
{
    static char msg[4096 + 1], err[900];
    char *argv[MAX_ARGS + 1];
    int own, pipefd[2], status, fd;
    pid_t holder = getpid(), start;
    ssize_t n;

    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        holder_reply_error(errno, "pipe2");
        return EXIT_SETUP;
    }
    if ((start = fork()) < 0) {
        holder_reply_error(errno, "fork");
        return EXIT_SETUP;
    }
    if (start == 0) {
        close(pipefd[1]);
        starter(pipefd[0], holder);
    }
    close(pipefd[0]);
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
        holder_reply_error(errno, "unshare(CLONE_NEWUSER | CLONE_NEWNET)");
        return EXIT_SETUP;
    }
    if ((own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) {
        holder_reply_error(errno, "open(/proc/self/ns/net)");
        return EXIT_SETUP;
    }
    if (loopback_up() < 0) {
        holder_reply_error(errno, "bringing lo up");
        return EXIT_SETUP;
    }
    /* a router between the bridge and pasta's tap: this namespace's own setting */
    if ((fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC)) < 0 || write(fd, "1\n", 2) != 2) {
        holder_reply_error(errno, "writing 1 to /proc/sys/net/ipv4/ip_forward in the holder's namespace");
        return EXIT_SETUP;
    }
    close(fd);
    if (send(MDK_SYNC_FD, "R", 1, MSG_NOSIGNAL) < 0)
        return EXIT_SETUP;
    for (;;) {
        int ret = 0;

        do
            n = recv(MDK_SYNC_FD, msg, sizeof msg - 1, 0);
        while (n < 0 && errno == EINTR);
        if (n <= 0) {
            kill_children();
            return n == 0 ? 0 : EXIT_SETUP;
        }
        msg[n] = '\0';
        switch (msg[0]) {
        case 'N':
            ret = hand_socket(own, msg + 1);
            break;
        case 'P':
            if (pipefd[1] < 0) {
                ret = reply("F", "pasta was started already");
                break;
            }
            if (write(pipefd[1], msg + 1, (size_t) n - 1) != n - 1) {
                ret = holder_reply_error(errno, "handing pasta's command line to the starter");
                break;
            }
            close(pipefd[1]);
            pipefd[1] = -1;
            while (waitpid(start, &status, 0) < 0 && errno == EINTR)
                ;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                ret = reply("K", "");
            else {
                snprintf(err, sizeof err, "pasta exited with status %d",
                         WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                ret = reply("F", err);
            }
            break;
        case 'C':
            if (!split_args(msg + 1, (size_t) n - 1, argv))
                ret = reply("F", "a command of no or too many arguments");
            else if (run_command(argv, err, sizeof err) < 0)
                ret = reply("F", err);
            else
                ret = reply("K", "");
            break;
        default:
            ret = holder_reply_error(EINVAL, "network holder: unknown request");
        }
        if (ret < 0) {
            kill_children();
            return EXIT_SETUP;
        }
    }
}
