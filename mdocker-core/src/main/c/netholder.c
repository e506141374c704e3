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
 * Wire (fd 3, SOCK_SEQPACKET, one request a message):
 *   'R'                 holder -> JVM: unshared (maps not yet written), lo up
 *   'F' TEXT            holder -> JVM: it failed (the first message, or a request's answer)
 *   'N' PATH\0          a NETLINK_ROUTE socket in the network namespace file PATH (empty: the
 *                       holder's own); answered 'K' with the socket (SCM_RIGHTS) or 'F' TEXT
 * End of file on fd 3 (Network.close, or the JVM's death): exit 0. Nothing outlives it but what
 * containers still hold: its namespaces go with the last process and descriptor that uses them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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

HOLDER_CODE int netholder_main(void)
{
    static char msg[4096 + 1];
    int own;
    ssize_t n;

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
    if (send(MDK_SYNC_FD, "R", 1, MSG_NOSIGNAL) < 0)
        return EXIT_SETUP;
    for (;;) {
        do
            n = recv(MDK_SYNC_FD, msg, sizeof msg - 1, 0);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
            return n == 0 ? 0 : EXIT_SETUP;
        msg[n] = '\0';
        if (msg[0] != 'N') {
            if (holder_reply_error(EINVAL, "network holder: unknown request") < 0)
                return EXIT_SETUP;
            continue;
        }
        if (hand_socket(own, msg + 1) < 0)
            return EXIT_SETUP;
    }
}
