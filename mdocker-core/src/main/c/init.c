/*
 * mdocker-init: the monitor and the pid 1 of one mdocker container, in one static binary.
 *
 * The JVM posix_spawns this program with one argument, the CLONE_NEW* namespaces of pid 1 in
 * hexadecimal, the container's stdio on fds 0-2 and its end of a SOCK_SEQPACKET socketpair on
 * fd 3 (MDK_SYNC_FD; wire format in protocol.h). Two processes come out of it:
 *
 *   monitor  the spawned process, in the host namespaces. It clones pid 1 at once, checks
 *            CONFIG and relays it, relays GO, SIGNAL and STARTED/ERROR/EXIT, and reports EXIT
 *            itself when pid 1 ended without one.
 *   pid 1    the clone, in new namespaces. With CONFIG it mounts the overlay and the system
 *            filesystems, user binds, pivots into the rootfs, sets hostname and cwd; with GO
 *            it forks the command (ids, capabilities, seccomp) and stays as a minimal init
 *            (INIT=1, the default, like `docker run --init`) or execs the command itself (INIT=0).
 *
 * Sync points (io.mdocker.internal.process uses the same numbers):
 *   sync 1  monitor -> JVM            PID of pid 1, cloned at start-up (or ERROR and exit 125)
 *   sync 2  JVM -> monitor -> pid 1   CONFIG (checked by the monitor; ERROR and exit 125 if bad);
 *                                     a detached pid 1 opens its STDOUT/STDERR files first
 *   sync 3  JVM -> monitor -> pid 1   GO: host-side setup (cgroups, network) is complete;
 *                                     with TTY, pid 1 then opens the command's pseudo-terminal
 *           pid 1 -> monitor -> JVM   and sends its master (TTY, SCM_RIGHTS; relayed as such)
 *   sync 4  pid 1 -> monitor -> JVM   STARTED, or ERROR(step, errno, text) then EXIT.
 *           INIT=0: pid 1 sends STARTED just before exec; the monitor holds it until exec
 *           closes pid 1's CLOEXEC socket (EOF) and drops it if ERROR comes instead.
 *   sync 5  pid 1 -> monitor -> JVM   EXIT(code, 0) as the command ends (INIT=1); else the
 *                                     monitor's EXIT(code, signal) after waitpid(pid 1); then
 *                                     the monitor exits
 * Outside the sequence: SIGNAL at any time after sync 1 is kill(pid 1, sig); EOF on fd 3 at
 * any time means the JVM is gone: the monitor SIGKILLs pid 1 (ending the PID namespace),
 * reaps it and exits -- except for a detached container (DETACH) after sync 4, whose monitor
 * stays, and writes pid 1's exit status (its EXIT's, or its wait status) to the DETACH file.
 *
 * Join mode (argument "join", then JOIN instead of CONFIG, protocol.h): the spawned process
 * clones nothing and becomes a "joiner" that enters a running container past its GO and starts
 * one process in it (exec), with the identity and confinement of the container's command
 * (enter_identity, shared with the start path), and with TTY a pseudo-terminal of its own whose
 * master it sends to the JVM before JOINED.
 *
 * Requires Linux 5.11 (clone3, openat2, close_range CLOSE_RANGE_CLOEXEC), as root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#ifndef CLOSE_RANGE_CLOEXEC /* glibc declares it in unistd.h, musl does not */
#include <linux/close_range.h>
#endif
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <linux/seccomp.h>

#include "protocol.h"

_Static_assert(sizeof(struct mdk_header) == 12, "protocol header is 12 bytes");

#define NS_ALLOWED (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET \
                    | CLONE_NEWCGROUP)
#define NS_REQUIRED (CLONE_NEWNS | CLONE_NEWPID)
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MOUNT_DATA_MAX 4095 /* mount(2) copies one page of options */
#define EXIT_SETUP 125      /* the container could not be set up (Docker's code for it) */

/* ---------------------------------------------------------------------------------------- */
/* Errors: every failing step fills this and returns -1; the caller sends it as ERROR.       */

static struct {
    int step;
    int err;
    char text[PATH_MAX + 256]; /* "call(object)"; errno travels separately */
} last_error;

static int fail(int step, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(int step, int err, const char *fmt, ...)
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
/* Timing trace, only in a build with -DMDK_TRACE (mvn -Dinit.cflags=-DMDK_TRACE): each step's  */
/* CLOCK_MONOTONIC time (System.nanoTime's clock) in a page shared by the monitor, pid 1 and    */
/* the command's vforked parent, written by the monitor to /tmp/mdocker-trace/<its pid> at the  */
/* end as "nanos label" lines.                                                               */

#ifdef MDK_TRACE
#include <time.h>

#define TRACE_MAX 64
static struct trace_mark { const char *label; long long ns; long minflt; } *trace_marks;
static unsigned *trace_count;

static void trace_init(void)
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        return;
    trace_count = p;
    trace_marks = (struct trace_mark *) ((char *) p + 64);
}

static void trace_who(const char *label, int who)
{
    struct timespec ts;
    struct rusage ru;
    unsigned i;

    if (trace_count == NULL)
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    getrusage(who, &ru);
    i = __atomic_fetch_add(trace_count, 1, __ATOMIC_RELAXED);
    if (i < TRACE_MAX)
        trace_marks[i] = (struct trace_mark) { label, ts.tv_sec * 1000000000LL + ts.tv_nsec, ru.ru_minflt };
}

static void trace(const char *label)
{
    trace_who(label, RUSAGE_SELF);
}

static void trace_dump(void)
{
    char path[64];
    unsigned i, n;
    int fd;

    if (trace_count == NULL)
        return;
    mkdir("/tmp/mdocker-trace", 0700);
    snprintf(path, sizeof path, "/tmp/mdocker-trace/%d", (int) getpid());
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    n = *trace_count < TRACE_MAX ? *trace_count : TRACE_MAX;
    for (i = 0; i < n; i++)
        dprintf(fd, "%lld %ld %s\n", trace_marks[i].ns, trace_marks[i].minflt, trace_marks[i].label);
    close(fd);
}
#else
#define trace_init() ((void) 0)
#define trace(label) ((void) 0)
#define trace_who(label, who) ((void) 0)
#define trace_dump() ((void) 0)
#endif

/* ---------------------------------------------------------------------------------------- */
/* Messages                                                                                  */

#ifdef __GLIBC__
typedef __rlimit_resource_t rlimit_resource; /* glibc's enum; musl takes an int */
#else
typedef int rlimit_resource;
#endif

/* close_range(2) has no wrapper in musl */
static int close_fd_range(unsigned int first, unsigned int last, unsigned int flags)
{
    return (int) syscall(SYS_close_range, first, last, flags);
}

static unsigned char msgbuf[MDK_MAX_MESSAGE]; /* the monitor's receive buffer */

/*
 * The parsed config's memory: taken in order from this static block and never freed (the config
 * lives as long as the process). Not malloc: which pages a libc's allocator touches or hands back
 * differs between libcs (mdocker-init is linked with musl), and prefault_for_config() must know
 * which pages the start path writes. Its pages cost nothing until touched. A CONFIG of n bytes
 * needs at most ~3n + one page (strings, arrays, pointer tables, overlay options); more than this
 * block falls back to calloc.
 */
static unsigned char cfgmem[3 * MDK_MAX_MESSAGE + 8192] __attribute__((aligned(16)));
static size_t cfgmem_used;

static void *cfg_alloc(size_t count, size_t size)
{
    size_t n;
    void *p;

    if (size != 0 && count > SIZE_MAX / 2 / size)
        return NULL;
    n = (count * size + 15) & ~(size_t) 15;
    if (n > sizeof cfgmem - cfgmem_used)
        return calloc(count, size);
    p = cfgmem + cfgmem_used;
    cfgmem_used += n;
    memset(p, 0, n);
    return p;
}

static int send_msg(int fd, uint16_t type, const void *payload, size_t len)
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

/*
 * Pseudo-terminals (record TTY): at the end of this file, in a section of their own that
 * build-init.sh links as a segment of its own, as the published ports' (see PROXY_CODE): a
 * container without a terminal does not pay for this code in its helpers' RSS.
 */
#define TTY_CODE __attribute__((section("mdk_tty"), noinline))
static TTY_CODE void send_fd(int sock, uint16_t type, int fd);
struct config;
static TTY_CODE int open_tty(const struct config *c, int sock);
static TTY_CODE int attach_tty(int slave);
static TTY_CODE int check_tty(const struct config *c, const char *msg);
static TTY_CODE ssize_t recv_relaying_tty(int sock, void *buf, size_t cap, int flags);
static int tty_slave = -1; /* the pseudo-terminal's peer for the command (TTY), until it runs */

static void send_pair(int fd, uint16_t type, int32_t a, int32_t b)
{
    int32_t v[2] = { a, b };

    send_msg(fd, type, v, sizeof v);
}

static void send_error(int fd)
{
    unsigned char buf[8 + sizeof last_error.text];
    int32_t v[2] = { last_error.step, last_error.err };
    size_t n = strnlen(last_error.text, sizeof last_error.text);

    memcpy(buf, v, sizeof v);
    memcpy(buf + sizeof v, last_error.text, n);
    send_msg(fd, MDK_MSG_ERROR, buf, sizeof v + n);
}

/* One datagram into buf. Returns its size, 0 at EOF, -1 on error; EMSGSIZE if it was cut. */
static ssize_t recv_datagram(int fd, void *buf, size_t cap, int flags)
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

static int parse_header(const unsigned char *buf, size_t n, struct mdk_header *h)
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

/* ---------------------------------------------------------------------------------------- */
/* CONFIG: records parsed twice over the same bytes, once to count and check, once to copy.  */

struct bind {
    uint32_t flags;
    char *source; /* host path */
    char *target; /* path inside the container */
};

struct rlimit_rec {
    uint32_t resource;
    struct rlimit limit;
};

struct flagged_mount {
    unsigned long flags; /* MS_* */
    char *target, *data;
};

struct config {
    uint32_t tags; /* bit n: a record with tag n was given */
    char **argv, **envp, **lower; /* argv and envp are NULL-terminated */
    size_t argc, envc, nlower, nbinds;
    struct bind *binds;
    /* security (issue 5) */
    bool has_caps;
    uint64_t caps[5]; /* CAPS_BOUNDING .. CAPS_AMBIENT */
    uint32_t security; /* MDK_SEC_* */
    struct sock_fprog seccomp; /* len 0: no filter */
    char *devcgroup; /* cgroup v2 directory for the device program, or NULL */
    char *exit_file, *stdout_file, *stderr_file; /* detached containers, or NULL */
    unsigned char forward[4]; /* FORWARD: the container's IPv4 address, for PUBLISH's ports */
    uint16_t tty[2]; /* TTY: rows, columns of the command's pseudo-terminal (tags has MDK_T_TTY) */
    struct rlimit_rec *rlimits;
    size_t nrlimits;
    gid_t *groups;
    size_t ngroups;
    char **masked, **readonly;
    size_t nmasked, nreadonly;
    struct flagged_mount *tmpfs, *cgroupfs;
    size_t ntmpfs, ncgroupfs;
    char *upper, *work, *merged, *hostname, *cwd;
    char *overlay_data; /* "lowerdir=...,upperdir=...,workdir=...,volatile" */
    uint32_t uid, gid;
    uint64_t nsflags;
    bool init;
    /* join mode (JOIN instead of CONFIG) */
    bool join;
    pid_t join_pid;      /* host pid of the container's pid 1 */
    uint64_t join_start; /* its start time, against pid reuse */
    char **cgroups;      /* the container's cgroup directories */
    size_t ncgroups;
};

enum { CAPS_BOUNDING, CAPS_EFFECTIVE, CAPS_PERMITTED, CAPS_INHERITABLE, CAPS_AMBIENT };

struct record {
    uint16_t tag;
    uint32_t len;
    const unsigned char *value;
};

static int next_record(const unsigned char **pos, const unsigned char *end, struct record *r)
{
    size_t left = (size_t) (end - *pos);
    uint16_t tag, reserved;
    uint32_t len;

    if (left < 8)
        return fail(MDK_STEP_PROTOCOL, EPROTO, "CONFIG: truncated record header");
    memcpy(&tag, *pos, 2);
    memcpy(&reserved, *pos + 2, 2);
    memcpy(&len, *pos + 4, 4);
    if (reserved != 0)
        return fail(MDK_STEP_PROTOCOL, EPROTO, "CONFIG: tag %u: reserved is %u", tag, reserved);
    if (len > left - 8)
        return fail(MDK_STEP_PROTOCOL, EPROTO, "CONFIG: tag %u: length %u overruns the payload",
                    tag, len);
    r->tag = tag;
    r->len = len;
    r->value = *pos + 8;
    *pos += 8 + len;
    return 0;
}

static int count_records(const unsigned char *p, const unsigned char *end, struct config *c)
{
    uint32_t seen = 0;
    struct record r;

    while (p < end) {
        if (next_record(&p, end, &r) < 0)
            return -1;
        if (r.tag < 32)
            c->tags |= UINT32_C(1) << r.tag;
        switch (r.tag) {
        case MDK_T_ARG: c->argc++; break;
        case MDK_T_ENV: c->envc++; break;
        case MDK_T_LOWER: c->nlower++; break;
        case MDK_T_BIND: c->nbinds++; break;
        case MDK_T_RLIMIT: c->nrlimits++; break;
        case MDK_T_MASK: c->nmasked++; break;
        case MDK_T_READONLY: c->nreadonly++; break;
        case MDK_T_TMPFS: c->ntmpfs++; break;
        case MDK_T_CGROUPFS: c->ncgroupfs++; break;
        case MDK_T_CGROUP: c->ncgroups++; break;
        case MDK_T_UPPER: case MDK_T_WORK: case MDK_T_MERGED: case MDK_T_HOSTNAME:
        case MDK_T_CWD: case MDK_T_UID: case MDK_T_GID: case MDK_T_NSFLAGS: case MDK_T_INIT:
        case MDK_T_CAPS: case MDK_T_SECURITY: case MDK_T_SECCOMP: case MDK_T_GROUPS: case MDK_T_DEVCGROUP:
        case MDK_T_DETACH: case MDK_T_STDOUT: case MDK_T_STDERR: case MDK_T_JOINPID: case MDK_T_FORWARD:
        case MDK_T_TTY:
            if (seen & (1u << r.tag))
                return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: tag %u given twice", r.tag);
            seen |= 1u << r.tag;
            break;
        default:
            return fail(MDK_STEP_PROTOCOL, EPROTO, "CONFIG: unknown tag %u", r.tag);
        }
    }
    return 0;
}

/* Copies n bytes to the arena as a C string; the bytes may not contain NUL. */
static char *copy_string(const unsigned char *v, size_t n, char **arena, uint16_t tag)
{
    char *s = *arena;

    if (memchr(v, 0, n) != NULL) {
        fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: tag %u: string contains NUL", tag);
        return NULL;
    }
    memcpy(s, v, n);
    s[n] = '\0';
    *arena += n + 1;
    return s;
}

static int copy_fixed(const struct record *r, void *out, size_t n)
{
    if (r->len != n)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: tag %u: %u bytes, expected %zu", r->tag,
                    r->len, n);
    memcpy(out, r->value, n);
    return 0;
}

static int copy_bind(const struct record *r, struct bind *b, char **arena)
{
    const unsigned char *sep;

    if (r->len < 4 + 3)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: BIND record of %u bytes", r->len);
    memcpy(&b->flags, r->value, 4);
    sep = memchr(r->value + 4, 0, r->len - 4);
    if (sep == NULL)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: BIND without source\\0target");
    b->source = copy_string(r->value + 4, (size_t) (sep - r->value) - 4, arena, r->tag);
    if (b->source == NULL)
        return -1;
    b->target = copy_string(sep + 1, (size_t) (r->value + r->len - sep) - 1, arena, r->tag);
    return b->target == NULL ? -1 : 0;
}

/* TMPFS and CGROUPFS: uint32 MS_* flags, then "target\0data". */
static int copy_flagged_mount(const struct record *r, struct flagged_mount *t, char **arena)
{
    const char *name = r->tag == MDK_T_TMPFS ? "TMPFS" : "CGROUPFS";
    const unsigned char *sep;
    uint32_t flags;

    if (r->len < 4 + 2)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: %s record of %u bytes", name, r->len);
    memcpy(&flags, r->value, 4);
    t->flags = flags;
    sep = memchr(r->value + 4, 0, r->len - 4);
    if (sep == NULL)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: %s without target\\0data", name);
    t->target = copy_string(r->value + 4, (size_t) (sep - r->value) - 4, arena, r->tag);
    if (t->target == NULL)
        return -1;
    t->data = copy_string(sep + 1, (size_t) (r->value + r->len - sep) - 1, arena, r->tag);
    return t->data == NULL ? -1 : 0;
}

static int copy_rlimit(const struct record *r, struct rlimit_rec *l)
{
    uint64_t soft, hard;
    uint32_t zero;

    if (r->len != 24)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: RLIMIT record of %u bytes, expected 24",
                    r->len);
    memcpy(&l->resource, r->value, 4);
    memcpy(&zero, r->value + 4, 4);
    memcpy(&soft, r->value + 8, 8);
    memcpy(&hard, r->value + 16, 8);
    if (zero != 0 || l->resource >= RLIMIT_NLIMITS)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: RLIMIT resource %u", l->resource);
    l->limit.rlim_cur = soft == UINT64_MAX ? RLIM_INFINITY : soft;
    l->limit.rlim_max = hard == UINT64_MAX ? RLIM_INFINITY : hard;
    return 0;
}

static int copy_joinpid(const struct record *r, struct config *c)
{
    int32_t pid;
    uint32_t zero;

    if (r->len != 16)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "JOIN: JOINPID record of %u bytes, expected 16", r->len);
    memcpy(&pid, r->value, 4);
    memcpy(&zero, r->value + 4, 4);
    memcpy(&c->join_start, r->value + 8, 8);
    if (pid <= 0 || zero != 0)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "JOIN: JOINPID pid %d", pid);
    c->join_pid = pid;
    return 0;
}

/* A copy of len bytes that a multiple of `unit` must fill, in memory of its own (aligned). */
static void *copy_array(const struct record *r, size_t unit, size_t *count)
{
    void *p;

    if (r->len == 0 || r->len % unit != 0) {
        fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: tag %u: %u bytes, not a multiple of %zu", r->tag,
             r->len, unit);
        return NULL;
    }
    p = cfg_alloc(1, r->len);
    if (p == NULL) {
        fail(MDK_STEP_PROTOCOL, ENOMEM, "CONFIG: tag %u of %u bytes", r->tag, r->len);
        return NULL;
    }
    memcpy(p, r->value, r->len);
    *count = r->len / unit;
    return p;
}

static int copy_record(const struct record *r, struct config *c, char **arena)
{
    size_t n;
    char **str = NULL;
    uint32_t init = 1;

    switch (r->tag) {
    case MDK_T_ARG: str = &c->argv[c->argc++]; break;
    case MDK_T_ENV: str = &c->envp[c->envc++]; break;
    case MDK_T_LOWER: str = &c->lower[c->nlower++]; break;
    case MDK_T_UPPER: str = &c->upper; break;
    case MDK_T_WORK: str = &c->work; break;
    case MDK_T_MERGED: str = &c->merged; break;
    case MDK_T_HOSTNAME: str = &c->hostname; break;
    case MDK_T_CWD: str = &c->cwd; break;
    case MDK_T_DEVCGROUP: str = &c->devcgroup; break;
    case MDK_T_DETACH: str = &c->exit_file; break;
    case MDK_T_STDOUT: str = &c->stdout_file; break;
    case MDK_T_STDERR: str = &c->stderr_file; break;
    case MDK_T_UID: return copy_fixed(r, &c->uid, 4);
    case MDK_T_GID: return copy_fixed(r, &c->gid, 4);
    case MDK_T_NSFLAGS: return copy_fixed(r, &c->nsflags, 8);
    case MDK_T_BIND: return copy_bind(r, &c->binds[c->nbinds++], arena);
    case MDK_T_MASK: str = &c->masked[c->nmasked++]; break;
    case MDK_T_READONLY: str = &c->readonly[c->nreadonly++]; break;
    case MDK_T_CGROUP: str = &c->cgroups[c->ncgroups++]; break;
    case MDK_T_JOINPID: return copy_joinpid(r, c);
    case MDK_T_FORWARD: return copy_fixed(r, c->forward, sizeof c->forward);
    case MDK_T_TTY: return copy_fixed(r, c->tty, sizeof c->tty);
    case MDK_T_TMPFS: return copy_flagged_mount(r, &c->tmpfs[c->ntmpfs++], arena);
    case MDK_T_CGROUPFS: return copy_flagged_mount(r, &c->cgroupfs[c->ncgroupfs++], arena);
    case MDK_T_RLIMIT: return copy_rlimit(r, &c->rlimits[c->nrlimits++]);
    case MDK_T_SECURITY: return copy_fixed(r, &c->security, 4);
    case MDK_T_CAPS:
        c->has_caps = true;
        return copy_fixed(r, c->caps, sizeof c->caps);
    case MDK_T_GROUPS:
        c->groups = copy_array(r, sizeof(gid_t), &c->ngroups);
        return c->groups == NULL ? -1 : 0;
    case MDK_T_SECCOMP:
        c->seccomp.filter = copy_array(r, sizeof(struct sock_filter), &n);
        if (c->seccomp.filter == NULL)
            return -1;
        if (n > BPF_MAXINSNS)
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: SECCOMP program of %zu instructions, "
                        "the kernel takes at most %d", n, BPF_MAXINSNS);
        c->seccomp.len = (unsigned short) n;
        return 0;
    case MDK_T_INIT:
        if (copy_fixed(r, &init, 4) < 0)
            return -1;
        if (init > 1)
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: INIT is %u, expected 0 or 1", init);
        c->init = init;
        return 0;
    default:
        return fail(MDK_STEP_PROTOCOL, EPROTO, "CONFIG: unknown tag %u", r->tag);
    }
    *str = copy_string(r->value, r->len, arena, r->tag);
    return *str == NULL ? -1 : 0;
}

/* overlay options are split on ',' and lowerdir on ':', '\\' escapes: such paths are refused */
static int check_overlay_path(const char *what, const char *path)
{
    if (path[0] != '/')
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: %s %s is not absolute", what, path);
    if (strpbrk(path, ":,\\") != NULL)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: %s %s contains ':', ',' or '\\'", what,
                    path);
    return 0;
}

static int build_overlay_data(struct config *c)
{
    size_t i, n = sizeof "lowerdir=,upperdir=,workdir=,volatile" + strlen(c->upper) + strlen(c->work);
    char *p;

    if (check_overlay_path("UPPER", c->upper) < 0 || check_overlay_path("WORK", c->work) < 0)
        return -1;
    for (i = 0; i < c->nlower; i++) {
        if (check_overlay_path("LOWER", c->lower[i]) < 0)
            return -1;
        n += strlen(c->lower[i]) + 1;
    }
    if (n > MOUNT_DATA_MAX + 1)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: overlay options are %zu bytes, "
                    "mount(2) takes at most %d", n - 1, MOUNT_DATA_MAX);
    p = c->overlay_data = cfg_alloc(1, n);
    if (p == NULL)
        return fail(MDK_STEP_PROTOCOL, ENOMEM, "CONFIG: overlay options");
    p = stpcpy(p, "lowerdir=");
    for (i = 0; i < c->nlower; i++)
        p += sprintf(p, "%s%s", i ? ":" : "", c->lower[i]);
    /*
     * volatile: the writable layer lives exactly as long as the container, so the upper
     * filesystem is not synced when the overlay goes (at pid 1's exit, when its mount namespace
     * ends; a sync of the upper ext4 cost ~1.4 ms there). A crash loses nothing anyone keeps.
     */
    sprintf(p, ",upperdir=%s,workdir=%s,volatile", c->upper, c->work);
    return 0;
}

static int check_nsflags(const char *what, uint64_t nsflags)
{
    if (nsflags & ~(uint64_t) NS_ALLOWED)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "%s %#llx outside %#x", what,
                    (unsigned long long) nsflags, NS_ALLOWED);
    if ((nsflags & NS_REQUIRED) != NS_REQUIRED)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "%s lacks CLONE_NEWNS|CLONE_NEWPID", what);
    return 0;
}

#define TAG(t) (UINT32_C(1) << (t))
/* Records only one of the two messages takes (protocol.h). */
#define CONFIG_ONLY (TAG(MDK_T_LOWER) | TAG(MDK_T_UPPER) | TAG(MDK_T_WORK) | TAG(MDK_T_MERGED) \
                     | TAG(MDK_T_HOSTNAME) | TAG(MDK_T_BIND) | TAG(MDK_T_NSFLAGS) | TAG(MDK_T_INIT) \
                     | TAG(MDK_T_MASK) | TAG(MDK_T_READONLY) | TAG(MDK_T_TMPFS) | TAG(MDK_T_DEVCGROUP) \
                     | TAG(MDK_T_CGROUPFS) \
                     | TAG(MDK_T_DETACH) | TAG(MDK_T_STDOUT) | TAG(MDK_T_STDERR) | TAG(MDK_T_FORWARD))
#define JOIN_ONLY (TAG(MDK_T_JOINPID) | TAG(MDK_T_CGROUP))
#define SEC_FLAGS (MDK_SEC_NO_NEW_PRIVS | MDK_SEC_READONLY_ROOTFS | MDK_SEC_SYSFS_RW)

static int check_foreign_tags(const struct config *c, uint32_t foreign, const char *msg)
{
    int tag;

    if ((c->tags & TAG(MDK_T_TTY)) && check_tty(c, msg) < 0)
        return -1;

    for (tag = 0; tag < 32; tag++)
        if (c->tags & foreign & TAG(tag))
            return fail(MDK_STEP_PROTOCOL, EINVAL, "%s: tag %d does not belong in it", msg, tag);
    return 0;
}

#define CGROUPFS_ROOT "/sys/fs/cgroup"

/* The NAME of a target /sys/fs/cgroup/NAME; "" for /sys/fs/cgroup itself; NULL for anything else. */
static const char *cgroupfs_name(const char *target)
{
    size_t n = strlen(CGROUPFS_ROOT);
    const char *name = target + n;

    if (strncmp(target, CGROUPFS_ROOT, n) != 0)
        return NULL;
    if (*name == '\0')
        return name;
    if (*name != '/' || name[1] == '\0' || strchr(name + 1, '/') != NULL || strcmp(name, "/.") == 0
        || strcmp(name, "/..") == 0)
        return NULL;
    return name + 1;
}

static int check_cgroupfs(const struct config *c)
{
    size_t i;

    for (i = 0; i < c->ncgroupfs; i++) {
        const char *name = cgroupfs_name(c->cgroupfs[i].target);

        if (name == NULL || (*name == '\0' && c->ncgroupfs > 1))
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: CGROUPFS %s: expected %s alone or %s/NAME",
                        c->cgroupfs[i].target, CGROUPFS_ROOT, CGROUPFS_ROOT);
        if (*name == '\0' && c->cgroupfs[i].data[0] != '\0')
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: CGROUPFS %s takes cgroup2 (no controllers)",
                        CGROUPFS_ROOT);
    }
    return 0;
}

static int validate_config(struct config *c)
{
    size_t i;

    if (check_foreign_tags(c, JOIN_ONLY, "CONFIG") < 0)
        return -1;
    if (c->argc == 0)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: no ARG");
    if (c->merged == NULL || c->upper == NULL || c->work == NULL || c->nlower == 0)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: missing %s",
                    c->merged == NULL ? "MERGED" : c->upper == NULL ? "UPPER"
                    : c->work == NULL ? "WORK" : "LOWER");
    if (check_nsflags("CONFIG: NSFLAGS", c->nsflags) < 0)
        return -1;
    if (c->hostname != NULL && !(c->nsflags & CLONE_NEWUTS))
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: HOSTNAME without CLONE_NEWUTS");
    if (c->hostname != NULL && (c->hostname[0] == '\0' || strlen(c->hostname) > HOST_NAME_MAX))
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: HOSTNAME '%s'", c->hostname);
    if (c->merged[0] != '/')
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: MERGED %s is not absolute", c->merged);
    if (c->cwd != NULL && c->cwd[0] != '/')
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: CWD %s is not absolute", c->cwd);
    for (i = 0; i < c->nbinds; i++) {
        struct bind *b = &c->binds[i];

        if (b->source[0] != '/' || b->target[0] != '/')
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: BIND %s -> %s is not absolute",
                        b->source, b->target);
        if (b->flags & ~MDK_BIND_READONLY)
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: BIND flags %#x", b->flags);
    }
    for (i = 0; i < c->ntmpfs; i++)
        if (c->tmpfs[i].target[0] != '/')
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: TMPFS %s is not absolute",
                        c->tmpfs[i].target);
    if (check_cgroupfs(c) < 0)
        return -1;
    for (i = 0; i < c->nmasked + c->nreadonly; i++) {
        const char *path = i < c->nmasked ? c->masked[i] : c->readonly[i - c->nmasked];

        if (path[0] != '/')
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: %s %s is not absolute",
                        i < c->nmasked ? "MASK" : "READONLY", path);
    }
    if ((c->exit_file != NULL && c->exit_file[0] != '/') || (c->stdout_file != NULL && c->stdout_file[0] != '/')
        || (c->stderr_file != NULL && c->stderr_file[0] != '/'))
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: DETACH, STDOUT and STDERR take absolute paths");
    if (c->security & ~SEC_FLAGS)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: SECURITY flags %#x", c->security);
    return build_overlay_data(c);
}

/* JOIN: the process to start and the container to start it in; nothing of the container's setup. */
static int validate_join(const struct config *c)
{
    size_t i;

    if (check_foreign_tags(c, CONFIG_ONLY, "JOIN") < 0)
        return -1;
    if (c->argc == 0)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "JOIN: no ARG");
    if (c->join_pid <= 0)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "JOIN: no JOINPID");
    if (c->cwd != NULL && c->cwd[0] != '/')
        return fail(MDK_STEP_PROTOCOL, EINVAL, "JOIN: CWD %s is not absolute", c->cwd);
    for (i = 0; i < c->ncgroups; i++)
        if (c->cgroups[i][0] != '/')
            return fail(MDK_STEP_PROTOCOL, EINVAL, "JOIN: CGROUP %s is not absolute", c->cgroups[i]);
    if (c->security & ~SEC_FLAGS)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "JOIN: SECURITY flags %#x", c->security);
    return 0;
}

/* The config lives as long as the process (and is copied into pid 1 by clone): never freed. */
static int parse_config(const unsigned char *p, size_t len, struct config *c)
{
    const unsigned char *end = p + len, *pos;
    struct record r;
    char *arena;

    c->nsflags = NS_ALLOWED;
    c->init = true;
    if (count_records(p, end, c) < 0)
        return -1;
    c->argv = cfg_alloc(c->argc + 1, sizeof *c->argv);
    c->envp = cfg_alloc(c->envc + 1, sizeof *c->envp);
    c->lower = cfg_alloc(c->nlower + 1, sizeof *c->lower);
    c->binds = cfg_alloc(c->nbinds + 1, sizeof *c->binds);
    c->rlimits = cfg_alloc(c->nrlimits + 1, sizeof *c->rlimits);
    c->masked = cfg_alloc(c->nmasked + 1, sizeof *c->masked);
    c->readonly = cfg_alloc(c->nreadonly + 1, sizeof *c->readonly);
    c->tmpfs = cfg_alloc(c->ntmpfs + 1, sizeof *c->tmpfs);
    c->cgroupfs = cfg_alloc(c->ncgroupfs + 1, sizeof *c->cgroupfs);
    c->cgroups = cfg_alloc(c->ncgroups + 1, sizeof *c->cgroups);
    arena = cfg_alloc(1, len + 1); /* each string needs len + 1 <= its record's 8 + len bytes */
    if (!c->argv || !c->envp || !c->lower || !c->binds || !c->rlimits || !c->masked
        || !c->readonly || !c->tmpfs || !c->cgroupfs || !c->cgroups || !arena)
        return fail(MDK_STEP_PROTOCOL, ENOMEM, "CONFIG of %zu bytes", len);
    c->argc = c->envc = c->nlower = c->nbinds = 0;
    c->nrlimits = c->nmasked = c->nreadonly = c->ntmpfs = c->ncgroupfs = c->ncgroups = 0;
    for (pos = p; pos < end;)
        if (next_record(&pos, end, &r) < 0 || copy_record(&r, c, &arena) < 0)
            return -1;
    return c->join ? validate_join(c) : validate_config(c);
}

/*
 * sync 2: one datagram of type `type` from fd into msgbuf, parsed into c: CONFIG (the monitor
 * reads the JVM's, pid 1 the copy the monitor relays) or, in join mode, JOIN. Returns its size,
 * -1 with last_error, -2 at EOF.
 */
static ssize_t receive_config(int fd, struct config *c, uint16_t type)
{
    struct mdk_header h;
    ssize_t n = recv_datagram(fd, msgbuf, sizeof msgbuf, 0);

    if (n == 0 || (n < 0 && errno != EMSGSIZE))
        return -2;
    if (n < 0)
        return fail(MDK_STEP_PROTOCOL, EPROTO, "CONFIG larger than %d bytes", MDK_MAX_MESSAGE);
    if (parse_header(msgbuf, (size_t) n, &h) < 0)
        return -1;
    if (h.type != type)
        return fail(MDK_STEP_PROTOCOL, EPROTO, "expected %s, got message type %u",
                    type == MDK_MSG_JOIN ? "JOIN" : "CONFIG", h.type);
    c->join = type == MDK_MSG_JOIN;
    if (parse_config(msgbuf + sizeof h, h.length, c) < 0)
        return -1;
    return n;
}

/*
 * While a monitor and its pid 1 wait in the pool: touch the memory that receiving and parsing
 * a CONFIG will write (the receive buffer, cfgmem), so its page faults are taken now and not
 * on the container's start path (a fault costs ~25 us on the VMs measured, a copy-on-write one
 * in pid 1 as much). Each process does it for itself: pages touched before the clone would
 * still be copied on pid 1's first write. A hardened CONFIG (Docker's seccomp profile, 1227
 * instructions) is ~11 KB and parses into ~21 KB of cfgmem: 32 + 48 KiB cover it with room;
 * more would only sit in every idle container's helpers (a larger CONFIG faults the rest in).
 */
#define PREFAULT_BYTES (32 * 1024)

static void prefault_for_config(void)
{
    memset(msgbuf, 0, PREFAULT_BYTES);
    memset(cfgmem, 0, PREFAULT_BYTES * 3 / 2);
}

/* ---------------------------------------------------------------------------------------- */
/* Container pid 1: filesystem                                                               */

/* O_PATH open of path inside root; symlinks and ".." resolve as if root were "/". */
static int open_beneath(int root, const char *path)
{
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };

    return (int) syscall(SYS_openat2, root, path, &how, sizeof how);
}

static int create_entry(int dirfd, const char *name, bool file)
{
    int fd;

    if (!file)
        return mkdirat(dirfd, name, 0755);
    fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
    return fd < 0 ? -1 : 0;
}

#define MAX_DANGLING 16 /* dangling symlinks followed while creating one path */

static int open_in_root_depth(int root, const char *path, bool file, int depth);

/*
 * `name` in parent, found ENOENT after an EEXIST create: a symlink to a missing target
 * (an image's /var/run -> /run without /run). Creates its target inside root instead.
 */
static int follow_dangling(int root, int parent, const char *prefix, size_t start,
                           bool file, int depth)
{
    char target[PATH_MAX];
    ssize_t n;

    if (depth >= MAX_DANGLING) {
        errno = ELOOP;
        return -1;
    }
    if (start >= sizeof target) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(target, prefix, start); /* the parent's path, with its trailing '/' */
    n = readlinkat(parent, prefix + start, target + start, sizeof target - start - 1);
    if (n < 0) {
        errno = errno == EINVAL ? ENOENT : errno; /* not a symlink: it vanished */
        return -1;
    }
    target[start + (size_t) n] = '\0';
    if (target[start] == '/')
        return open_in_root_depth(root, target + start, file, depth + 1);
    return open_in_root_depth(root, target, file, depth + 1);
}

/*
 * Opens path inside root (O_PATH), creating what is missing component by component: each
 * directory, and for the last component an empty file when `file` is set. Every lookup goes
 * through openat2(RESOLVE_IN_ROOT), so a symlink in the image can never lead to a host path,
 * and each entry is created by name in an already resolved parent.
 */
static int open_in_root_depth(int root, const char *path, bool file, int depth)
{
    char prefix[PATH_MAX];
    size_t i = 0, start, len = strlen(path);
    int fd, parent, saved;
    bool last;

    fd = open_beneath(root, path);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    if (len >= sizeof prefix) {
        errno = ENAMETOOLONG;
        return -1;
    }
    parent = open_beneath(root, "/");
    if (parent < 0)
        return -1;
    for (;;) {
        while (path[i] == '/')
            i++;
        if (path[i] == '\0')
            return parent;
        start = i;
        while (path[i] != '\0' && path[i] != '/')
            i++;
        memcpy(prefix, path, i);
        prefix[i] = '\0';
        last = path[i + strspn(path + i, "/")] == '\0';
        fd = open_beneath(root, prefix);
        if (fd < 0 && errno == ENOENT) {
            if (create_entry(parent, prefix + start, last && file) < 0 && errno != EEXIST)
                break;
            fd = open_beneath(root, prefix);
            if (fd < 0 && errno == ENOENT)
                fd = follow_dangling(root, parent, prefix, start, last && file, depth);
        }
        if (fd < 0)
            break;
        close(parent);
        parent = fd;
    }
    saved = errno;
    close(parent);
    errno = saved;
    return -1;
}

static int open_in_root(int root, const char *path, bool file)
{
    return open_in_root_depth(root, path, file, 0);
}

static void fd_path(char *buf, size_t n, int fd)
{
    snprintf(buf, n, "/proc/self/fd/%d", fd);
}

/* mount(source, <target inside root>, ...) through the fd of the safely resolved target. */
static int mount_in_root(int root, const char *source, const char *target, bool file,
                         const char *fstype, unsigned long flags, const char *data)
{
    char path[32];
    int fd, ret, err;

    fd = open_in_root(root, target, file);
    if (fd < 0)
        return fail(MDK_STEP_MOUNT, errno, "mkdir(%s in rootfs)", target);
    fd_path(path, sizeof path, fd);
    ret = mount(source, path, fstype, flags, data);
    err = errno;
    close(fd);
    if (ret < 0)
        return fail(MDK_STEP_MOUNT, err, "mount(%s -> %s)", source, target);
    return 0;
}

static int make_mounts_private(void)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return fail(MDK_STEP_MOUNT, errno, "mount(/, MS_REC|MS_PRIVATE)");
    return 0;
}

/* In this mount namespace only: it vanishes with the container, so a dead JVM cannot leak it. */
static int mount_overlay(const struct config *c)
{
    if (mount("overlay", c->merged, "overlay", 0, c->overlay_data) < 0)
        return fail(MDK_STEP_MOUNT, errno, "mount(overlay -> %s)", c->merged);
    return 0;
}

static const struct {
    const char *target, *source, *fstype;
    unsigned long flags;
    const char *data;
} system_mounts[] = {
    { "/proc", "proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL },
    { "/sys", "sysfs", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL },
    { "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k" },
    { "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
      "newinstance,ptmxmode=0666,mode=0620,gid=5" },
    { "/dev/shm", "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k" },
    { "/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
};

static const struct {
    const char *name;
    unsigned major, minor;
} devices[] = {
    { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
    { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
    const char *name, *target;
} dev_links[] = {
    { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
    { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },
};

/* The safe device set in the fresh /dev tmpfs (no host device is reachable otherwise). */
static int populate_dev(int root)
{
    size_t i;
    int dev = open_beneath(root, "/dev");

    if (dev < 0)
        return fail(MDK_STEP_MOUNT, errno, "open(/dev in rootfs)");
    for (i = 0; i < sizeof devices / sizeof devices[0]; i++)
        if (mknodat(dev, devices[i].name, S_IFCHR | 0666,
                    makedev(devices[i].major, devices[i].minor)) < 0) {
            fail(MDK_STEP_MOUNT, errno, "mknod(/dev/%s)", devices[i].name);
            goto out;
        }
    for (i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
        if (symlinkat(dev_links[i].target, dev, dev_links[i].name) < 0) {
            fail(MDK_STEP_MOUNT, errno, "symlink(/dev/%s -> %s)", dev_links[i].name,
                 dev_links[i].target);
            goto out;
        }
    close(dev);
    return 0;
out:
    close(dev);
    return -1;
}

static int mount_system(int root, const struct config *c)
{
    unsigned long flags;
    size_t i;
    int ret;

    for (i = 0; i < sizeof system_mounts / sizeof system_mounts[0]; i++) {
        flags = system_mounts[i].flags;
        if ((c->security & MDK_SEC_SYSFS_RW) && strcmp(system_mounts[i].target, "/sys") == 0)
            flags &= ~(unsigned long) MS_RDONLY; /* privileged */
        ret = mount_in_root(root, system_mounts[i].source, system_mounts[i].target, false,
                            system_mounts[i].fstype, flags, system_mounts[i].data);
        if (ret < 0)
            return ret;
    }
    return populate_dev(root);
}

/* The per-mount flags of a read-only remount must keep the source's nosuid/nodev/noexec. */
static unsigned long kept_mount_flags(const struct statvfs *sv)
{
    static const struct { unsigned long st, ms; } map[] = {
        { ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
        { ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME },
        { ST_RELATIME, MS_RELATIME },
    };
    unsigned long flags = 0;
    size_t i;

    for (i = 0; i < sizeof map / sizeof map[0]; i++)
        if (sv->f_flag & map[i].st)
            flags |= map[i].ms;
    return flags;
}

static int mount_bind(int root, const struct bind *b)
{
    struct statvfs sv;
    struct stat st;
    char path[32];
    int fd, ret, err;

    if (stat(b->source, &st) < 0)
        return fail(MDK_STEP_MOUNT, errno, "bind source %s", b->source);
    ret = mount_in_root(root, b->source, b->target, !S_ISDIR(st.st_mode), NULL,
                        MS_BIND | MS_REC, NULL);
    if (ret < 0 || !(b->flags & MDK_BIND_READONLY))
        return ret;
    if (statvfs(b->source, &sv) < 0)
        return fail(MDK_STEP_MOUNT, errno, "statvfs(%s)", b->source);
    fd = open_beneath(root, b->target); /* again: now it resolves to the new bind mount */
    if (fd < 0)
        return fail(MDK_STEP_MOUNT, errno, "open(%s in rootfs)", b->target);
    fd_path(path, sizeof path, fd);
    ret = mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_mount_flags(&sv),
                NULL);
    err = errno;
    close(fd);
    if (ret < 0)
        return fail(MDK_STEP_MOUNT, err, "mount(%s, MS_REMOUNT|MS_RDONLY)", b->target);
    return 0;
}

static int mount_binds(int root, const struct config *c)
{
    size_t i;
    int ret;

    for (i = 0; i < c->nbinds; i++) {
        ret = mount_bind(root, &c->binds[i]);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* --tmpfs: inside the rootfs, resolved like the binds, before pivot_root. */
static int mount_tmpfs(int root, const struct config *c)
{
    size_t i;
    int ret;

    for (i = 0; i < c->ntmpfs; i++) {
        const struct flagged_mount *t = &c->tmpfs[i];

        ret = mount_in_root(root, "tmpfs", t->target, false, "tmpfs", t->flags,
                            t->data[0] != '\0' ? t->data : NULL);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int pivot_into(int root, const struct config *c)
{
    if (fchdir(root) < 0)
        return fail(MDK_STEP_PIVOT_ROOT, errno, "chdir(%s)", c->merged);
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return fail(MDK_STEP_PIVOT_ROOT, errno, "pivot_root(%s)", c->merged);
    if (umount2(".", MNT_DETACH) < 0)
        return fail(MDK_STEP_PIVOT_ROOT, errno, "umount2(old root, MNT_DETACH)");
    if (chdir("/") < 0)
        return fail(MDK_STEP_PIVOT_ROOT, errno, "chdir(/)");
    return 0;
}

/* Everything mounted under merged and the pivot into it: steps b-f. */
static int setup_rootfs(const struct config *c)
{
    int root, ret;

    ret = make_mounts_private();
    if (ret < 0)
        return ret;
    trace("pid1 mounts private");
    ret = mount_overlay(c);
    if (ret < 0)
        return ret;
    trace("pid1 overlay");
    root = open(c->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return fail(MDK_STEP_MOUNT, errno, "open(%s)", c->merged);
    ret = mount_system(root, c);
    trace("pid1 system mounts+dev");
    if (ret == 0)
        ret = mount_binds(root, c);
    if (ret == 0)
        ret = mount_tmpfs(root, c);
    trace("pid1 binds+tmpfs");
    if (ret == 0)
        ret = pivot_into(root, c);
    close(root);
    return ret;
}

/*
 * After pivot_root, in the container's own /proc and /sys (fresh mounts the image cannot
 * shape): Docker's masked paths. A file is hidden under /dev/null, a directory under an empty
 * read-only tmpfs; a path this kernel lacks is skipped.
 */
static int mask_path(const char *path)
{
    struct stat st;
    int ret;

    /* stat first: a failed bind of a file over a directory costs more than the lookup */
    if (stat(path, &st) < 0)
        return errno == ENOENT ? 0 : fail(MDK_STEP_MOUNT, errno, "stat(%s)", path);
    if (S_ISDIR(st.st_mode))
        ret = mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    else
        ret = mount("/dev/null", path, NULL, MS_BIND, NULL);
    if (ret < 0 && errno != ENOENT) /* ENOENT: gone since the stat (a process's /proc entry) */
        return fail(MDK_STEP_MOUNT, errno, "mount(mask over %s)", path);
    return 0;
}

/* Docker's read-only paths: bound onto themselves, then remounted read-only. */
static int readonly_path(const char *path)
{
    struct statvfs sv;

    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return errno == ENOENT ? 0 : fail(MDK_STEP_MOUNT, errno, "mount(%s, MS_BIND)", path);
    if (statvfs(path, &sv) < 0)
        return fail(MDK_STEP_MOUNT, errno, "statvfs(%s)", path);
    if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_mount_flags(&sv), NULL) < 0)
        return fail(MDK_STEP_MOUNT, errno, "mount(%s, MS_REMOUNT|MS_RDONLY)", path);
    return 0;
}

static int protect_paths(const struct config *c)
{
    size_t i;

    for (i = 0; i < c->nmasked; i++)
        if (mask_path(c->masked[i]) < 0)
            return -1;
    for (i = 0; i < c->nreadonly; i++)
        if (readonly_path(c->readonly[i]) < 0)
            return -1;
    return 0;
}

/* --read-only: after everything that writes the rootfs (mount points, the working directory). */
static int readonly_rootfs(const struct config *c)
{
    struct statvfs sv;

    if (!(c->security & MDK_SEC_READONLY_ROOTFS))
        return 0;
    if (statvfs("/", &sv) < 0)
        return fail(MDK_STEP_MOUNT, errno, "statvfs(/)");
    if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_mount_flags(&sv), NULL) < 0)
        return fail(MDK_STEP_MOUNT, errno, "mount(/, MS_REMOUNT|MS_RDONLY)");
    return 0;
}

/* While pid 1 still has CAP_SYS_RESOURCE, so a hard limit above the runtime's own is possible. */
static int set_rlimits(const struct config *c)
{
    size_t i;

    for (i = 0; i < c->nrlimits; i++)
        if (setrlimit((rlimit_resource) c->rlimits[i].resource, &c->rlimits[i].limit) < 0)
            return fail(MDK_STEP_RLIMIT, errno, "setrlimit(%u, %llu:%llu)", c->rlimits[i].resource,
                        (unsigned long long) c->rlimits[i].limit.rlim_cur,
                        (unsigned long long) c->rlimits[i].limit.rlim_max);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Container pid 1: identity                                                                 */

static int unshare_cgroup(const struct config *c)
{
    if ((c->nsflags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
        return fail(MDK_STEP_NAMESPACE, errno, "unshare(CLONE_NEWCGROUP)");
    return 0;
}

/*
 * Before GO, after pivot_root: the mount points of the v1 hierarchies, in a tmpfs on the
 * container's fresh /sys/fs/cgroup (nothing of the image's), read-only once made. A lone cgroup2
 * mounts straight onto /sys/fs/cgroup and needs none.
 */
static int prepare_cgroupfs(const struct config *c)
{
    const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    char link[NAME_MAX + 1];
    const char *name, *part, *comma;
    size_t i;

    if (c->ncgroupfs == 0 || *cgroupfs_name(c->cgroupfs[0].target) == '\0')
        return 0;
    if (mount("tmpfs", CGROUPFS_ROOT, "tmpfs", flags, "mode=755,size=64k") < 0)
        return fail(MDK_STEP_MOUNT, errno, "mount(tmpfs -> %s)", CGROUPFS_ROOT);
    for (i = 0; i < c->ncgroupfs; i++) {
        if (mkdir(c->cgroupfs[i].target, 0555) < 0)
            return fail(MDK_STEP_MOUNT, errno, "mkdir(%s)", c->cgroupfs[i].target);
        name = cgroupfs_name(c->cgroupfs[i].target);
        if (strchr(name, ',') == NULL)
            continue; /* one controller: the directory has its name */
        for (part = name; *part != '\0'; part = *comma != '\0' ? comma + 1 : comma) {
            comma = strchrnul(part, ',');
            if ((size_t) (comma - part) >= sizeof link - strlen(CGROUPFS_ROOT) - 1)
                return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: CGROUPFS %s", name);
            snprintf(link, sizeof link, "%s/%.*s", CGROUPFS_ROOT, (int) (comma - part), part);
            if (symlink(name, link) < 0 && errno != EEXIST)
                return fail(MDK_STEP_MOUNT, errno, "symlink(%s -> %s)", link, name);
        }
    }
    if (mount(NULL, CGROUPFS_ROOT, NULL, MS_REMOUNT | MS_RDONLY | flags, NULL) < 0)
        return fail(MDK_STEP_MOUNT, errno, "remount(%s, read-only)", CGROUPFS_ROOT);
    return 0;
}

/* After GO, in the new cgroup namespace: each mount's root is the container's own cgroup. */
static int mount_cgroupfs(const struct config *c)
{
    size_t i;

    for (i = 0; i < c->ncgroupfs; i++) {
        const struct flagged_mount *m = &c->cgroupfs[i];
        const char *fstype = m->data[0] != '\0' ? "cgroup" : "cgroup2";

        if (mount(fstype, m->target, fstype, m->flags, m->data[0] != '\0' ? m->data : NULL) < 0)
            return fail(MDK_STEP_MOUNT, errno, "mount(%s %s -> %s)", fstype, m->data, m->target);
    }
    return 0;
}

static int set_hostname(const struct config *c)
{
    if (c->hostname != NULL && sethostname(c->hostname, strlen(c->hostname)) < 0)
        return fail(MDK_STEP_HOSTNAME, errno, "sethostname(%s)", c->hostname);
    return 0;
}

/* After pivot_root: symlinks resolve inside the container. */
static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    size_t i, n = strlen(path);

    if (n >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -1;
        buf[i] = path[i];
    }
    return 0;
}

/* Like Docker: a missing working directory is created. */
static int enter_cwd(const struct config *c)
{
    if (c->cwd == NULL || chdir(c->cwd) == 0)
        return 0;
    if (errno != ENOENT)
        return fail(MDK_STEP_CWD, errno, "chdir(%s)", c->cwd);
    if (mkdir_p(c->cwd) < 0)
        return fail(MDK_STEP_CWD, errno, "mkdir(%s)", c->cwd);
    if (chdir(c->cwd) < 0)
        return fail(MDK_STEP_CWD, errno, "chdir(%s)", c->cwd);
    return 0;
}

/* Die with the monitor. Armed again after setuid, which clears it. */
static void arm_parent_death(int sock)
{
    struct pollfd p = { sock, POLLIN, 0 };

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (poll(&p, 1, 0) > 0 && (p.revents & POLLHUP)) /* the monitor died before prctl */
        _exit(1);
}

/*
 * The highest capability this kernel knows (PR_CAPBSET_READ fails past it). Found by pid 1
 * before the command's process is made, so that process only reads it.
 */
static int last_cap = -1;

static void find_last_cap(void)
{
    int cap;

    for (cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
        ;
    last_cap = cap - 1;
}

static uint64_t valid_caps(uint64_t set)
{
    return last_cap >= 63 ? set : set & ((UINT64_C(1) << (last_cap + 1)) - 1);
}

/* Bounding set first: dropping needs CAP_SETPCAP, which the root we still are has. */
static int drop_bounding(const struct config *c)
{
    int cap;

    for (cap = 0; cap <= last_cap; cap++)
        if (!(c->caps[CAPS_BOUNDING] & (UINT64_C(1) << cap))
            && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            return fail(MDK_STEP_CAPABILITIES, errno, "prctl(PR_CAPBSET_DROP, %d)", cap);
    return 0;
}

/*
 * The runtime's own permitted set, read before the user changes (a non-root user's would be
 * empty): "privileged" (a bounding set of all ones) means every capability mdocker holds; an
 * explicit set asking for one mdocker lacks is an error that names it.
 */
static uint64_t runtime_caps;

static void find_runtime_caps(void)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];

    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &h, d) == 0)
        runtime_caps = d[0].permitted | (uint64_t) d[1].permitted << 32;
}

static int set_capabilities(const struct config *c)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    bool all = c->caps[CAPS_BOUNDING] == UINT64_MAX;
    uint64_t held = all ? runtime_caps : UINT64_MAX;
    uint64_t e = valid_caps(c->caps[CAPS_EFFECTIVE]) & held, p = valid_caps(c->caps[CAPS_PERMITTED]) & held;
    uint64_t i = valid_caps(c->caps[CAPS_INHERITABLE]) & held, a = valid_caps(c->caps[CAPS_AMBIENT]) & held;
    uint64_t missing = (e | p | i) & ~runtime_caps;
    int cap;

    if (missing != 0)
        return fail(MDK_STEP_CAPABILITIES, EPERM, "capabilities %#llx asked for, but mdocker itself "
                    "runs without them (its permitted set is %#llx)", (unsigned long long) missing,
                    (unsigned long long) runtime_caps);

    d[0].effective = (uint32_t) e;
    d[1].effective = (uint32_t) (e >> 32);
    d[0].permitted = (uint32_t) p;
    d[1].permitted = (uint32_t) (p >> 32);
    d[0].inheritable = (uint32_t) i;
    d[1].inheritable = (uint32_t) (i >> 32);
    if (syscall(SYS_capset, &h, d) < 0)
        return fail(MDK_STEP_CAPABILITIES, errno, "capset(effective=%#llx, permitted=%#llx)",
                    (unsigned long long) e, (unsigned long long) p);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && a != 0)
        return fail(MDK_STEP_CAPABILITIES, errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
    for (cap = 0; cap <= last_cap; cap++)
        if ((a & (UINT64_C(1) << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            return fail(MDK_STEP_CAPABILITIES, errno, "prctl(PR_CAP_AMBIENT_RAISE, %d)", cap);
    return 0;
}

/*
 * Supplementary groups, gid, uid. A non-root user keeps the permitted set across setuid with
 * PR_SET_KEEPCAPS, so that capset can then set exactly the sets asked for (exec itself clears a
 * non-root process's permitted set, as it does under Docker: only ambient ones would survive).
 */
static int set_user(const struct config *c, int sock)
{
    bool keep = c->has_caps && c->uid != 0;

    if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return fail(MDK_STEP_USER, errno, "prctl(PR_SET_KEEPCAPS)");
    if (setgroups(c->ngroups, c->groups) < 0)
        return fail(MDK_STEP_USER, errno, "setgroups(%zu groups)", c->ngroups);
    if (setgid(c->gid) < 0)
        return fail(MDK_STEP_USER, errno, "setgid(%u)", c->gid);
    if (setuid(c->uid) < 0)
        return fail(MDK_STEP_USER, errno, "setuid(%u)", c->uid);
    if (keep && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return fail(MDK_STEP_USER, errno, "prctl(PR_SET_KEEPCAPS, 0)");
    if (sock >= 0)
        arm_parent_death(sock); /* setuid cleared it */
    return 0;
}

static int install_seccomp(const struct config *c)
{
    if (c->seccomp.len == 0)
        return 0;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &c->seccomp) < 0)
        return fail(MDK_STEP_SECCOMP, errno, "seccomp(SECCOMP_SET_MODE_FILTER, %u instructions)",
                    c->seccomp.len);
    return 0;
}

/*
 * The command's identity and confinement, in the process that execs it, right before execve:
 * bounding set, user and groups, capabilities, no_new_privs, seccomp. Without no_new_privs the
 * kernel accepts a filter only from a CAP_SYS_ADMIN holder, so then the filter goes first, while
 * this process is still the runtime's root (the profile must allow the calls that follow, as
 * Docker's does). sock >= 0: pid 1 is this process (INIT=0) and re-arms its parent-death signal.
 */
static int enter_identity(const struct config *c, int sock)
{
    bool nnp = c->security & MDK_SEC_NO_NEW_PRIVS;

    if (!nnp && install_seccomp(c) < 0)
        return -1;
    if (c->has_caps && drop_bounding(c) < 0)
        return -1;
    if (set_user(c, sock) < 0)
        return -1;
    if (c->has_caps && set_capabilities(c) < 0)
        return -1;
    if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return fail(MDK_STEP_NO_NEW_PRIVS, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
    trace("cmd bounding,user,caps,nnp");
    if (nnp && install_seccomp(c) < 0)
        return -1;
    trace("cmd seccomp");
    return 0;
}

/* Steps a-i, in the order the kernel needs them. */
static int setup_container(const struct config *c)
{
    int ret;

    umask(0); /* modes below are exact; the command gets Docker's 022 */
    ret = setup_rootfs(c);
    if (ret < 0)
        return ret;
    trace("pid1 rootfs+pivot");
    ret = protect_paths(c);
    if (ret < 0)
        return ret;
    ret = prepare_cgroupfs(c);
    if (ret < 0)
        return ret;
    trace("pid1 masked+ro paths, cgroupfs mount points");
    ret = set_hostname(c);
    if (ret < 0)
        return ret;
    ret = enter_cwd(c);
    if (ret < 0)
        return ret;
    ret = readonly_rootfs(c);
    if (ret < 0)
        return ret;
    ret = set_rlimits(c);
    if (ret < 0)
        return ret;
    find_last_cap();
    find_runtime_caps();
    trace("pid1 hostname,cwd,rlimits,caps");
    umask(022);
    return 0; /* user, capabilities, no_new_privs, seccomp: enter_identity, before exec */
}

/* ---------------------------------------------------------------------------------------- */
/* Container pid 1: exec and init                                                           */

static const int forwarded_signals[] = {
    SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
};

static void reset_signals(void)
{
    struct sigaction sa = { .sa_handler = SIG_DFL };
    sigset_t none;
    int sig;

    for (sig = 1; sig < _NSIG; sig++)
        sigaction(sig, &sa, NULL); /* SIGKILL, SIGSTOP and glibc's own fail: fine */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static const char *env_path(char *const envp[])
{
    for (; *envp != NULL; envp++)
        if (strncmp(*envp, "PATH=", 5) == 0)
            return *envp + 5;
    return DEFAULT_PATH;
}

/* execvp with the container's PATH and environment; returns the errno that counts. */
static int exec_search(char *const argv[], char *const envp[])
{
    const char *file = argv[0], *dir, *end;
    bool eacces = false;
    char buf[PATH_MAX];
    int n;

    if (strchr(file, '/') != NULL) {
        execve(file, argv, envp);
        return errno;
    }
    if (file[0] == '\0')
        return ENOENT;
    for (dir = env_path(envp);; dir = end + 1) {
        end = strchrnul(dir, ':');
        n = snprintf(buf, sizeof buf, "%.*s%s%s", (int) (end - dir), dir,
                     end == dir ? "" : "/", file);
        if (n > 0 && (size_t) n < sizeof buf) {
            execve(buf, argv, envp);
            switch (errno) {
            case EACCES:
                eacces = true;
                break;
            case ENOENT: case ENOTDIR: case ESTALE: case ENODEV: case ETIMEDOUT:
                break;
            default:
                return errno;
            }
        }
        if (*end == '\0')
            return eacces ? EACCES : ENOENT;
    }
}

/*
 * Leaves only fds 0-2 open across exec (CLOSE_RANGE_CLOEXEC: the sync socket stays usable
 * until exec succeeds; a leaked host fd is the CVE-2024-21626 shape), takes on the command's
 * identity and confinement, and execs. Returns only on failure, with last_error set.
 */
static int exec_command(const struct config *c, int sock)
{
    trace("cmd vforked");
    reset_signals();
    if (tty_slave >= 0 && attach_tty(tty_slave) < 0)
        return -1;
    if (close_fd_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        return fail(MDK_STEP_EXEC, errno, "close_range(3.., CLOSE_RANGE_CLOEXEC)");
    if (enter_identity(c, sock) < 0)
        return -1;
    return fail(MDK_STEP_EXEC, exec_search(c->argv, c->envp), "%s", c->argv[0]);
}

/* Docker's exit codes: 127 not found, 126 cannot execute, 125 the container could not start. */
static int failure_exit_code(void)
{
    if (last_error.step != MDK_STEP_EXEC)
        return EXIT_SETUP;
    return last_error.err == ENOENT ? 127 : 126;
}

/* INIT=0: the command becomes pid 1. */
static void __attribute__((noreturn)) exec_as_pid1(const struct config *c, int sock)
{
    /*
     * sync 4 (pid 1 side): STARTED here only says "exec comes next"; the monitor holds it
     * until a successful exec closes sock (CLOEXEC), and drops it if ERROR follows instead.
     */
    send_msg(sock, MDK_MSG_STARTED, NULL, 0);
    exec_command(c, sock);
    send_error(sock);
    _exit(failure_exit_code());
}

/*
 * pid 1 of a PID namespace: forward signals, reap everything, exit like the command.
 * SIGINT and SIGQUIT go to the command's whole process group, as a terminal sends Ctrl-C and
 * Ctrl-\ to its foreground group (so `sleep` under a shell stops too); the rest go to the
 * command alone, as tini and `docker run --init` do.
 */
static void __attribute__((noreturn)) reap_loop(pid_t command, const sigset_t *set, int sock)
{
    siginfo_t si;
    pid_t pid;
    int sig, status, code;

    for (;;) {
        sig = sigwaitinfo(set, &si);
        if (sig < 0)
            continue;
        if (sig != SIGCHLD) {
            kill(sig == SIGINT || sig == SIGQUIT ? -command : command, sig);
            continue;
        }
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid != command)
                continue;
            trace_who("pid1 reaped command (faults: command's)", RUSAGE_CHILDREN);
            code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            /* sync 5, early: the JVM has the result while the kernel ends the namespaces */
            send_pair(sock, MDK_MSG_EXIT, code, 0);
            _exit(code);
        }
    }
}

/*
 * INIT=1: start the command with vfork, so pid 1 does not pay for copying its page tables
 * (a fork is the dearest step here), then stay as init. vfork suspends pid 1 until the child
 * has exec'd or exited, and the child shares its memory: on failure it leaves last_error and
 * sets child_failed, which pid 1 reads once vfork returns. The child's credentials, seccomp
 * filter, signal dispositions and descriptor table are its own (vfork shares none of them).
 */
static volatile bool child_failed;

/*
 * pid 1 once the command runs: it only waits, reaps and forwards signals. It keeps CAP_KILL
 * (the command may run as another user) and nothing else, and takes no_new_privs. It is not
 * dumpable (set before the vfork), so the container cannot ptrace it or open its /proc files.
 */
static void reduce_pid1(const struct config *c)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];

    if (!c->has_caps)
        return;
    memset(d, 0, sizeof d);
    d[0].effective = d[0].permitted = UINT32_C(1) << CAP_KILL;
    syscall(SYS_capset, &h, d); /* a failure leaves pid 1 as privileged as before, no worse */
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static void __attribute__((noreturn)) run_init(const struct config *c, int sock)
{
    sigset_t set;
    pid_t command;
    size_t i;

    /* pid 1 ignores unhandled signals from outside: block them and take them synchronously */
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    for (i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
        sigaddset(&set, forwarded_signals[i]);
    sigprocmask(SIG_BLOCK, &set, NULL);

    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    child_failed = false;
    trace("pid1 vfork");
    command = vfork();
    if (command < 0) {
        fail(MDK_STEP_FORK, errno, "vfork(%s)", c->argv[0]);
        send_error(sock);
        _exit(EXIT_SETUP);
    }
    if (command == 0) {
        if (tty_slave < 0)
            setpgid(0, 0); /* the command leads a process group of its own: see reap_loop */
        exec_command(c, -1); /* with a terminal: a session of its own (attach_tty) */
        child_failed = true;
        _exit(failure_exit_code());
    }

    trace("pid1 vfork returned (exec done)");
    /* sync 4 (pid 1 side): STARTED, or ERROR(step); then pid 1 leaves the protocol */
    if (child_failed)
        send_error(sock);
    else
        send_msg(sock, MDK_MSG_STARTED, NULL, 0);
    /* the container's stdio reaches its end-of-file once the command's side closes it */
    close_fd_range(0, 2, 0);
    if (tty_slave >= 0)
        close(tty_slave);
    reduce_pid1(c);
    trace("pid1 STARTED sent, reduced");
    reap_loop(command, &set, sock);
}

/* sync 3 (pid 1 side): nothing happens in the container before GO. */
static void wait_for_go(int sock)
{
    unsigned char buf[64];
    struct mdk_header h;
    ssize_t n = recv_datagram(sock, buf, sizeof buf, 0);

    if (n <= 0 || parse_header(buf, (size_t) n, &h) < 0 || h.type != MDK_MSG_GO)
        _exit(1); /* the monitor is gone, or is not ours */
}

/*
 * Detached: the container's stdio are files (CONFIG's STDOUT/STDERR, /dev/null for stdin). pid 1
 * opens them as CONFIG comes, before its mounts (the paths are the host's): it was cloned before
 * the CONFIG existed, so it cannot inherit them from the monitor, and the pipes it had from a
 * pooled monitor just see their end-of-file.
 */
static int open_stdio_files(const struct config *c)
{
    const char *paths[3] = { "/dev/null", c->stdout_file, c->stderr_file };
    int fd, target;

    for (target = 0; target < 3; target++) {
        if (paths[target] == NULL)
            continue;
        fd = target == 0 ? open(paths[0], O_RDONLY | O_CLOEXEC)
                         : open(paths[target], O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
        if (fd < 0)
            return fail(MDK_STEP_STDIO, errno, "open(%s)", paths[target]);
        if (dup2(fd, target) < 0) {
            close(fd);
            return fail(MDK_STEP_STDIO, errno, "dup2(%s, %d)", paths[target], target);
        }
        close(fd);
    }
    return 0;
}

/*
 * pid 1, cloned before its CONFIG exists: it waits for the CONFIG the monitor checked and
 * relays (sync 2), builds the container's filesystem while the JVM puts it into its cgroups,
 * and starts nothing of the user's before GO (sync 3).
 */
static void __attribute__((noreturn)) container_main(int sock)
{
    static struct config c;

    /* keep 0-2 (container stdio) and sock; drop fd 3 and the monitor's end */
    if (sock > 3)
        close_fd_range(3, (unsigned) sock - 1, 0);
    close_fd_range((unsigned) sock + 1, ~0U, 0);
    arm_parent_death(sock);
    setsid(); /* out of the JVM's session: its terminal's job control must not reach here */
    prefault_for_config();
    trace("pid1 running");

    if (receive_config(sock, &c, MDK_MSG_CONFIG) < 0)
        _exit(1); /* the monitor is gone (it checked this CONFIG before relaying it) */
    trace("pid1 CONFIG");
    if ((c.exit_file != NULL && open_stdio_files(&c) < 0) || setup_container(&c) < 0) {
        /* sync 4 (pid 1 side): setup failed */
        send_error(sock);
        _exit(EXIT_SETUP);
    }
    wait_for_go(sock);
    trace("pid1 GO");
    if (unshare_cgroup(&c) < 0 || mount_cgroupfs(&c) < 0 /* once its cgroups are final: they become its root */
        || ((c.tags & TAG(MDK_T_TTY)) && open_tty(&c, sock) < 0)) {
        send_error(sock);
        _exit(EXIT_SETUP);
    }
    if (c.init)
        run_init(&c, sock);
    exec_as_pid1(&c, sock);
}

/* ---------------------------------------------------------------------------------------- */
/* Monitor                                                                                   */

struct monitor {
    pid_t pid;  /* host pid of container pid 1: never reaped before sync 5, so kill() is safe */
    int pidfd;
    int sock;   /* our end of the socketpair with pid 1; -1 after EOF */
    bool init;
    bool go_sent, exec_next, error_seen, started_sent, exit_sent;
    bool may_reap; /* GO relayed, or pid 1 killed by us: until then pid 1 stays a zombie if it
                      dies, so that the pid the JVM writes into cgroup.procs is never reused */
    const char *devcgroup; /* CONFIG's DEVCGROUP: the device program goes there at GO */
    const char *exit_file; /* detached: where pid 1's exit status goes; else NULL */
    int32_t exit_code, exit_signal; /* pid 1's own EXIT, once exit_sent */
    struct proxy *proxy; /* PUBLISH's ports, or NULL */
    bool tty; /* CONFIG has TTY: pid 1 sends the terminal's master (TTY), relayed to the JVM */
};

static int attach_device_filter(const char *cgroup);

/* clone3 into the new namespaces (CLONE_NEWCGROUP waits for GO); fork-like, no new stack. */
static pid_t clone_container(uint64_t nsflags, int *pidfd)
{
    uint64_t flags = nsflags & ~(uint64_t) CLONE_NEWCGROUP;
    struct clone_args args;
    pid_t pid;
    int err;

    memset(&args, 0, sizeof args);
    args.flags = flags | CLONE_PIDFD;
    args.pidfd = (uint64_t) (uintptr_t) pidfd;
    args.exit_signal = SIGCHLD;
    pid = (pid_t) syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0 && errno == ENOSYS) { /* clone3 filtered (seccomp) or a pre-5.3 kernel */
        pid = (pid_t) syscall(SYS_clone, (unsigned long) flags | SIGCHLD, 0, 0, 0, 0);
        if (pid > 0) {
            *pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
            if (*pidfd < 0) {
                err = errno;
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return fail(MDK_STEP_CLONE, err, "pidfd_open(%d)", pid);
            }
        }
    }
    if (pid < 0)
        return fail(MDK_STEP_CLONE, errno, "clone3(flags=%#llx)", (unsigned long long) flags);
    return pid;
}

/* Relays one message of pid 1 to the JVM: 1 relayed, 0 EOF, -1 nothing pending. */
static int relay_from_container(struct monitor *m, int flags)
{
    struct mdk_header h;
    ssize_t n = m->tty ? recv_relaying_tty(m->sock, msgbuf, sizeof msgbuf, flags)
                       : recv_datagram(m->sock, msgbuf, sizeof msgbuf, flags);

    if (n < 0 && errno == EAGAIN)
        return -1;
    if (n <= 0) {
        close(m->sock);
        m->sock = -1;
        /* sync 4 (INIT=0): exec closed pid 1's end after "exec comes next" and no ERROR */
        if (m->exec_next && !m->error_seen && !m->started_sent) {
            m->started_sent = true;
            send_msg(MDK_SYNC_FD, MDK_MSG_STARTED, NULL, 0);
        }
        return 0;
    }
    if (parse_header(msgbuf, (size_t) n, &h) < 0
        || (h.type != MDK_MSG_ERROR && h.type != MDK_MSG_STARTED && h.type != MDK_MSG_EXIT))
        return 1; /* not ours to relay */
    if (h.type == MDK_MSG_EXIT) { /* sync 5 (monitor side), early: relayed verbatim */
        if (h.length != 2 * sizeof(int32_t))
            return 1;
        m->exit_sent = true;
        memcpy(&m->exit_code, msgbuf + sizeof h, sizeof m->exit_code);
        memcpy(&m->exit_signal, msgbuf + sizeof h + sizeof m->exit_code, sizeof m->exit_signal);
        send(MDK_SYNC_FD, msgbuf, (size_t) n, MSG_NOSIGNAL);
        return 1;
    }
    if (h.type == MDK_MSG_STARTED && !m->init) {
        m->exec_next = true; /* INIT=0: wait for EOF (exec) or ERROR */
        return 1;
    }
    if (h.type == MDK_MSG_ERROR)
        m->error_seen = true;
    else
        m->started_sent = true;
    /* sync 4 (monitor side): relayed verbatim */
    send(MDK_SYNC_FD, msgbuf, (size_t) n, MSG_NOSIGNAL);
    trace("monitor STARTED relayed");
    return 1;
}

/* A message from the JVM. Returns -1 when the JVM is gone (EOF or error on fd 3). */
static int handle_jvm_message(struct monitor *m)
{
    struct mdk_header h;
    int32_t sig;
    ssize_t n = recv_datagram(MDK_SYNC_FD, msgbuf, sizeof msgbuf, 0);

    if (n == 0 || (n < 0 && errno != EMSGSIZE))
        return -1;
    if (n < 0)
        fail(MDK_STEP_PROTOCOL, EPROTO, "message larger than %d bytes", MDK_MAX_MESSAGE);
    else if (parse_header(msgbuf, (size_t) n, &h) == 0) {
        if (h.type == MDK_MSG_GO && h.length == 0 && !m->go_sent) {
            /* sync 3 (monitor side): relay GO to pid 1 */
            m->go_sent = true;
            m->may_reap = true;
            trace("monitor GO");
            /* the container's v2 cgroup exists by GO (the JVM makes it while pid 1 mounts) */
            if (m->devcgroup != NULL && attach_device_filter(m->devcgroup) < 0) {
                send_error(MDK_SYNC_FD); /* sync 4: ERROR; EXIT follows through the pidfd */
                kill(m->pid, SIGKILL);
                return 0;
            }
            if (m->sock >= 0)
                send_msg(m->sock, MDK_MSG_GO, NULL, 0);
            return 0;
        }
        if (h.type == MDK_MSG_SIGNAL && h.length == sizeof sig) {
            memcpy(&sig, msgbuf + sizeof h, sizeof sig);
            if (sig > 0 && sig < _NSIG) {
                kill(m->pid, sig);
                m->may_reap = true; /* a JVM that signals has left the setup (close before GO) */
                return 0;
            }
            fail(MDK_STEP_PROTOCOL, EINVAL, "SIGNAL %d", sig);
        } else {
            fail(MDK_STEP_PROTOCOL, EPROTO, "unexpected message type %u, length %u%s", h.type,
                 h.length, h.type == MDK_MSG_GO && m->go_sent ? " (GO again)" : "");
        }
    }
    /* a broken peer: report and end the container; EXIT follows through the pidfd */
    send_error(MDK_SYNC_FD);
    kill(m->pid, SIGKILL);
    m->may_reap = true;
    return 0;
}

/*
 * Published ports (PUBLISH, FORWARD): at the end of this file, in a section of their own that
 * build-init.sh links as a segment of its own, away from the code every monitor and pid 1 runs:
 * the kernel maps a whole cached window of a mapping at the first fault (fault-around), so an
 * idle container's helpers are charged for all of the main text segment (issue 6: helper RSS),
 * and a container without published ports must not pay for this code.
 */
#define PROXY_CODE __attribute__((section("mdk_proxy"), noinline))
struct proxy;
static PROXY_CODE int receive_publish(struct proxy **out);
static PROXY_CODE int set_forward(struct proxy *p, const struct config *c);
static PROXY_CODE nfds_t proxy_pollfds(struct proxy *p, const struct pollfd monitor[3], bool serving);
static PROXY_CODE void proxy_serve(struct proxy *p);
static PROXY_CODE struct pollfd *proxy_pfds(struct proxy *p);

/*
 * Detached: "CODE SIGNAL\n" into the DETACH file, complete or not at all (a temporary file
 * renamed into place). A failure (a full disk) leaves no file: the exit status is unknown.
 */
static void write_exit_file(const char *path, int code, int sig)
{
    char tmp[PATH_MAX], text[32];
    int fd, n = snprintf(text, sizeof text, "%d %d\n", code, sig);

    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int) sizeof tmp)
        return;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (write(fd, text, (size_t) n) != n || close(fd) < 0 || rename(tmp, path) < 0)
        unlink(tmp);
}

/* sync 5 (monitor side): what pid 1 still had to say, then how it ended. */
static int report_exit(struct monitor *m)
{
    int status = 0, code, sig;

    trace("monitor pidfd readable");
    while (m->sock >= 0 && relay_from_container(m, MSG_DONTWAIT) > 0)
        ;
    while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR)
        ;
    trace_who("monitor reaped pid1 (faults: pid1's+command's)", RUSAGE_CHILDREN);
    trace_dump();
    if (m->exit_sent) { /* pid 1 reported its command's end already (relayed) */
        code = m->exit_code;
        sig = m->exit_signal;
    } else {
        sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        code = sig ? 128 + sig : WEXITSTATUS(status);
    }
    if (m->exit_file != NULL && m->started_sent)
        write_exit_file(m->exit_file, code, sig);
    if (!m->exit_sent)
        send_pair(MDK_SYNC_FD, MDK_MSG_EXIT, code, sig);
    return 0;
}

/*
 * Detached, after STARTED: the JVM has gone (or let the container go). fd 3 becomes /dev/null,
 * so that nothing this process opens later can take its number and receive EXIT.
 */
static void leave_jvm(void)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

    if (fd >= 0) {
        dup2(fd, MDK_SYNC_FD);
        close(fd);
    }
}

static int monitor_loop(struct monitor *m)
{
    struct pollfd fds[3] = {
        { MDK_SYNC_FD, POLLIN, 0 }, { m->sock, POLLIN, 0 }, { m->may_reap ? m->pidfd : -1, POLLIN, 0 },
    };
    struct proxy *p = m->proxy;

    for (;;) {
        if (poll(p != NULL ? proxy_pfds(p) : fds, p != NULL ? proxy_pollfds(p, fds, m->started_sent) : 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p != NULL) {
            memcpy(fds, proxy_pfds(p), sizeof fds);
            proxy_serve(p);
        }
        /* pid 1's messages first, so that STARTED/ERROR always precede EXIT */
        if (fds[1].revents && relay_from_container(m, MSG_DONTWAIT) == 0)
            fds[1].fd = -1;
        if (fds[2].revents && m->may_reap)
            return report_exit(m);
        if (fds[0].revents && handle_jvm_message(m) < 0) {
            if (m->exit_file == NULL || !m->started_sent)
                break;
            leave_jvm(); /* detached: the container outlives the JVM */
            fds[0].fd = -1;
        }
        fds[2].fd = m->may_reap ? m->pidfd : -1; /* a dead pid 1 waits (a zombie) for GO */
    }
    /* the JVM is gone: nobody wants this container any more */
    kill(m->pid, SIGKILL);
    waitpid(m->pid, NULL, 0);
    return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* cgroup v2 devices: a BPF_PROG_TYPE_CGROUP_DEVICE program with Docker's default rules       */
/* (DevicesCgroupV1.RULES): creating any c/b node; using c 1:3 1:5 1:7 1:8 1:9 5:0 5:1 5:2     */
/* 136:* 10:200; nothing else. The ctx is struct bpf_cgroup_dev_ctx: access_type (low 16 bits */
/* BPF_DEVCG_DEV_*, high 16 bits BPF_DEVCG_ACC_*), major, minor. Returns 1 allow, 0 deny.    */

enum { DEV_ALLOW = -1, DEV_DENY = -2 }; /* jump targets resolved by build_device_filter */

struct dev_insn {
    struct bpf_insn insn;
    int target; /* DEV_ALLOW, DEV_DENY, or 0: no jump */
};

#define DI_LDX_W(d, o) { { .code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = d, .src_reg = BPF_REG_1, .off = o }, 0 }
#define DI_ALU(op, d, k) { { .code = BPF_ALU64 | op | BPF_K, .dst_reg = d, .imm = k }, 0 }
#define DI_MOVX(d, s) { { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = d, .src_reg = s }, 0 }
#define DI_JEQ(r, k, to) { { .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = r, .imm = k }, to }
#define DI_JNE_SKIP(r, k, n) { { .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = r, .off = n, .imm = k }, 0 }
#define DI_JNE(r, k, to) { { .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = r, .imm = k }, to }

static const struct dev_insn device_filter[] = {
    DI_LDX_W(BPF_REG_2, 0),                       /* access_type */
    DI_LDX_W(BPF_REG_4, 4),                       /* major */
    DI_LDX_W(BPF_REG_5, 8),                       /* minor */
    DI_MOVX(BPF_REG_3, BPF_REG_2),
    DI_ALU(BPF_AND, BPF_REG_3, 0xffff),           /* r3 = type */
    DI_ALU(BPF_RSH, BPF_REG_2, 16),               /* r2 = access */
    DI_MOVX(BPF_REG_6, BPF_REG_2),
    DI_ALU(BPF_AND, BPF_REG_6, ~BPF_DEVCG_ACC_MKNOD),
    DI_JEQ(BPF_REG_6, 0, DEV_ALLOW),              /* "c *:* m", "b *:* m" */
    DI_JNE(BPF_REG_3, BPF_DEVCG_DEV_CHAR, DEV_DENY), /* no block device is ever opened */
    DI_ALU(BPF_AND, BPF_REG_2, ~(BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)),
    DI_JNE(BPF_REG_2, 0, DEV_DENY),               /* rwm and nothing else */
    DI_JEQ(BPF_REG_4, 136, DEV_ALLOW),            /* c 136:* (/dev/pts/N) */
    DI_JNE_SKIP(BPF_REG_4, 1, 5),
    DI_JEQ(BPF_REG_5, 3, DEV_ALLOW),              /* null */
    DI_JEQ(BPF_REG_5, 5, DEV_ALLOW),              /* zero */
    DI_JEQ(BPF_REG_5, 7, DEV_ALLOW),              /* full */
    DI_JEQ(BPF_REG_5, 8, DEV_ALLOW),              /* random */
    DI_JEQ(BPF_REG_5, 9, DEV_ALLOW),              /* urandom */
    DI_JNE_SKIP(BPF_REG_4, 5, 3),
    DI_JEQ(BPF_REG_5, 0, DEV_ALLOW),              /* tty */
    DI_JEQ(BPF_REG_5, 1, DEV_ALLOW),              /* console */
    DI_JEQ(BPF_REG_5, 2, DEV_ALLOW),              /* ptmx */
    DI_JNE(BPF_REG_4, 10, DEV_DENY),
    DI_JEQ(BPF_REG_5, 200, DEV_ALLOW),            /* net/tun */
};
#define DEVICE_FILTER_LEN (sizeof(device_filter) / sizeof(device_filter[0]))

static int bpf_call(int cmd, union bpf_attr *attr)
{
    return (int) syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int attach_device_filter(const char *cgroup)
{
    static struct bpf_insn prog[DEVICE_FILTER_LEN + 4];
    static char log[8192];
    const int deny = DEVICE_FILTER_LEN, allow = DEVICE_FILTER_LEN + 2;
    union bpf_attr attr;
    int progfd, cgfd, err;
    size_t i;

    for (i = 0; i < DEVICE_FILTER_LEN; i++) {
        prog[i] = device_filter[i].insn;
        if (device_filter[i].target != 0)
            prog[i].off = (int16_t) ((device_filter[i].target == DEV_ALLOW ? allow : deny) - (int) i - 1);
    }
    prog[deny] = (struct bpf_insn) { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 };
    prog[deny + 1] = (struct bpf_insn) { .code = BPF_JMP | BPF_EXIT };
    prog[allow] = (struct bpf_insn) { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 };
    prog[allow + 1] = (struct bpf_insn) { .code = BPF_JMP | BPF_EXIT };

    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t) (uintptr_t) prog;
    attr.insn_cnt = DEVICE_FILTER_LEN + 4;
    attr.license = (uint64_t) (uintptr_t) "Apache-2.0";
    progfd = bpf_call(BPF_PROG_LOAD, &attr);
    if (progfd < 0 && errno == EINVAL) { /* once more with the verifier's log, for the message */
        attr.log_buf = (uint64_t) (uintptr_t) log;
        attr.log_size = sizeof(log);
        attr.log_level = 1;
        progfd = bpf_call(BPF_PROG_LOAD, &attr);
    }
    if (progfd < 0) {
        err = errno;
        log[sizeof(log) - 1] = '\0';
        if ((err == EINVAL && log[0] == '\0') || err == ENOSYS)
            return fail(MDK_STEP_DEVICES, err, "bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE): the kernel has "
                        "no cgroup device programs (CONFIG_CGROUP_BPF), so a cgroup v2 host cannot restrict "
                        "the container's devices; only privileged containers run there");
        return fail(MDK_STEP_DEVICES, err, "bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE): %.200s", log);
    }
    cgfd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0) {
        err = errno;
        close(progfd);
        return fail(MDK_STEP_DEVICES, err, "open(%s)", cgroup);
    }
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t) cgfd;
    attr.attach_bpf_fd = (uint32_t) progfd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI; /* a parent's programs keep applying; a child's cannot widen ours */
    if (bpf_call(BPF_PROG_ATTACH, &attr) < 0) {
        err = errno;
        close(cgfd);
        close(progfd);
        return fail(MDK_STEP_DEVICES, err, "bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, %s)", cgroup);
    }
    close(cgfd);
    close(progfd); /* the attachment holds the program until the cgroup goes */
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Join mode: one process started inside a running container (exec)                         */
/*                                                                                            */
/* The joiner stays in the host's PID namespace (setns(CLONE_NEWPID) only places its children) */
/* and outside the container's cgroups: only the exec'd process counts in the container.      */

#define NS_JOINED (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP)

struct joiner {
    int pid1fd;      /* pidfd of the container's pid 1 */
    int *cgroup_fds; /* cgroup.procs of each of the container's cgroups, opened on the host */
    struct stat root; /* pid 1's root directory, as seen before setns */
    struct rlimit limits[RLIMIT_NLIMITS]; /* pid 1's, which its command inherited */
};

static volatile pid_t joined_pid; /* the exec'd process's pid in the container, set by the vfork child */

/* Field `want` (> 2) of /proc/PID/stat (after comm, which may hold spaces and parentheses). */
static int read_stat_field(pid_t pid, int want, uint64_t *out)
{
    char path[64], buf[1024], *p;
    ssize_t n;
    int fd, field;

    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    for (field = 2; p != NULL && field < want; field++) /* p: the space before field + 1 */
        p = strchr(p + 1, ' ');
    if (p == NULL) {
        errno = EPROTO;
        return -1;
    }
    *out = strtoull(p + 1, NULL, 10);
    return 0;
}

/*
 * pid 1 has pivoted into its root before GO (its filesystem is built while the JVM makes its
 * cgroups), but it unshares its cgroup namespace only after GO, once its cgroups are final and
 * the device program is attached; until then it shares its monitor's (its parent's). A joiner
 * must not enter before that: it would get the host's cgroup namespace, or cgroups without
 * their device rules.
 */
static int check_past_go(pid_t pid1)
{
    struct stat own, parents;
    uint64_t ppid;
    char path[64];

    if (read_stat_field(pid1, 4, &ppid) < 0)
        return fail(MDK_STEP_JOIN, ESRCH, "/proc/%d/stat, the container's pid 1", pid1);
    snprintf(path, sizeof path, "/proc/%d/ns/cgroup", pid1);
    if (stat(path, &own) < 0)
        return fail(MDK_STEP_JOIN, errno == ENOENT ? ESRCH : errno, "stat(%s)", path);
    snprintf(path, sizeof path, "/proc/%d/ns/cgroup", (int) ppid);
    if (stat(path, &parents) < 0)
        return fail(MDK_STEP_JOIN, errno == ENOENT ? ESRCH : errno, "stat(%s)", path);
    if (own.st_dev == parents.st_dev && own.st_ino == parents.st_ino)
        return fail(MDK_STEP_JOIN, EAGAIN, "the container's pid 1 (pid %d) has not started its command yet",
                    pid1);
    return 0;
}

/*
 * Pins the container's pid 1 with a pidfd and checks it is the process recorded (its start
 * time), that it has entered its root filesystem (it is no longer the host's), and opens the
 * cgroups to join while the host's cgroupfs is still reachable.
 */
static int find_container(const struct config *c, struct joiner *j)
{
    struct stat host;
    uint64_t start;
    char path[PATH_MAX];
    size_t i;

    j->pid1fd = (int) syscall(SYS_pidfd_open, c->join_pid, 0);
    if (j->pid1fd < 0)
        return fail(MDK_STEP_JOIN, errno == EINVAL ? ESRCH : errno, "pidfd_open(%d), the container's pid 1",
                    c->join_pid);
    /* the pidfd pins the process: a start time that matches now names the recorded one */
    if (read_stat_field(c->join_pid, 22, &start) < 0 || start != c->join_start)
        return fail(MDK_STEP_JOIN, ESRCH, "pid %d is no longer the container's pid 1", c->join_pid);
    snprintf(path, sizeof path, "/proc/%d/root", c->join_pid);
    if (stat(path, &j->root) < 0)
        return fail(MDK_STEP_JOIN, errno == ENOENT ? ESRCH : errno, "stat(%s)", path);
    if (stat("/", &host) < 0)
        return fail(MDK_STEP_JOIN, errno, "stat(/)");
    if (host.st_dev == j->root.st_dev && host.st_ino == j->root.st_ino)
        return fail(MDK_STEP_JOIN, EAGAIN, "the container's pid 1 (pid %d) is still setting up its root "
                    "filesystem", c->join_pid);
    if (check_past_go(c->join_pid) < 0)
        return -1;
    for (i = 0; i < RLIMIT_NLIMITS; i++)
        if (prlimit(c->join_pid, (rlimit_resource) i, NULL, &j->limits[i]) < 0)
            return fail(MDK_STEP_RLIMIT, errno, "prlimit(%d, %zu), the container's pid 1", c->join_pid, i);
    j->cgroup_fds = cfg_alloc(c->ncgroups + 1, sizeof *j->cgroup_fds);
    if (j->cgroup_fds == NULL)
        return fail(MDK_STEP_JOIN, ENOMEM, "%zu cgroups", c->ncgroups);
    for (i = 0; i < c->ncgroups; i++) {
        snprintf(path, sizeof path, "%s/cgroup.procs", c->cgroups[i]);
        j->cgroup_fds[i] = open(path, O_WRONLY | O_CLOEXEC);
        if (j->cgroup_fds[i] < 0)
            return fail(MDK_STEP_JOIN, errno == ENOENT ? ESRCH : errno, "open(%s)", path);
    }
    return 0;
}

/* All of pid 1's namespaces at once; then / must be pid 1's root (pivot_root done). */
static int enter_namespaces(const struct config *c, const struct joiner *j)
{
    struct stat now;

    if (setns(j->pid1fd, NS_JOINED) < 0)
        return fail(MDK_STEP_JOIN, errno, "setns(pidfd of pid %d, mnt|uts|ipc|net|pid|cgroup)", c->join_pid);
    if (stat("/", &now) < 0)
        return fail(MDK_STEP_JOIN, errno, "stat(/) in the container");
    if (now.st_dev != j->root.st_dev || now.st_ino != j->root.st_ino)
        return fail(MDK_STEP_JOIN, EXDEV, "the root of pid %d's mount namespace is not its root directory",
                    c->join_pid);
    return 0;
}

/* Every rlimit of pid 1 (so of its command, whichever JVM started it), then those of CONFIG again. */
static int join_rlimits(const struct config *c, const struct joiner *j)
{
    size_t i;

    for (i = 0; i < RLIMIT_NLIMITS; i++)
        if (setrlimit((rlimit_resource) i, &j->limits[i]) < 0)
            return fail(MDK_STEP_RLIMIT, errno, "setrlimit(%zu, %llu:%llu)", i,
                        (unsigned long long) j->limits[i].rlim_cur, (unsigned long long) j->limits[i].rlim_max);
    return set_rlimits(c);
}

static int join_cgroups(const struct config *c, const struct joiner *j)
{
    size_t i;

    for (i = 0; i < c->ncgroups; i++) /* "0": the writer; its pid here is the container's */
        if (write(j->cgroup_fds[i], "0", 1) < 0)
            return fail(MDK_STEP_JOIN, errno, "write(0 -> %s/cgroup.procs)", c->cgroups[i]);
    return 0;
}

/* Unlike the command's, an exec's working directory must exist (as Docker's exec). */
static int join_cwd(const struct config *c)
{
    if (c->cwd != NULL && chdir(c->cwd) < 0)
        return fail(MDK_STEP_CWD, errno, "chdir(%s)", c->cwd);
    return 0;
}

/*
 * The vfork child, inside the container's namespaces: its cgroups, a session of its own (so a
 * signal reaches the processes it starts too), the working directory, rlimits, then the
 * command's identity and confinement and exec (exec_command). Dies with the joiner.
 */
static void __attribute__((noreturn)) join_child(const struct config *c, const struct joiner *j, int death)
{
    arm_parent_death(death);
    if (join_cgroups(c, j) == 0 && join_cwd(c) == 0 && join_rlimits(c, j) == 0) {
        setsid();
        joined_pid = getpid();
        exec_command(c, death);
    }
    child_failed = true;
    _exit(failure_exit_code());
}

/* After JOINED: relays SIGNAL to the exec'd process's group and reports its EXIT. */
static int join_loop(pid_t child)
{
    struct pollfd fds[2] = { { MDK_SYNC_FD, POLLIN, 0 }, { -1, POLLIN, 0 } };
    struct mdk_header h;
    int32_t sig;
    ssize_t n;
    int status = 0;

    fds[1].fd = (int) syscall(SYS_pidfd_open, child, 0); /* unreaped: the pid cannot be reused */
    while (fds[1].fd >= 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents)
            break;
        if (!fds[0].revents)
            continue;
        n = recv_datagram(MDK_SYNC_FD, msgbuf, sizeof msgbuf, 0);
        if (n == 0 || (n < 0 && errno != EMSGSIZE)) { /* the JVM is gone: so is this process */
            if (kill(-child, SIGKILL) < 0)
                kill(child, SIGKILL);
            break;
        }
        if (n > 0 && parse_header(msgbuf, (size_t) n, &h) == 0 && h.type == MDK_MSG_SIGNAL
            && h.length == sizeof sig) {
            memcpy(&sig, msgbuf + sizeof h, sizeof sig);
            if (sig > 0 && sig < _NSIG && kill(-child, sig) < 0)
                kill(child, sig); /* it left its process group */
            continue;
        }
        fail(MDK_STEP_PROTOCOL, EPROTO, "join mode: unexpected message");
        send_error(MDK_SYNC_FD);
    }
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status))
        send_pair(MDK_SYNC_FD, MDK_MSG_EXIT, 128 + WTERMSIG(status), WTERMSIG(status));
    else
        send_pair(MDK_SYNC_FD, MDK_MSG_EXIT, WEXITSTATUS(status), 0);
    return 0;
}

/* JOIN: enter the container, start the process with vfork (as run_init does), wait for it. */
static int join_main(const struct config *c)
{
    struct joiner j = { .pid1fd = -1 };
    int death[2], status;
    pid_t child;
    size_t i;

    if (find_container(c, &j) < 0 || enter_namespaces(c, &j) < 0) {
        send_error(MDK_SYNC_FD);
        return EXIT_SETUP;
    }
    close(j.pid1fd);
    if ((c->tags & TAG(MDK_T_TTY)) && open_tty(c, MDK_SYNC_FD) < 0) { /* in the container's devpts */
        send_error(MDK_SYNC_FD);
        return EXIT_SETUP;
    }
    /* the container cannot ptrace or read /proc of the child before it has exec'd */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    find_last_cap();
    find_runtime_caps();
    umask(022);
    if (pipe2(death, O_CLOEXEC) < 0) {
        fail(MDK_STEP_FORK, errno, "pipe2");
        send_error(MDK_SYNC_FD);
        return EXIT_SETUP;
    }
    child_failed = false;
    child = vfork();
    if (child == 0) {
        close(death[1]);
        join_child(c, &j, death[0]);
    }
    close(death[0]);
    if (tty_slave >= 0)
        close(tty_slave);
    for (i = 0; i < c->ncgroups; i++)
        close(j.cgroup_fds[i]);
    if (child < 0) {
        fail(MDK_STEP_FORK, errno, "vfork(%s)", c->argv[0]);
        send_error(MDK_SYNC_FD);
        return EXIT_SETUP;
    }
    if (child_failed) {
        send_error(MDK_SYNC_FD);
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
            ;
        return failure_exit_code();
    }
    send_pair(MDK_SYNC_FD, MDK_MSG_JOINED, child, joined_pid);
    return join_loop(child);
}

/* argv[1]: the namespaces of pid 1 as a hexadecimal CLONE_NEW* mask (Spawner passes it). */
static int parse_nsflags_arg(int argc, char **argv, uint64_t *nsflags)
{
    char *end;

    if (argc != 2)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "usage: mdocker-init NSFLAGS|join (%d arguments)", argc - 1);
    errno = 0;
    *nsflags = strtoull(argv[1], &end, 16);
    if (errno != 0 || end == argv[1] || *end != '\0')
        return fail(MDK_STEP_PROTOCOL, EINVAL, "NSFLAGS argument '%.64s' is not a hexadecimal number",
                    argv[1]);
    return check_nsflags("NSFLAGS argument", *nsflags);
}

/* The type of the next message, left unread (-2 at EOF; 0 when it is too short to say). */
static int next_message_type(int fd)
{
    struct mdk_header h;
    ssize_t n;

    do
        n = recv(fd, &h, sizeof h, MSG_PEEK);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return -2;
    return (size_t) n < sizeof h ? 0 : h.type;
}

/* Before GO: the container never ran anything of the user's; pid 1 goes, and the monitor too. */
static int abandon(struct monitor *m, bool report)
{
    if (report)
        send_error(MDK_SYNC_FD);
    kill(m->pid, SIGKILL);
    waitpid(m->pid, NULL, 0);
    return EXIT_SETUP;
}

/* argv[1] "join": a joiner (exec), which clones nothing and waits for JOIN instead of CONFIG. */
static int join_process(struct config *c)
{
    ssize_t n = receive_config(MDK_SYNC_FD, c, MDK_MSG_JOIN);

    if (n == -2)
        return EXIT_SETUP; /* the JVM went away before sending anything */
    if (n < 0) {
        send_error(MDK_SYNC_FD);
        return EXIT_SETUP;
    }
    return join_main(c);
}

int main(int argc, char **argv)
{
    static struct config cfg;
    struct monitor m = { 0 };
    uint64_t nsflags = 0;
    int socks[2], fd;
    ssize_t n;

    close_fd_range(MDK_SYNC_FD + 1, ~0U, 0); /* nothing else from the JVM */
    for (fd = 0; fd < MDK_SYNC_FD; fd++)   /* no socket of ours may land on a stdio number */
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
            return EXIT_SETUP;
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_NAME, "mdocker-init");
    trace_init();
    trace("monitor main");

    if (argc == 2 && strcmp(argv[1], "join") == 0)
        return join_process(&cfg);
    if (parse_nsflags_arg(argc, argv, &nsflags) < 0) {
        send_error(MDK_SYNC_FD);
        return EXIT_SETUP;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0) {
        fail(MDK_STEP_CLONE, errno, "socketpair(AF_UNIX, SOCK_SEQPACKET)");
        send_error(MDK_SYNC_FD);
        return EXIT_SETUP;
    }
    /* pid 1 is made ahead of its CONFIG: the namespaces are ready when the container is asked for */
    m.pid = clone_container(nsflags, &m.pidfd);
    if (m.pid < 0) {
        send_error(MDK_SYNC_FD);
        return EXIT_SETUP;
    }
    if (m.pid == 0)
        container_main(socks[1]);
    close(socks[1]);
    m.sock = socks[0];
    close_fd_range(0, 2, 0); /* pid 1 has the container's stdio: its end-of-file must not wait for us */
    trace("monitor cloned");
    /* sync 1 (monitor side): PID */
    send_msg(MDK_SYNC_FD, MDK_MSG_PID, &(int32_t) { m.pid }, sizeof(int32_t));
    prefault_for_config();

    /* sync 1a (monitor side): the published ports, when there are any */
    n = next_message_type(MDK_SYNC_FD);
    if (n == MDK_MSG_PUBLISH)
        n = receive_publish(&m.proxy);
    if (n < 0)
        return abandon(&m, n == -1);
    /* sync 2 (monitor side): CONFIG, checked here, then relayed to pid 1 */
    n = receive_config(MDK_SYNC_FD, &cfg, MDK_MSG_CONFIG);
    trace("monitor CONFIG parsed");
    if (n == -2)
        return abandon(&m, false); /* the JVM went away (an idle pooled monitor at its exit) */
    if (n >= 0 && cfg.nsflags != nsflags)
        n = fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: NSFLAGS %#llx, but pid 1 was cloned with %#llx",
                 (unsigned long long) cfg.nsflags, (unsigned long long) nsflags);
    if (n >= 0 && ((cfg.tags & TAG(MDK_T_FORWARD)) || m.proxy != NULL) && set_forward(m.proxy, &cfg) < 0)
        n = -1;
    if (n < 0)
        return abandon(&m, true);
    if (send(m.sock, msgbuf, (size_t) n, MSG_NOSIGNAL) < 0) {
        fail(MDK_STEP_PROTOCOL, errno, "relaying CONFIG to pid 1");
        return abandon(&m, true);
    }
    m.init = cfg.init;
    m.tty = cfg.tags & TAG(MDK_T_TTY);
    m.devcgroup = cfg.devcgroup;
    m.exit_file = cfg.exit_file;
    if (m.exit_file != NULL)
        signal(SIGHUP, SIG_IGN); /* a closing terminal of the starting JVM must not end it */
    return monitor_loop(&m);
}

/* ---------------------------------------------------------------------------------------- */
/* Published ports (PUBLISH, FORWARD): the monitor's TCP proxy, for detached containers.     */
/* Nothing here exists in a monitor that got no PUBLISH: the state is mapped when it comes,  */
/* each connection's buffers when it is accepted, and unmapped when it ends.                 */

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
static PROXY_CODE int receive_publish(struct proxy **out)
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
static PROXY_CODE int set_forward(struct proxy *p, const struct config *c)
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
static PROXY_CODE nfds_t proxy_pollfds(struct proxy *p, const struct pollfd monitor[3], bool serving)
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
static PROXY_CODE void proxy_serve(struct proxy *p)
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


static PROXY_CODE struct pollfd *proxy_pfds(struct proxy *p)
{
    return p->pfds;
}

/* ---------------------------------------------------------------------------------------- */
/* Pseudo-terminals (record TTY, Docker's -t): opened inside the container's devpts by the    */
/* process that starts the command (pid 1 after GO, or a joiner), whose master goes to the   */
/* JVM over the sync socket and whose peer becomes the command's controlling terminal.        */

#ifndef TIOCGPTPEER /* Linux 4.13; musl's headers may lack it */
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* ioctl and fstat as raw syscalls: musl's wrappers would land in the main text segment */
#define tty_ioctl(fd, req, arg) ((int) syscall(SYS_ioctl, fd, req, arg))

static TTY_CODE int check_tty(const struct config *c, const char *msg)
{
    if (c->tty[0] == 0 || c->tty[1] == 0 || c->exit_file != NULL)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "%s: TTY of %ux%u%s", msg, c->tty[0], c->tty[1],
                    c->exit_file != NULL ? " with DETACH" : "");
    return 0;
}

/*
 * The monitor's receive from pid 1 when CONFIG has TTY: as recv_datagram, and a descriptor sent
 * along with TTY (the master) is relayed to the JVM (SCM_RIGHTS again) and closed here; one sent
 * with anything else is closed.
 */
static TTY_CODE ssize_t recv_relaying_tty(int sock, void *buf, size_t cap, int flags)
{
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } control;
    struct iovec iov = { buf, cap };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
    struct cmsghdr *cm;
    struct mdk_header h;
    ssize_t n;
    int fd;

    do
        n = recvmsg(sock, &m, flags | MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    cm = n >= 0 ? CMSG_FIRSTHDR(&m) : NULL;
    if (cm != NULL && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS
        && cm->cmsg_len == CMSG_LEN(sizeof fd)) {
        memcpy(&fd, CMSG_DATA(cm), sizeof fd);
        if (parse_header(buf, (size_t) n, &h) == 0 && h.type == MDK_MSG_TTY)
            send_fd(MDK_SYNC_FD, MDK_MSG_TTY, fd);
        close(fd);
    }
    if (n > 0 && (m.msg_flags & MSG_TRUNC)) {
        errno = EMSGSIZE;
        return -1;
    }
    return n;
}

/* A message of `type` without payload, carrying fd (SCM_RIGHTS). */
static TTY_CODE void send_fd(int sock, uint16_t type, int fd)
{
    struct mdk_header h = { MDK_MAGIC, MDK_VERSION, type, 0 };
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } control;
    struct iovec iov = { &h, sizeof h };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
    struct cmsghdr *cm;

    memset(&control, 0, sizeof control);
    cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof fd);
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    while (sendmsg(sock, &m, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

/*
 * Opens a pseudo-terminal in the devpts instance at /dev/pts (the container's: this process is
 * in its mount namespace) with CONFIG's window size, sends its master as TTY over sock and keeps
 * the peer in tty_slave. Neither end becomes this process's controlling terminal (O_NOCTTY).
 */
static TTY_CODE int open_tty(const struct config *c, int sock)
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
    send_fd(sock, MDK_MSG_TTY, master);
    close(master);
    return 0;
}

/*
 * In the process about to exec the command: a session of its own (setsid fails with EPERM where
 * it leads one already: pid 1 with INIT=0, an exec'd process), the terminal as its controlling
 * terminal, and on its fds 0-2 (stdout and stderr are one stream, as Docker's -t).
 */
static TTY_CODE int attach_tty(int slave)
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
