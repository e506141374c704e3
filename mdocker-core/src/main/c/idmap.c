/*
 * Idmapped lower layers for a root JVM's remapped container (userns, Docker's userns-remap): the
 * image's files, owned by host root, would show as nobody in the container's user namespace and
 * make its root filesystem read-only (overlay's copy-up would chown to an id the namespace does not
 * map). Instead each lower layer is mounted over itself, in pid 1's mount namespace only, as an
 * idmapped mount (mount_setattr MOUNT_ATTR_IDMAP, Linux 5.12; overlay over idmapped layers, 5.19)
 * with pid 1's own user namespace: host uid k on disk is the range's START+k, i.e. k inside. The
 * image becomes root's inside, writable through the overlay's upper layer (copy-up makes files of
 * the range), and nothing on disk is chowned.
 *
 * Done by a child of the monitor (which runs as host root and is single-threaded) between pid 1's
 * maps and CONFIG's relay: setns into pid 1's mount namespace, its mounts made slaves first (so
 * nothing made there propagates back to the host's), then open_tree(OPEN_TREE_CLONE) of each
 * lower, mount_setattr, and move_mount onto the same path. pid 1 then mounts the overlay on the
 * same lowerdir paths and finds the idmapped mounts; they leave with its old root at pivot_root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <linux/mount.h>

#include "mdk.h"

/* What the child reports when it fails: the errno, the step and the layer's index. */
struct idmap_failure {
    int32_t err;
    int32_t step;
    int32_t layer;
};

static const char *const idmap_steps[] = {
    "open(/proc/PID/ns/user)", "setns(pid 1's mount namespace)", "mount(/, MS_REC|MS_SLAVE)",
    "open_tree(OPEN_TREE_CLONE)", "mount_setattr(MOUNT_ATTR_IDMAP)", "move_mount",
};

static void __attribute__((noreturn)) idmap_child(pid_t pid, const struct config *c, int report)
{
    struct idmap_failure f = { 0, 0, -1 };
    char path[64];
    int userns, mnt;

    snprintf(path, sizeof path, "/proc/%d/ns/user", (int) pid);
    if ((userns = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        goto fail;
    f.step = 1;
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int) pid);
    if ((mnt = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(mnt, CLONE_NEWNS) < 0)
        goto fail;
    f.step = 2;
    if (syscall(SYS_mount, NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        goto fail;
    for (size_t i = 0; i < c->nlower; i++) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
        int tree;

        f.layer = (int32_t) i;
        f.step = 3;
        if ((tree = (int) syscall(SYS_open_tree, AT_FDCWD, c->lower[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0)
            goto fail;
        f.step = 4;
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
            goto fail;
        f.step = 5;
        if (syscall(SYS_move_mount, tree, "", AT_FDCWD, c->lower[i], MOVE_MOUNT_F_EMPTY_PATH) < 0)
            goto fail;
        close(tree);
    }
    _exit(0);
fail:
    f.err = errno;
    if (write(report, &f, sizeof f) < 0)
        _exit(2);
    _exit(1);
}

int idmap_lowers(pid_t pid, const struct config *c)
{
    struct idmap_failure f;
    int fds[2], status;
    pid_t child;
    ssize_t n;

    if (pipe2(fds, O_CLOEXEC) < 0)
        return fail(MDK_STEP_MOUNT, errno, "pipe2 for the idmapped layers");
    child = fork();
    if (child < 0) {
        close(fds[0]);
        close(fds[1]);
        return fail(MDK_STEP_MOUNT, errno, "fork for the idmapped layers");
    }
    if (child == 0) {
        close(fds[0]);
        idmap_child(pid, c, fds[1]);
    }
    close(fds[1]);
    do
        n = read(fds[0], &f, sizeof f);
    while (n < 0 && errno == EINTR);
    close(fds[0]);
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (n == (ssize_t) sizeof f)
        return fail(MDK_STEP_MOUNT, f.err, "%s%s%s (idmapped lower layer for the user namespace)",
                    idmap_steps[f.step < 0 || f.step > 5 ? 0 : f.step], f.layer >= 0 ? " of " : "",
                    f.layer >= 0 ? c->lower[f.layer] : "");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fail(MDK_STEP_MOUNT, EIO, "the idmapped layers' helper ended with status %#x", status);
    return 0;
}
