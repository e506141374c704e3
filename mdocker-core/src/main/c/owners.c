/*
 * Owners mode (argument "owners"): a helper of a rootless JVM's image store, in a user namespace
 * with the rootless containers' mapping, where it is root over the user's subordinate ids. The
 * JVM unpacks a layer as itself and has this helper give its files their owners (chown inside the
 * namespace: uid 70 of the image becomes the range's id that containers see as 70), modes
 * (chown clears setuid and setgid) and file capabilities (security.capability, written in the
 * namespace, so the kernel keeps it as a capability of that namespace's root); it also removes
 * and renames such trees, which the user alone may no longer change. As Podman does its
 * storage's work in `podman unshare`.
 *
 * The process unshares CLONE_NEWUSER first, then says READY; the JVM writes its maps from outside
 * (newuidmap/newgidmap, or the single mapping) and sends requests. Wire (fd 3, SOCK_SEQPACKET, one
 * request a message; numbers in host order):
 *   'R'                                   helper -> JVM: unshared, waiting for its maps
 *   'D' PATH\0                            the directory the next 'O's are relative to
 *   'O' u32 uid, gid, mode, flags, caplen, PATH\0, CAP[caplen]
 *                                         lchown, then chmod (flags bit 0: a link, no chmod), then
 *                                         security.capability when caplen > 0
 *   'X' PATH\0                            removes the tree PATH (absolute), its root included
 *   'M' FROM\0 TO\0                       rename(FROM, TO), absolute paths
 *   'E'                                   end of a batch: reply 'K', or 'F' and the first failure
 *                                         since the last 'E' (what follows a failure is not done)
 * End of file on fd 3: exit 0. Paths below 'D' are walked with openat2(RESOLVE_NO_SYMLINKS |
 * RESOLVE_BENEATH): nothing is followed, nothing outside is reached.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <linux/openat2.h>

#include "mdk.h"

#define OWNERS_CODE __attribute__((section("mdk_owners"), noinline))
#define MSG_MAX (64 * 1024)

static char owners_error[512];

static OWNERS_CODE int owners_fail(int err, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    if (owners_error[0] != '\0')
        return -1; /* the first failure is the one reported */
    va_start(ap, fmt);
    vsnprintf(owners_error, sizeof owners_error, fmt, ap);
    va_end(ap);
    n = strlen(owners_error);
    if (err != 0)
        snprintf(owners_error + n, sizeof owners_error - n, ": %s", strerror(err));
    return -1;
}

/* The parent directory of PATH below dirfd (no link followed), and PATH's last name in *base. */
static OWNERS_CODE int open_parent(int dirfd, char *path, const char **base)
{
    struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                            .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
    char *slash = strrchr(path, '/');
    int fd;

    if (slash == NULL) {
        *base = path;
        return fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    }
    *slash = '\0';
    fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    *slash = '/';
    *base = slash + 1;
    return fd;
}

static OWNERS_CODE int set_owner(int dirfd, const unsigned char *msg, size_t len)
{
    uint32_t v[5];
    char *path, full[PATH_MAX];
    const char *base;
    size_t plen;
    int parent, ret = 0;

    if (dirfd < 0 || len < 1 + sizeof v + 1)
        return owners_fail(EINVAL, "owners: a request without its directory or too short");
    memcpy(v, msg + 1, sizeof v);
    path = (char *) msg + 1 + sizeof v;
    plen = strnlen(path, len - 1 - sizeof v);
    if (plen == len - 1 - sizeof v || 1 + sizeof v + plen + 1 + v[4] != len)
        return owners_fail(EINVAL, "owners: a malformed request");
    if ((parent = open_parent(dirfd, path, &base)) < 0)
        return owners_fail(errno, "opening the directory of %s", path);
    if (fchownat(parent, base, v[0], v[1], AT_SYMLINK_NOFOLLOW) < 0)
        ret = owners_fail(errno, "lchown(%s, %u, %u)", path, v[0], v[1]);
    else if (!(v[3] & 1) && fchmodat(parent, base, v[2] & 07777, 0) < 0)
        ret = owners_fail(errno, "chmod(%s, %o)", path, v[2] & 07777);
    else if (v[4] > 0) {
        snprintf(full, sizeof full, "/proc/self/fd/%d/%s", parent, base);
        if (lsetxattr(full, "security.capability", path + plen + 1, v[4], 0) < 0)
            ret = owners_fail(errno, "setxattr(%s, security.capability)", path);
    }
    close(parent);
    return ret;
}

/* Removes every entry below the directory fd (closed here), depth first, without following links. */
static OWNERS_CODE int remove_below(int fd, const char *what)
{
    DIR *d = fdopendir(fd);
    struct dirent *e;
    int ret = 0;

    if (d == NULL) {
        close(fd);
        return owners_fail(errno, "opendir(%s)", what);
    }
    while (ret == 0 && (errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (e->d_type == DT_DIR) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            /* a directory of mode 0 is opened by root of the namespace all the same (DAC override) */
            if (sub < 0)
                ret = owners_fail(errno, "open(%s/%s)", what, e->d_name);
            else if ((ret = remove_below(sub, what)) == 0 && unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0)
                ret = owners_fail(errno, "rmdir(%s/%s)", what, e->d_name);
        } else if (unlinkat(dirfd(d), e->d_name, 0) < 0)
            ret = owners_fail(errno, "unlink(%s/%s)", what, e->d_name);
    }
    if (ret == 0 && errno != 0)
        ret = owners_fail(errno, "readdir(%s)", what);
    closedir(d);
    return ret;
}

static OWNERS_CODE int remove_tree(char *path)
{
    struct stat st;
    char *slash = strrchr(path, '/');
    int parent, fd, ret = 0;

    if (path[0] != '/' || slash == NULL || slash[1] == '\0')
        return owners_fail(EINVAL, "remove: '%s' is not an absolute path", path);
    *slash = '\0';
    parent = open(slash == path ? "/" : path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    *slash = '/';
    if (parent < 0)
        return owners_fail(errno, "open(directory of %s)", path);
    if (fstatat(parent, slash + 1, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        ret = errno == ENOENT ? 0 : owners_fail(errno, "stat(%s)", path);
    } else if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(parent, slash + 1, 0) < 0)
            ret = owners_fail(errno, "unlink(%s)", path);
    } else if ((fd = openat(parent, slash + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        ret = owners_fail(errno, "open(%s)", path);
    } else if ((ret = remove_below(fd, path)) == 0 && unlinkat(parent, slash + 1, AT_REMOVEDIR) < 0) {
        ret = owners_fail(errno, "rmdir(%s)", path);
    }
    close(parent);
    return ret;
}

OWNERS_CODE int owners_main(void)
{
    static unsigned char msg[MSG_MAX + 1];
    int dirfd = -1;
    ssize_t n;

    if (unshare(CLONE_NEWUSER) < 0) {
        owners_fail(errno, "unshare(CLONE_NEWUSER)");
        send(MDK_SYNC_FD, "F", 1, MSG_NOSIGNAL);
        send(MDK_SYNC_FD, owners_error, strlen(owners_error), MSG_NOSIGNAL);
        return EXIT_SETUP;
    }
    if (send(MDK_SYNC_FD, "R", 1, MSG_NOSIGNAL) < 0)
        return EXIT_SETUP;
    for (;;) {
        do
            n = recv(MDK_SYNC_FD, msg, MSG_MAX, 0);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
            return n == 0 ? 0 : EXIT_SETUP;
        msg[n] = '\0';
        if (msg[0] == 'E') {
            char reply[1 + sizeof owners_error];
            size_t len = 1;

            if (owners_error[0] == '\0')
                reply[0] = 'K';
            else {
                reply[0] = 'F';
                len += strlen(owners_error);
                memcpy(reply + 1, owners_error, len - 1);
            }
            owners_error[0] = '\0';
            if (send(MDK_SYNC_FD, reply, len, MSG_NOSIGNAL) < 0)
                return EXIT_SETUP;
            continue;
        }
        if (owners_error[0] != '\0')
            continue; /* the batch failed: skip to its end */
        switch (msg[0]) {
        case 'D':
            if (dirfd >= 0)
                close(dirfd);
            dirfd = open((char *) msg + 1, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (dirfd < 0)
                owners_fail(errno, "open(%s)", (char *) msg + 1);
            break;
        case 'O':
            set_owner(dirfd, msg, (size_t) n);
            break;
        case 'X':
            remove_tree((char *) msg + 1);
            break;
        case 'M': {
            char *from = (char *) msg + 1, *to = from + strlen(from) + 1;

            if (to >= (char *) msg + n || rename(from, to) < 0)
                owners_fail(to >= (char *) msg + n ? EINVAL : errno, "rename(%s, %s)", from, to);
            break;
        }
        default:
            owners_fail(EINVAL, "owners: unknown request '%c'", msg[0]);
        }
    }
}
