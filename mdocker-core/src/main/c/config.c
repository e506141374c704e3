/*
 * CONFIG and JOIN: records parsed twice over the same bytes, once to count and check, once to
 * copy, into a struct config that lives as long as the process. The monitor checks a CONFIG
 * before it relays it; pid 1 parses the same bytes again; a joiner parses its JOIN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <linux/bpf.h>

#include "mdk.h"

#define NS_ALLOWED (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET \
                    | CLONE_NEWCGROUP | CLONE_NEWUSER)
#define NS_REQUIRED (CLONE_NEWNS | CLONE_NEWPID)

#define MOUNT_DATA_MAX 4095 /* mount(2) copies one page of options */

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

void *cfg_alloc(size_t count, size_t size)
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
    uint64_t seen = 0;
    struct record r;

    while (p < end) {
        if (next_record(&p, end, &r) < 0)
            return -1;
        if (r.tag < 64)
            c->tags |= UINT64_C(1) << r.tag;
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
        case MDK_T_MOUNT: c->nmounts++; break;
        case MDK_T_SYSCTL: c->nsysctls++; break;
        case MDK_T_JOINNS: c->njoinns++; break;
        case MDK_T_DEVICE: c->ndevices++; break;
        case MDK_T_UPPER: case MDK_T_WORK: case MDK_T_MERGED: case MDK_T_HOSTNAME:
        case MDK_T_CWD: case MDK_T_UID: case MDK_T_GID: case MDK_T_NSFLAGS: case MDK_T_INIT:
        case MDK_T_CAPS: case MDK_T_SECURITY: case MDK_T_SECCOMP: case MDK_T_GROUPS: case MDK_T_DEVCGROUP:
        case MDK_T_DETACH: case MDK_T_STDOUT: case MDK_T_STDERR: case MDK_T_JOINPID: case MDK_T_FORWARD:
        case MDK_T_TTY: case MDK_T_LAYERFS: case MDK_T_ROOTFS: case MDK_T_EXECFIFO: case MDK_T_CONSOLE: case MDK_T_ORPHAN:
        case MDK_T_PARK: case MDK_T_DEVPROG:
            if (seen & (UINT64_C(1) << r.tag))
                return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: tag %u given twice", r.tag);
            seen |= UINT64_C(1) << r.tag;
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

/* TMPFS, CGROUPFS and LAYERFS: uint32 MS_* flags, then "target\0data". */
static int copy_flagged_mount(const struct record *r, struct flagged_mount *t, char **arena)
{
    const char *name = r->tag == MDK_T_TMPFS ? "TMPFS" : r->tag == MDK_T_LAYERFS ? "LAYERFS" : "CGROUPFS";
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

/* MOUNT: uint32 flags, uint32 propagation, then "type\0source\0target\0data". */
static int copy_listed_mount(const struct record *r, struct listed_mount *m, char **arena)
{
    const unsigned char *p = r->value + 8, *end = r->value + r->len, *sep;
    char **fields[4] = { &m->type, &m->source, &m->target, &m->data };
    uint32_t flags, propagation;
    int i;

    if (r->len < 8 + 4)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: MOUNT record of %u bytes", r->len);
    memcpy(&flags, r->value, 4);
    memcpy(&propagation, r->value + 4, 4);
    m->flags = flags;
    m->propagation = propagation;
    for (i = 0; i < 4; i++) {
        sep = i < 3 ? memchr(p, 0, (size_t) (end - p)) : end;
        if (sep == NULL)
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: MOUNT without type\\0source\\0target\\0data");
        *fields[i] = copy_string(p, (size_t) (sep - p), arena, r->tag);
        if (*fields[i] == NULL)
            return -1;
        p = sep + 1;
    }
    return 0;
}

/* JOINNS: uint32 type, then the path. */
static int copy_joinns(const struct record *r, struct joinns *j, char **arena)
{
    if (r->len < 4 + 1)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: JOINNS record of %u bytes", r->len);
    memcpy(&j->type, r->value, 4);
    if (j->type != CLONE_NEWNET && j->type != CLONE_NEWIPC && j->type != CLONE_NEWUTS)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: JOINNS type %#x", j->type);
    j->path = copy_string(r->value + 4, r->len - 4, arena, r->tag);
    return j->path == NULL ? -1 : 0;
}

/* DEVICE: six uint32 (type, major, minor, mode, uid, gid), then the path. */
static int copy_device(const struct record *r, struct device *d, char **arena)
{
    if (r->len < 24 + 1)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: DEVICE record of %u bytes", r->len);
    memcpy(&d->type, r->value, 4);
    memcpy(&d->major, r->value + 4, 4);
    memcpy(&d->minor, r->value + 8, 4);
    memcpy(&d->mode, r->value + 12, 4);
    memcpy(&d->uid, r->value + 16, 4);
    memcpy(&d->gid, r->value + 20, 4);
    d->path = copy_string(r->value + 24, r->len - 24, arena, r->tag);
    return d->path == NULL ? -1 : 0;
}

/* SYSCTL: "key\0value". */
static int copy_sysctl(const struct record *r, struct sysctl *s, char **arena)
{
    const unsigned char *sep = memchr(r->value, 0, r->len);

    if (sep == NULL || sep == r->value)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: SYSCTL without key\\0value");
    s->key = copy_string(r->value, (size_t) (sep - r->value), arena, r->tag);
    if (s->key == NULL)
        return -1;
    s->value = copy_string(sep + 1, (size_t) (r->value + r->len - sep) - 1, arena, r->tag);
    return s->value == NULL ? -1 : 0;
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
    case MDK_T_ROOTFS: str = &c->rootfs; break;
    case MDK_T_EXECFIFO: str = &c->exec_fifo; break;
    case MDK_T_CONSOLE: str = &c->console; break;
    case MDK_T_ORPHAN: return copy_fixed(r, &c->orphan, 4);
    case MDK_T_PARK: return copy_fixed(r, &c->park, 4);
    case MDK_T_MOUNT: return copy_listed_mount(r, &c->mounts[c->nmounts++], arena);
    case MDK_T_SYSCTL: return copy_sysctl(r, &c->sysctls[c->nsysctls++], arena);
    case MDK_T_JOINNS: return copy_joinns(r, &c->joinns[c->njoinns++], arena);
    case MDK_T_DEVICE: return copy_device(r, &c->devices[c->ndevices++], arena);
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
    case MDK_T_LAYERFS: return copy_flagged_mount(r, &c->layerfs, arena);
    case MDK_T_RLIMIT: return copy_rlimit(r, &c->rlimits[c->nrlimits++]);
    case MDK_T_SECURITY: return copy_fixed(r, &c->security, 4);
    case MDK_T_CAPS:
        c->has_caps = true;
        return copy_fixed(r, c->caps, sizeof c->caps);
    case MDK_T_GROUPS:
        c->groups = copy_array(r, sizeof(gid_t), &c->ngroups);
        return c->groups == NULL ? -1 : 0;
    case MDK_T_DEVPROG:
        c->devprog = copy_array(r, sizeof(struct bpf_insn), &c->ndevprog);
        if (c->devprog == NULL)
            return -1;
        if (c->ndevprog > BPF_MAXINSNS)
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: DEVPROG program of %zu instructions, "
                        "the kernel takes at most %d", c->ndevprog, BPF_MAXINSNS);
        return 0;
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

/* The length of the longest directory ("/a/b/") that every lower path lies below. */
static size_t common_lower_dir(const struct config *c)
{
    size_t i, k, len = strlen(c->lower[0]);

    for (i = 1; i < c->nlower; i++) {
        for (k = 0; k < len && c->lower[i][k] == c->lower[0][k]; k++)
            ;
        len = k;
    }
    while (len > 0 && c->lower[0][len - 1] != '/')
        len--;
    for (i = 0; i < c->nlower; i++) /* each keeps a name of its own after the prefix */
        if (c->lower[i][len] == '\0')
            return 0;
    return len;
}

static int build_overlay_data(struct config *c)
{
    size_t i, n = sizeof "lowerdir=,upperdir=,workdir=,volatile,userxattr" + strlen(c->upper) + strlen(c->work);
    size_t skip = 0, lowers = 0;
    char *p;

    if (check_overlay_path("UPPER", c->upper) < 0 || check_overlay_path("WORK", c->work) < 0)
        return -1;
    for (i = 0; i < c->nlower; i++) {
        if (check_overlay_path("LOWER", c->lower[i]) < 0)
            return -1;
        lowers += strlen(c->lower[i]) + 1;
    }
    /*
     * Many layers (an image's, under one store directory) do not fit one page of options as
     * absolute paths: they are then given relative to their common directory, and the overlay is
     * mounted with that directory as the working directory (as containerd does).
     */
    if (n + lowers > MOUNT_DATA_MAX + 1 && c->nlower > 1 && (skip = common_lower_dir(c)) > 1) {
        c->overlay_cwd = cfg_alloc(1, skip + 1);
        if (c->overlay_cwd == NULL)
            return fail(MDK_STEP_PROTOCOL, ENOMEM, "CONFIG: overlay directory");
        memcpy(c->overlay_cwd, c->lower[0], skip);
        lowers -= skip * c->nlower;
    }
    n += lowers;
    if (n > MOUNT_DATA_MAX + 1)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: overlay options are %zu bytes, "
                    "mount(2) takes at most %d", n - 1, MOUNT_DATA_MAX);
    p = c->overlay_data = cfg_alloc(1, n);
    if (p == NULL)
        return fail(MDK_STEP_PROTOCOL, ENOMEM, "CONFIG: overlay options");
    p = stpcpy(p, "lowerdir=");
    for (i = 0; i < c->nlower; i++)
        p += sprintf(p, "%s%s", i ? ":" : "", c->lower[i] + skip);
    /*
     * volatile: the writable layer lives exactly as long as the container, so the upper
     * filesystem is not synced when the overlay goes (at pid 1's exit, when its mount namespace
     * ends; a sync of the upper ext4 cost ~1.4 ms there). A crash loses nothing anyone keeps.
     */
    p += sprintf(p, ",upperdir=%s,workdir=%s,volatile", c->upper, c->work);
    /* in a user namespace overlay keeps its whiteouts and opaque marks as user.overlay.* xattrs */
    if (c->nsflags & CLONE_NEWUSER)
        strcpy(p, ",userxattr");
    return 0;
}

int check_nsflags(const char *what, uint64_t nsflags)
{
    if (nsflags & ~(uint64_t) NS_ALLOWED)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "%s %#llx outside %#x", what,
                    (unsigned long long) nsflags, NS_ALLOWED);
    if ((nsflags & NS_REQUIRED) != NS_REQUIRED)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "%s lacks CLONE_NEWNS|CLONE_NEWPID", what);
    return 0;
}


/* Records only one of the two messages takes (protocol.h). */
#define CONFIG_ONLY (TAG(MDK_T_LOWER) | TAG(MDK_T_UPPER) | TAG(MDK_T_WORK) | TAG(MDK_T_MERGED) \
                     | TAG(MDK_T_HOSTNAME) | TAG(MDK_T_BIND) | TAG(MDK_T_NSFLAGS) | TAG(MDK_T_INIT) \
                     | TAG(MDK_T_MASK) | TAG(MDK_T_READONLY) | TAG(MDK_T_TMPFS) | TAG(MDK_T_DEVCGROUP) \
                     | TAG(MDK_T_CGROUPFS) | TAG(MDK_T_LAYERFS) \
                     | TAG(MDK_T_DETACH) | TAG(MDK_T_STDOUT) | TAG(MDK_T_STDERR) | TAG(MDK_T_FORWARD) \
                     | TAG(MDK_T_ROOTFS) | TAG(MDK_T_MOUNT) | TAG(MDK_T_EXECFIFO) | TAG(MDK_T_SYSCTL) \
                     | TAG(MDK_T_JOINNS) | TAG(MDK_T_DEVICE) | TAG(MDK_T_PARK) \
                     | TAG(MDK_T_DEVPROG))
#define JOIN_ONLY (TAG(MDK_T_JOINPID) | TAG(MDK_T_CGROUP) | TAG(MDK_T_ORPHAN))
#define SEC_FLAGS (MDK_SEC_NO_NEW_PRIVS | MDK_SEC_READONLY_ROOTFS | MDK_SEC_SYSFS_RW)

static int check_foreign_tags(const struct config *c, uint64_t foreign, const char *msg)
{
    int tag;

    if ((c->tags & TAG(MDK_T_TTY)) && check_tty(c, msg) < 0)
        return -1;

    for (tag = 0; tag < 64; tag++)
        if (c->tags & foreign & TAG(tag))
            return fail(MDK_STEP_PROTOCOL, EINVAL, "%s: tag %d does not belong in it", msg, tag);
    return 0;
}


/* The NAME of a target /sys/fs/cgroup/NAME; "" for /sys/fs/cgroup itself; NULL for anything else. */
const char *cgroupfs_name(const char *target)
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

/* 0 when path is target/NAME (one component, neither . nor ..), -1 otherwise */
static int check_layerfs_path(const char *target, const char *path)
{
    size_t n = strlen(target);
    const char *name = path + n;

    if (target[0] != '/' || strncmp(path, target, n) != 0 || name[0] != '/' || name[1] == '\0'
        || strchr(name + 1, '/') != NULL || strcmp(name, "/.") == 0 || strcmp(name, "/..") == 0)
        return -1;
    return 0;
}

static int validate_config(struct config *c)
{
    size_t i;

    if (check_foreign_tags(c, JOIN_ONLY, "CONFIG") < 0)
        return -1;
    if (c->argc == 0 && !c->park)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: no ARG");
    if ((c->tags & TAG(MDK_T_PARK)) && (c->park != 1 || c->exec_fifo != NULL || c->exit_file != NULL
                                        || (c->tags & TAG(MDK_T_TTY))))
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: PARK %u: expected 1, without EXECFIFO, DETACH or TTY", c->park);
    if (c->rootfs != NULL) {
        if (c->merged != NULL || c->upper != NULL || c->work != NULL || c->nlower != 0)
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: ROOTFS with an overlay (LOWER, UPPER, WORK, MERGED)");
        if (c->rootfs[0] != '/')
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: ROOTFS %s is not absolute", c->rootfs);
    } else if (c->merged == NULL || c->upper == NULL || c->work == NULL || c->nlower == 0)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: missing %s",
                    c->merged == NULL ? "MERGED" : c->upper == NULL ? "UPPER"
                    : c->work == NULL ? "WORK" : "LOWER");
    if (check_nsflags("CONFIG: NSFLAGS", c->nsflags) < 0)
        return -1;
    if (c->hostname != NULL && !(c->nsflags & CLONE_NEWUTS))
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: HOSTNAME without CLONE_NEWUTS");
    if (c->hostname != NULL && (c->hostname[0] == '\0' || strlen(c->hostname) > HOST_NAME_MAX))
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: HOSTNAME '%s'", c->hostname);
    if (c->exec_fifo != NULL && (c->exec_fifo[0] != '/' || c->init || c->exit_file != NULL))
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: EXECFIFO %s: an absolute path, with INIT 0, not DETACH",
                    c->exec_fifo);
    for (i = 0; i < c->nmounts; i++)
        if (c->mounts[i].target[0] != '/' || (c->mounts[i].flags & MS_BIND && c->mounts[i].source[0] != '/'))
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: MOUNT %s -> %s is not absolute",
                        c->mounts[i].source, c->mounts[i].target);
    if (c->console != NULL && (c->console[0] != '/' || !(c->tags & TAG(MDK_T_TTY))))
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: CONSOLE %s: an absolute path, with TTY", c->console);
    for (i = 0; i < c->ndevices; i++)
        if ((c->devices[i].type != S_IFCHR && c->devices[i].type != S_IFBLK && c->devices[i].type != S_IFIFO)
            || strncmp(c->devices[i].path, "/dev/", 5) != 0 || strstr(c->devices[i].path, "/..") != NULL
            || (c->devices[i].mode & ~07777u) != 0)
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: DEVICE %s (type %#x, mode %#o)", c->devices[i].path,
                        c->devices[i].type, c->devices[i].mode);
    if (c->devprog != NULL && c->devcgroup == NULL)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: DEVPROG without DEVCGROUP");
    for (i = 0; i < c->njoinns; i++)
        if ((c->nsflags & c->joinns[i].type) || c->joinns[i].path[0] != '/')
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: JOINNS %s: an absolute path, of a namespace not in NSFLAGS",
                        c->joinns[i].path);
    for (i = 0; i < c->nsysctls; i++)
        if (strstr(c->sysctls[i].key, "..") != NULL || strchr(c->sysctls[i].key, '/') != NULL)
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: SYSCTL %s", c->sysctls[i].key);
    if (c->rootfs == NULL && c->merged[0] != '/')
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: MERGED %s is not absolute", c->merged);
    if (c->layerfs.target != NULL && (check_layerfs_path(c->layerfs.target, c->upper) < 0
                                      || check_layerfs_path(c->layerfs.target, c->work) < 0))
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: UPPER %s and WORK %s must lie directly below LAYERFS %s",
                    c->upper, c->work, c->layerfs.target);
    if (c->cwd != NULL && c->cwd[0] != '/')
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: CWD %s is not absolute", c->cwd);
    for (i = 0; i < c->nbinds; i++) {
        struct bind *b = &c->binds[i];

        if (b->source[0] != '/' || b->target[0] != '/')
            return fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: BIND %s -> %s is not absolute",
                        b->source, b->target);
        if ((b->flags & ~(MDK_BIND_READONLY | MDK_BIND_RECURSIVE))
            || b->flags == MDK_BIND_RECURSIVE)
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
    return c->rootfs != NULL ? 0 : build_overlay_data(c);
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

/* CLAIM: the command of a parked pid 1, nothing else. */
static int validate_claim(const struct config *c)
{
    if (check_foreign_tags(c, ~(TAG(MDK_T_ARG) | TAG(MDK_T_ENV) | TAG(MDK_T_CWD)), "CLAIM") < 0)
        return -1;
    if (c->argc == 0)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CLAIM: no ARG");
    if (c->cwd != NULL && c->cwd[0] != '/')
        return fail(MDK_STEP_PROTOCOL, EINVAL, "CLAIM: CWD %s is not absolute", c->cwd);
    return 0;
}

/* The config lives as long as the process (and is copied into pid 1 by clone): never freed. */
static int parse_config(const unsigned char *p, size_t len, struct config *c)
{
    const unsigned char *end = p + len, *pos;
    struct record r;
    char *arena;

    c->nsflags = NS_ALLOWED & ~(uint64_t) CLONE_NEWUSER;
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
    c->mounts = cfg_alloc(c->nmounts + 1, sizeof *c->mounts);
    c->sysctls = cfg_alloc(c->nsysctls + 1, sizeof *c->sysctls);
    c->joinns = cfg_alloc(c->njoinns + 1, sizeof *c->joinns);
    c->devices = cfg_alloc(c->ndevices + 1, sizeof *c->devices);
    arena = cfg_alloc(1, len + 1); /* each string needs len + 1 <= its record's 8 + len bytes */
    if (!c->argv || !c->envp || !c->lower || !c->binds || !c->rlimits || !c->masked
        || !c->readonly || !c->tmpfs || !c->cgroupfs || !c->cgroups || !c->mounts || !c->sysctls || !c->joinns || !c->devices || !arena)
        return fail(MDK_STEP_PROTOCOL, ENOMEM, "CONFIG of %zu bytes", len);
    c->argc = c->envc = c->nlower = c->nbinds = 0;
    c->nrlimits = c->nmasked = c->nreadonly = c->ntmpfs = c->ncgroupfs = c->ncgroups = 0;
    c->nmounts = c->nsysctls = c->njoinns = c->ndevices = 0;
    for (pos = p; pos < end;)
        if (next_record(&pos, end, &r) < 0 || copy_record(&r, c, &arena) < 0)
            return -1;
    return c->claim ? validate_claim(c) : c->join ? validate_join(c) : validate_config(c);
}

/*
 * sync 2: one datagram of type `type` from fd into msgbuf, parsed into c: CONFIG (the monitor
 * reads the JVM's, pid 1 the copy the monitor relays) or, in join mode, JOIN. Returns its size,
 * -1 with last_error, -2 at EOF.
 */
ssize_t receive_config(int fd, struct config *c, uint16_t type)
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
 * PARK (pid 1): the CLAIM the monitor relays, merged into c: its ARG replace c's, its ENV (when
 * given) c's, its CWD (when given) c's. Returns 1 when the working directory changed, 0 when not,
 * -1 with last_error, -2 at EOF.
 */
static struct config claim; /* what receive_claim parses */

int receive_claim(int fd, struct config *c)
{
    struct mdk_header h;
    ssize_t n = recv_datagram(fd, msgbuf, sizeof msgbuf, 0);

    if (n == 0 || (n < 0 && errno != EMSGSIZE))
        return -2;
    if (n < 0)
        return fail(MDK_STEP_PROTOCOL, EPROTO, "CLAIM larger than %d bytes", MDK_MAX_MESSAGE);
    if (parse_header(msgbuf, (size_t) n, &h) < 0)
        return -1;
    if (h.type != MDK_MSG_CLAIM)
        return fail(MDK_STEP_PROTOCOL, EPROTO, "expected CLAIM, got message type %u", h.type);
    claim.claim = true;
    if (parse_config(msgbuf + sizeof h, h.length, &claim) < 0)
        return -1;
    c->argv = claim.argv;
    c->argc = claim.argc;
    if (claim.tags & TAG(MDK_T_ENV)) {
        c->envp = claim.envp;
        c->envc = claim.envc;
    }
    if (claim.cwd == NULL)
        return 0;
    c->cwd = claim.cwd;
    return 1;
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

void prefault_for_config(void)
{
    memset(msgbuf, 0, PREFAULT_BYTES);
    memset(cfgmem, 0, PREFAULT_BYTES * 3 / 2);
}

/*
 * The parked command process, before it says it is ready: the same for the CLAIM it waits for. It
 * is a fork of pid 1, so the first write to each page it shares with pid 1 copies that page, on
 * the claim's path between the CLAIM and the exec (traced: 210-250 us from the CLAIM's receive to
 * execve). Written now, the pages the claim writes are its own before the claim comes: the start
 * of the receive buffer, the free part of cfgmem that the CLAIM parses into, the parsed claim, the
 * config the claim is merged into (ARG, ENV, CWD) and the stack below the caller's frame. A CLAIM
 * larger than CLAIM_PREFAULT_BYTES faults in the rest.
 */
#define CLAIM_PREFAULT_BYTES (8 * 1024)

static void __attribute__((noinline)) prefault_stack(void)
{
    volatile unsigned char pad[3 * 4096];

    for (size_t i = 0; i < sizeof pad; i += 4096)
        pad[i] = 0;
}

void prefault_for_claim(struct config *c)
{
    size_t left = sizeof cfgmem - cfgmem_used;

    memset(msgbuf, 0, CLAIM_PREFAULT_BYTES);
    memset(cfgmem + cfgmem_used, 0, left < CLAIM_PREFAULT_BYTES ? left : CLAIM_PREFAULT_BYTES);
    memset(&claim, 0, sizeof claim);
    /* c's pages, where receive_claim stores ARG, ENV and CWD */
    *(volatile size_t *) &c->argc = c->argc;
    *(volatile size_t *) &c->envc = c->envc;
    *(char *volatile *) &c->cwd = c->cwd;
    prefault_stack();
}
