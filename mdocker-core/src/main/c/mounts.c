/*
 * Container pid 1's filesystem, built as CONFIG arrives (before GO): the overlay rootfs, the
 * system filesystems, binds and tmpfs mounts resolved inside the rootfs, pivot_root; then the
 * masked and read-only paths, the read-only rootfs, and the cgroup file systems' mount points
 * (mounted after GO, in the container's cgroup namespace).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <linux/openat2.h>
#include <unistd.h>

#include "mdk.h"

/* O_PATH open of path inside root; symlinks and ".." resolve as if root were "/". */
int open_beneath(int root, const char *path)
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

/* Whether fd is the directory `sys` ("/proc", "/dev") resolves to inside root. */
static bool is_system_dir(int root, int fd, const char *sys)
{
    struct stat a, b;
    bool same;
    int sfd = open_beneath(root, sys);

    if (sfd < 0)
        return false;
    same = fstat(fd, &a) == 0 && fstat(sfd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    close(sfd);
    return same;
}

/*
 * mount(source, <target inside root>, ...) through the fd of the safely resolved target.
 * `refused` (NULL-terminated, or NULL): system directories the target must not resolve to, such
 * as /proc through a symlink of the image (the JVM refuses the plain path already; runc refuses
 * anything but proc on /proc).
 */
static int mount_in_root(int root, const char *source, const char *target, bool file,
                         const char *fstype, unsigned long flags, const char *data,
                         const char *const *refused)
{
    char path[32];
    int fd, ret, err;

    fd = open_in_root(root, target, file);
    if (fd < 0)
        return fail(MDK_STEP_MOUNT, errno, "mkdir(%s in rootfs)", target);
    for (; refused != NULL && *refused != NULL; refused++) {
        if (is_system_dir(root, fd, *refused)) {
            close(fd);
            return fail(MDK_STEP_MOUNT, EINVAL, "mount over %s (target %s): the container's own %s "
                        "cannot be replaced", *refused, target, *refused);
        }
    }
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

/*
 * LAYERFS: the writable layer on a size-limited tmpfs, mounted like the overlay in this mount
 * namespace only, so it ends with the container whatever happens to the JVM; UPPER and WORK are
 * made in it.
 */
static int mount_layerfs(const struct config *c)
{
    const struct flagged_mount *l = &c->layerfs;

    if (mount("tmpfs", l->target, "tmpfs", l->flags, l->data) < 0)
        return fail(MDK_STEP_MOUNT, errno, "mount(tmpfs %s -> %s)", l->data, l->target);
    if (mkdir(c->upper, 0755) < 0)
        return fail(MDK_STEP_MOUNT, errno, "mkdir(%s)", c->upper);
    if (mkdir(c->work, 0700) < 0)
        return fail(MDK_STEP_MOUNT, errno, "mkdir(%s)", c->work);
    return 0;
}

/* In this mount namespace only: it vanishes with the container, so a dead JVM cannot leak it. */
static int mount_overlay(const struct config *c)
{
    int here = -1, err;

    if (c->layerfs.target != NULL && mount_layerfs(c) < 0)
        return -1;
    if (c->overlay_cwd != NULL) { /* relative lowerdirs: resolved from the working directory */
        here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (here < 0)
            return fail(MDK_STEP_MOUNT, errno, "open(.)");
        if (chdir(c->overlay_cwd) < 0) {
            err = errno;
            close(here);
            return fail(MDK_STEP_MOUNT, err, "chdir(%s)", c->overlay_cwd);
        }
    }
    err = mount("overlay", c->merged, "overlay", 0, c->overlay_data) < 0 ? errno : 0;
    if (here >= 0) {
        if (fchdir(here) < 0 && err == 0)
            err = errno;
        close(here);
    }
    if (err != 0)
        return fail(MDK_STEP_MOUNT, err, "mount(overlay -> %s)", c->merged);
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

static int mount_bind(int root, const struct bind *b);

/*
 * In a user namespace: sysfs only with a network namespace of its own (else the host's /sys,
 * bound read-only, as rootless runc does), devpts without gid=5 under a single mapping (gid 5
 * is not mapped). True when mount `i` was handled here (its result in *ret).
 */
static bool userns_system_mount(int root, const struct config *c, size_t i, int *ret)
{
    const char *target = system_mounts[i].target;

    *ret = 0;
    if (strcmp(target, "/sys") == 0 && !(c->nsflags & CLONE_NEWNET)) {
        struct bind sys = { .source = (char *) "/sys", .target = (char *) "/sys",
                            .flags = MDK_BIND_READONLY | MDK_BIND_RECURSIVE };

        *ret = mount_bind(root, &sys);
        return true;
    }
    if (strcmp(target, "/dev/pts") == 0 && single_mapping()) {
        *ret = mount_in_root(root, "devpts", target, false, "devpts", system_mounts[i].flags,
                             "newinstance,ptmxmode=0666,mode=0620", NULL);
        return true;
    }
    return false;
}

/* A --tmpfs (or --shm-size) on /dev/shm: mounted by mount_tmpfs in place of the built-in one. */
static bool tmpfs_replaces(const struct config *c, const char *target)
{
    for (size_t i = 0; i < c->ntmpfs; i++)
        if (strcmp(c->tmpfs[i].target, target) == 0)
            return true;
    return false;
}

static int mount_system(int root, const struct config *c)
{
    unsigned long flags;
    size_t i;
    int ret;

    for (i = 0; i < sizeof system_mounts / sizeof system_mounts[0]; i++) {
        flags = system_mounts[i].flags;
        if (strcmp(system_mounts[i].target, "/dev/shm") == 0 && tmpfs_replaces(c, "/dev/shm"))
            continue;
        if (in_userns(c) && userns_system_mount(root, c, i, &ret))
            continue;
        if ((c->security & MDK_SEC_SYSFS_RW) && strcmp(system_mounts[i].target, "/sys") == 0)
            flags &= ~(unsigned long) MS_RDONLY; /* privileged */
        ret = mount_in_root(root, system_mounts[i].source, system_mounts[i].target, false,
                            system_mounts[i].fstype, flags, system_mounts[i].data, NULL);
        if (ret < 0)
            return ret;
    }
    if (populate_dev(root, in_userns(c)) < 0)
        return -1;
    return make_devices(root, c); /* a --device's node */
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

/* linux/mount.h's, which musl's sys/mount.h cannot be included with */
struct mdk_mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#define MDK_MOUNT_ATTR_RDONLY 0x1ULL
#define MDK_AT_RECURSIVE 0x8000
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442 /* the same number on every architecture */
#endif

/*
 * The bind at fd (its own mount) and every mount below it read-only (Docker 25's "ro"): a bind of
 * a tree holding /proc, a tmpfs or another bind must not leave those writable. Only the
 * read-only flag is set; each mount keeps its nosuid/nodev/noexec. Closes fd.
 */
static int readonly_recursive(int fd, const struct bind *b)
{
    struct mdk_mount_attr attr = { .attr_set = MDK_MOUNT_ATTR_RDONLY };
    long ret;
    int err;

    ret = syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | MDK_AT_RECURSIVE, &attr, sizeof attr);
    err = errno;
    close(fd);
    if (ret == 0)
        return 0;
    if (err == ENOSYS)
        return fail(MDK_STEP_MOUNT, err, "bind %s:ro: a recursively read-only bind needs "
                    "mount_setattr (Linux 5.12 or later); ro-non-recursive leaves the mounts "
                    "below it writable", b->target);
    return fail(MDK_STEP_MOUNT, err, "mount_setattr(%s, AT_RECURSIVE, MOUNT_ATTR_RDONLY)",
                b->target);
}

static const char *const proc_only[] = { "/proc", NULL };
static const char *const proc_and_dev[] = { "/proc", "/dev", NULL };

static int mount_bind(int root, const struct bind *b)
{
    struct statvfs sv;
    struct stat st;
    char path[32];
    int fd, ret, err;

    if (stat(b->source, &st) < 0)
        return fail(MDK_STEP_MOUNT, errno, "bind source %s", b->source);
    ret = mount_in_root(root, b->source, b->target, !S_ISDIR(st.st_mode), NULL,
                        MS_BIND | MS_REC, NULL, proc_only);
    if (ret < 0 || !(b->flags & MDK_BIND_READONLY))
        return ret;
    if (statvfs(b->source, &sv) < 0)
        return fail(MDK_STEP_MOUNT, errno, "statvfs(%s)", b->source);
    fd = open_beneath(root, b->target); /* again: now it resolves to the new bind mount */
    if (fd < 0)
        return fail(MDK_STEP_MOUNT, errno, "open(%s in rootfs)", b->target);
    if (b->flags & MDK_BIND_RECURSIVE)
        return readonly_recursive(fd, b);
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
                            t->data[0] != '\0' ? t->data : NULL, proc_and_dev);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int pivot_into(int root, const struct config *c)
{
    const char *top = c->rootfs != NULL ? c->rootfs : c->merged;

    if (fchdir(root) < 0)
        return fail(MDK_STEP_PIVOT_ROOT, errno, "chdir(%s)", top);
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return fail(MDK_STEP_PIVOT_ROOT, errno, "pivot_root(%s)", top);
    if (umount2(".", MNT_DETACH) < 0)
        return fail(MDK_STEP_PIVOT_ROOT, errno, "umount2(old root, MNT_DETACH)");
    if (chdir("/") < 0)
        return fail(MDK_STEP_PIVOT_ROOT, errno, "chdir(/)");
    return 0;
}

/*
 * MOUNT (an OCI runtime's list, in order) instead of the fixed system mounts. A bind is
 * remounted with its other flags (ro, nosuid, nodev, noexec); a propagation is set last; /dev's
 * devices are made once a mount targets /dev.
 */
static int mount_listed(int root, const struct config *c)
{
    const unsigned long remount = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME
                                  | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
    bool dev = false;
    struct statvfs sv;
    struct stat st;
    char path[32];
    size_t i;
    int fd, ret, err;

    for (i = 0; i < c->nmounts; i++) {
        const struct listed_mount *m = &c->mounts[i];

        if (m->flags & MS_BIND) {
            if (stat(m->source, &st) < 0)
                return fail(MDK_STEP_MOUNT, errno, "bind source %s", m->source);
            ret = mount_in_root(root, m->source, m->target, !S_ISDIR(st.st_mode), NULL,
                                MS_BIND | (m->flags & MS_REC), NULL, proc_only);
        } else {
            ret = mount_in_root(root, m->source, m->target, false, m->type, m->flags,
                                m->data[0] != '\0' ? m->data : NULL, NULL);
        }
        if (ret < 0)
            return ret;
        if (((m->flags & MS_BIND) && (m->flags & remount)) || m->propagation != 0) {
            fd = open_beneath(root, m->target); /* again: now the new mount */
            if (fd < 0)
                return fail(MDK_STEP_MOUNT, errno, "open(%s in rootfs)", m->target);
            fd_path(path, sizeof path, fd);
            ret = 0;
            if ((m->flags & MS_BIND) && (m->flags & remount)) {
                ret = statvfs(path, &sv);
                if (ret == 0)
                    ret = mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | (m->flags & remount)
                                | kept_mount_flags(&sv), NULL);
            }
            if (ret == 0 && m->propagation != 0)
                ret = mount(NULL, path, NULL, m->propagation, NULL);
            err = errno;
            close(fd);
            if (ret < 0)
                return fail(MDK_STEP_MOUNT, err, "mount(%s, remount %#lx, propagation %#lx)", m->target,
                            m->flags & remount, m->propagation);
        }
        dev |= strcmp(m->target, "/dev") == 0;
    }
    if (dev && populate_dev(root, in_userns(c)) < 0)
        return -1;
    return make_devices(root, c);
}

/* Everything mounted under merged (or ROOTFS), and the pivot into it. */
int setup_rootfs(const struct config *c)
{
    const char *top = c->rootfs != NULL ? c->rootfs : c->merged;
    int root, ret;

    ret = make_mounts_private();
    if (ret < 0)
        return ret;
    if (c->rootfs != NULL) { /* a mount of its own, so that pivot_root takes it */
        ret = mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL);
        if (ret < 0)
            return fail(MDK_STEP_MOUNT, errno, "mount(%s, MS_BIND|MS_REC)", c->rootfs);
    } else {
        ret = mount_overlay(c);
        if (ret < 0)
            return ret;
    }
    root = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return fail(MDK_STEP_MOUNT, errno, "open(%s)", top);
    ret = c->rootfs != NULL || c->nmounts > 0 ? mount_listed(root, c) : mount_system(root, c);
    if (ret == 0)
        ret = mount_binds(root, c);
    if (ret == 0)
        ret = mount_tmpfs(root, c);
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

int protect_paths(const struct config *c)
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
int readonly_rootfs(const struct config *c)
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


/*
 * Before GO, after pivot_root: the mount points of the v1 hierarchies, in a tmpfs on the
 * container's fresh /sys/fs/cgroup (nothing of the image's), read-only once made. A lone cgroup2
 * mounts straight onto /sys/fs/cgroup and needs none.
 */
int prepare_cgroupfs(const struct config *c)
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
int mount_cgroupfs(const struct config *c)
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
