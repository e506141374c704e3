/*
 * Errors and messages: the one error a failing step leaves for ERROR, and the datagrams of the
 * sync socket (protocol.h) every process of mdocker-init sends and receives.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "mdk.h"

_Static_assert(sizeof(struct mdk_header) == 12, "protocol header is 12 bytes");

/* ---------------------------------------------------------------------------------------- */
/* Errors: every failing step fills this and returns -1; the caller sends it as ERROR.       */

static struct {
    int step;
    int err;
    char text[PATH_MAX + 256]; /* "call(object)"; errno travels separately */
} last_error;

int fail(int step, int err, const char *fmt, ...)
{
    va_list ap;

    last_error.step = step;
    last_error.err = err;
    va_start(ap, fmt);
    vsnprintf(last_error.text, sizeof last_error.text, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Messages                                                                                  */

unsigned char msgbuf[MDK_MAX_MESSAGE]; /* the receive buffer: one message at a time */
bool handed_over;
bool orphan_ok;

int send_msg(int fd, uint16_t type, const void *payload, size_t len)
{
    struct mdk_header h = { MDK_MAGIC, MDK_VERSION, type, (uint32_t) len };
    struct iovec iov[2] = { { &h, sizeof h }, { (void *) payload, len } };
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
    ssize_t n;

    do
        n = sendmsg(fd, &m, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

/* A message with one descriptor along (SCM_RIGHTS): PID's exit channel. */
int send_msg_fd(int fd, uint16_t type, const void *payload, size_t len, int passed)
{
    struct mdk_header h = { MDK_MAGIC, MDK_VERSION, type, (uint32_t) len };
    struct iovec iov[2] = { { &h, sizeof h }, { (void *) payload, len } };
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } control;
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
    struct cmsghdr *cm;
    ssize_t n;

    memset(&control, 0, sizeof control);
    cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &passed, sizeof passed);
    do
        n = sendmsg(fd, &m, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

void send_pair(int fd, uint16_t type, int32_t a, int32_t b)
{
    int32_t v[2] = { a, b };

    send_msg(fd, type, v, sizeof v);
}

_Static_assert(sizeof(struct mdk_header) + 8 + sizeof last_error.text <= MDK_MAX_REPLY,
               "an ERROR fits the JVM's receive buffer");

void send_error(int fd)
{
    unsigned char buf[8 + sizeof last_error.text];
    int32_t v[2] = { last_error.step, last_error.err };
    size_t n = strnlen(last_error.text, sizeof last_error.text);

    if (handed_over) { /* nobody listens on fd any more: the container's stderr is the caller's */
        dprintf(2, "mdocker-init: %.*s: %s\n", (int) n, last_error.text, strerror(last_error.err));
        return;
    }
    memcpy(buf, v, sizeof v);
    memcpy(buf + sizeof v, last_error.text, n);
    send_msg(fd, MDK_MSG_ERROR, buf, sizeof v + n);
}

/* One datagram into buf. Returns its size, 0 at EOF, -1 on error; EMSGSIZE if it was cut. */
ssize_t recv_datagram(int fd, void *buf, size_t cap, int flags)
{
    struct iovec iov = { buf, cap };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    do
        n = recvmsg(fd, &m, flags);
    while (n < 0 && errno == EINTR);
    if (n > 0 && (m.msg_flags & MSG_TRUNC)) {
        errno = EMSGSIZE;
        return -1;
    }
    return n;
}

int parse_header(const unsigned char *buf, size_t n, struct mdk_header *h)
{
    if (n < sizeof *h)
        return fail(MDK_STEP_PROTOCOL, EPROTO, "message of %zu bytes, header is 12", n);
    memcpy(h, buf, sizeof *h);
    if (h->magic != MDK_MAGIC)
        return fail(MDK_STEP_PROTOCOL, EPROTO, "bad magic %#x", h->magic);
    if (h->version != MDK_VERSION)
        return fail(MDK_STEP_PROTOCOL, EPROTO, "protocol version %u, expected %u", h->version,
                    MDK_VERSION);
    if (h->length != n - sizeof *h)
        return fail(MDK_STEP_PROTOCOL, EPROTO, "message type %u: length %u but %zu bytes follow",
                    h->type, h->length, n - sizeof *h);
    return 0;
}

/* Docker's exit codes: 127 not found, 126 cannot execute, 125 the container could not start. */
int failure_exit_code(void)
{
    if (last_error.step != MDK_STEP_EXEC)
        return EXIT_SETUP;
    return last_error.err == ENOENT ? 127 : 126;
}
