/*
 * Published ports (PUBLISH, FORWARD): the monitor's TCP proxy, for detached containers. Every
 * function here is in section mdk_proxy (PROXY_CODE), a segment of its own. Nothing here exists
 * in a monitor that got no PUBLISH: the state is mapped when it comes, each connection's buffers
 * when it is accepted, and unmapped when it ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "mdk.h"

#define CONN_BUF (16 * 1024)
#define CONN_BURST 16 /* buffers moved per connection and poll round: no pair starves the rest */

/* One direction of a connection: bytes read from fd[from] wait in buf for fd[1 - from]. */
struct flow {
    size_t len, off;
    bool eof;  /* fd[from] said end of stream */
    bool shut; /* passed on: shutdown(fd[1 - from], SHUT_WR) */
    unsigned char buf[CONN_BUF];
};

struct conn {
    int fd[2];       /* 0: the client's (accepted), 1: ours to the container */
    bool connecting; /* fd[1]'s nonblocking connect is under way */
    struct flow flow[2]; /* flow[k] reads fd[k] and writes fd[1 - k] */
};

struct proxy {
    size_t nports, nconns;
    int listen_fd[MDK_MAX_PORTS];
    uint16_t to_port[MDK_MAX_PORTS]; /* the container port of each, host order */
    struct sockaddr_in target;       /* FORWARD's address */
    struct conn *conns[MDK_MAX_CONNS];
    /* the monitor's three, the listeners, then two per connection */
    struct pollfd pfds[3 + MDK_MAX_PORTS + 2 * MDK_MAX_CONNS];
};

static PROXY_CODE void *map_zeroed(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

/* A listening socket on addr:port (addr 0.0.0.0: every address, IPv6 too where the host has it). */
static PROXY_CODE int listen_on(const unsigned char addr[4], uint16_t port, uint16_t *bound)
{
    static const unsigned char any[4];
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int one = 1, zero = 0, fd = -1, err;

    memset(&ss, 0, sizeof ss);
    if (memcmp(addr, any, 4) == 0) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) &ss;

        fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) == 0) {
            s6->sin6_family = AF_INET6;
            s6->sin6_port = htons(port);
            s6->sin6_addr = in6addr_any;
            len = sizeof *s6;
        } else if (fd >= 0) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0) { /* an address of the host's, or no IPv6 */
        struct sockaddr_in *s4 = (struct sockaddr_in *) &ss;

        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        memcpy(&s4->sin_addr, addr, 4);
        len = sizeof *s4;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
        || bind(fd, (struct sockaddr *) &ss, len) < 0 || listen(fd, 128) < 0)
        goto fail;
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0)
        goto fail;
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port
                                             : ((struct sockaddr_in *) &ss)->sin_port);
    return fd;
fail:
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

/*
 * sync 1a (monitor side): PUBLISH (the next message, next_message_type says) binds every port or
 * none, and answers PUBLISHED. Returns 0, -1 with last_error, -2 at EOF.
 */
PROXY_CODE int receive_publish(struct proxy **out)
{
    struct mdk_header h;
    struct proxy *p;
    uint16_t bound[MDK_MAX_PORTS], port;
    const unsigned char *e;
    ssize_t n;
    size_t i;

    n = recv_datagram(MDK_SYNC_FD, msgbuf, sizeof msgbuf, 0);
    if (n <= 0)
        return n == 0 ? -2 : fail(MDK_STEP_PROTOCOL, errno, "PUBLISH");
    if (parse_header(msgbuf, (size_t) n, &h) < 0)
        return -1;
    if (h.length == 0 || h.length % 8 != 0 || h.length / 8 > MDK_MAX_PORTS)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "PUBLISH of %u bytes: expected 1 to %d entries of 8",
                    h.length, MDK_MAX_PORTS);
    p = map_zeroed(sizeof *p);
    if (p == NULL)
        return fail(MDK_STEP_PUBLISH, errno, "PUBLISH: mmap of %zu bytes", sizeof *p);
    *out = p; /* its sockets close as the monitor exits, on every path */
    for (i = 0; i < h.length / 8; i++) {
        e = msgbuf + sizeof h + 8 * i;
        memcpy(&port, e + 4, 2);
        memcpy(&p->to_port[i], e + 6, 2);
        if (p->to_port[i] == 0)
            return fail(MDK_STEP_PROTOCOL, EINVAL, "PUBLISH[%zu]: container port 0", i);
        p->listen_fd[i] = listen_on(e, port, &bound[i]);
        if (p->listen_fd[i] < 0)
            return fail(MDK_STEP_PUBLISH, errno, "PUBLISH[%zu]: bind(%u.%u.%u.%u:%u)", i, e[0], e[1], e[2],
                        e[3], port);
        p->nports = i + 1;
    }
    return send_msg(MDK_SYNC_FD, MDK_MSG_PUBLISHED, bound, 2 * p->nports) < 0 ? -2 : 0;
}

/* sync 2: FORWARD goes with PUBLISH, and only with it (called when either was given). */
PROXY_CODE int set_forward(struct proxy *p, const struct config *c)
{
    bool forward = c->tags & TAG(MDK_T_FORWARD);

    if (forward != (p != NULL))
        return fail(MDK_STEP_PROTOCOL, EINVAL, forward ? "CONFIG: FORWARD without PUBLISH"
                                                       : "CONFIG: no FORWARD after PUBLISH");
    if (p != NULL) {
        p->target.sin_family = AF_INET;
        memcpy(&p->target.sin_addr, c->forward, 4);
    }
    return 0;
}

static PROXY_CODE void close_conn(struct proxy *p, size_t i)
{
    struct conn *c = p->conns[i];

    close(c->fd[0]);
    close(c->fd[1]);
    munmap(c, sizeof *c);
    p->conns[i] = p->conns[--p->nconns];
}

/* A new client on listener i: a connection to the container's port. Failures drop the client. */
static PROXY_CODE void accept_client(struct proxy *p, size_t i)
{
    struct sockaddr_in to = p->target;
    struct conn *c;
    int one = 1, fd = accept4(p->listen_fd[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0)
        return;
    c = map_zeroed(sizeof *c);
    if (c == NULL) {
        close(fd);
        return;
    }
    c->fd[0] = fd;
    c->fd[1] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    to.sin_port = htons(p->to_port[i]);
    if (c->fd[1] < 0 || (connect(c->fd[1], (struct sockaddr *) &to, sizeof to) < 0 && errno != EINPROGRESS)) {
        if (c->fd[1] >= 0)
            close(c->fd[1]);
        close(fd);
        munmap(c, sizeof *c);
        return;
    }
    c->connecting = true;
    setsockopt(c->fd[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(c->fd[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    p->conns[p->nconns++] = c;
}

/* Moves flow k as far as the sockets let it; -1 when the connection is broken. */
static PROXY_CODE int pump(struct conn *c, int k)
{
    struct flow *f = &c->flow[k];
    int in = c->fd[k], out = c->fd[1 - k], burst;
    ssize_t n;

    for (burst = 0; burst < CONN_BURST;) {
        if (f->off < f->len) {
            n = send(out, f->buf + f->off, f->len - f->off, MSG_NOSIGNAL);
            if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -1;
            f->off += (size_t) n;
            continue;
        }
        f->off = f->len = 0;
        if (f->eof) {
            if (!f->shut && shutdown(out, SHUT_WR) < 0 && errno != ENOTCONN)
                return -1;
            f->shut = true;
            return 0;
        }
        n = recv(in, f->buf, sizeof f->buf, 0);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        f->eof = n == 0;
        f->len = (size_t) n;
        burst++;
    }
    return 0;
}

static PROXY_CODE short flow_events(const struct conn *c, int k)
{
    short ev = 0;

    if (c->connecting)
        return k == 1 ? POLLOUT : 0;
    if (!c->flow[k].eof && c->flow[k].len == 0)
        ev |= POLLIN; /* flow k reads fd[k] */
    if (c->flow[1 - k].off < c->flow[1 - k].len)
        ev |= POLLOUT; /* flow 1-k writes fd[k] */
    return ev;
}

/* Connection i after poll: false when it has ended (both ways done, or broken). */
static PROXY_CODE bool serve_conn(struct conn *c, const struct pollfd *pf)
{
    int err = 0, k;
    socklen_t len = sizeof err;

    if (c->connecting) {
        if (pf[0].revents & (POLLERR | POLLHUP))
            return false; /* the client gave up first */
        if (!pf[1].revents)
            return true;
        if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
            return false; /* refused or unreachable: the client sees its connection closed */
        c->connecting = false;
    }
    for (k = 0; k < 2; k++)
        if (pump(c, k) < 0)
            return false;
    for (k = 0; k < 2; k++) {
        /* a peer gone altogether, with nothing left to tell it: no event would ever clear */
        if ((pf[k].revents & POLLERR)
            || ((pf[k].revents & POLLHUP) && c->flow[k].eof && c->flow[1 - k].off == c->flow[1 - k].len))
            return false;
    }
    return !(c->flow[0].shut && c->flow[1].shut);
}

/*
 * The pollfds for one round: the monitor's three (copied in), the listeners (polled once
 * `serving`: STARTED relayed), the connections.
 */
PROXY_CODE nfds_t proxy_pollfds(struct proxy *p, const struct pollfd monitor[3], bool serving)
{
    bool accepting = serving && p->nconns < MDK_MAX_CONNS;
    size_t i;
    nfds_t n = 3;

    memcpy(p->pfds, monitor, 3 * sizeof *monitor);
    for (i = 0; i < p->nports; i++, n++)
        p->pfds[n] = (struct pollfd) { accepting ? p->listen_fd[i] : -1, POLLIN, 0 };
    for (i = 0; i < p->nconns; i++, n += 2) {
        p->pfds[n] = (struct pollfd) { p->conns[i]->fd[0], flow_events(p->conns[i], 0), 0 };
        p->pfds[n + 1] = (struct pollfd) { p->conns[i]->fd[1], flow_events(p->conns[i], 1), 0 };
    }
    return n;
}

/* After poll: the connections first (closing ends frees room), then new clients. */
PROXY_CODE void proxy_serve(struct proxy *p)
{
    const struct pollfd *conn_pfds = p->pfds + 3 + p->nports;
    size_t i, n = p->nconns;

    /* backwards: close_conn moves the last connection into the closed one's slot */
    for (i = n; i-- > 0;)
        if ((conn_pfds[2 * i].revents || conn_pfds[2 * i + 1].revents)
            && !serve_conn(p->conns[i], conn_pfds + 2 * i))
            close_conn(p, i);
    for (i = 0; i < p->nports; i++)
        while ((p->pfds[3 + i].revents & POLLIN) && p->nconns < MDK_MAX_CONNS) {
            size_t before = p->nconns;

            accept_client(p, i);
            if (p->nconns == before)
                break; /* EAGAIN, or a client dropped */
        }
}


PROXY_CODE struct pollfd *proxy_pfds(struct proxy *p)
{
    return p->pfds;
}
