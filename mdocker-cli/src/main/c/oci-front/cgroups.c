/*
 * cgroups (oci-front): freezing and thawing, and the removal of a container's recorded cgroups
 * as the JVM does it (ContainerCgroups.removeRecorded: rmdir, and what is busy is emptied
 * first, through cgroup.kill or a freeze and SIGKILL through pidfds), then the v1 devices cgroup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front.h"

static int write_string(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, value, strlen(value));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

/* rmdir: 1 removed, 0 gone already, -1 busy (processes or children), dies on other failures. */
static int rmdir_cgroup(const char *dir)
{
    if (rmdir(dir) == 0)
        return 1;
    if (errno == ENOENT)
        return 0;
    if (errno == EBUSY || errno == ENOTEMPTY || errno == EEXIST)
        return -1;
    die("removing cgroup %s: %s", dir, strerror(errno));
}

/* Freezer.set for one directory: writes the state and waits until the kernel reports it. */
int set_frozen(const char *dir, int frozen, int timeout_ms)
{
    char *v2 = path_join(dir, "cgroup.freeze"), *v1 = path_join(dir, "freezer.state");
    long long deadline = now_ms() + timeout_ms;
    int any = 1;
    if (exists(v2)) {
        if (write_string(v2, frozen ? "1" : "0") < 0)
            die("writing %s: %s", v2, strerror(errno));
        char *events = path_join(dir, "cgroup.events");
        for (;;) {
            char *e = read_file(events, NULL);
            char *line = e ? strstr(e, "frozen ") : NULL;
            int now = line && line[7] == '1';
            free(e);
            if (now == frozen || now_ms() > deadline)
                break;
            sleep_ms(1);
        }
        free(events);
    } else if (exists(v1)) {
        if (write_string(v1, frozen ? "FROZEN" : "THAWED") < 0)
            die("writing %s: %s", v1, strerror(errno));
        for (;;) {
            char *s = read_trimmed(v1);
            int reached = s && strcmp(s, frozen ? "FROZEN" : "THAWED") == 0;
            free(s);
            if (reached || now_ms() > deadline)
                break;
            sleep_ms(1);
        }
    } else {
        any = 0;
    }
    free(v1);
    free(v2);
    return any;
}

/*
 * Kills every process in dirs and waits until none is left (Stragglers.kill): v2 writes
 * cgroup.kill; v1 freezes the freezer cgroup among them (if any), sends SIGKILL through pidfds
 * opened while each pid was listed and still listed after, and thaws.
 */
static void kill_all(char **dirs, const char *freezer, const char *kill_file)
{
    long long deadline = now_ms() + KILL_TIMEOUT_MS;
    for (;;) {
        int *pids;
        int n = listed(dirs, &pids);
        if (n == 0) {
            free(pids);
            return;
        }
        if (now_ms() > deadline)
            die("%d processes (the first %d) were still in %s %d s after they were killed", n, pids[0], dirs[0],
                KILL_TIMEOUT_MS / 1000);
        int *fds = malloc(sizeof(int) * (size_t)n);
        if (kill_file) {
            for (int i = 0; i < n; i++)
                fds[i] = pidfd_open(pids[i]);
            if (write_string(kill_file, "1") < 0)
                die("writing %s: %s", kill_file, strerror(errno));
        } else {
            if (freezer)
                set_frozen(freezer, 1, FREEZE_TIMEOUT_MS);
            for (int i = 0; i < n; i++)
                fds[i] = pidfd_open(pids[i]);
            int *still;
            int m = listed(dirs, &still);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < m; j++)
                    if (fds[i] >= 0 && still[j] == pids[i])
                        pidfd_send_signal(fds[i], SIGKILL);
            free(still);
            if (freezer)
                set_frozen(freezer, 0, SETTLE_TIMEOUT_MS);
        }
        for (int i = 0; i < n; i++) {
            if (fds[i] >= 0) {
                long long left = deadline - now_ms();
                await_exit(fds[i], left > 0 ? (int)left : 0);
                close(fds[i]);
            }
        }
        free(fds);
        free(pids);
    }
}

static void rmdir_parents(char **parents)
{
    for (char **p = parents; *p; p++)
        rmdir_cgroup(*p);
}

/*
 * The parent of a container's v1 devices cgroup (DevicesCgroupV1: "mdocker" for the default rules,
 * "mdocker-rules" for rules of its own), removed with its last child: no JVM stays behind a
 * create to remove it at its exit. While another container's devices cgroup is in it, rmdir fails
 * and it stays; a JVM that finds it gone makes it again.
 */
static void remove_devices_parent(const char *devices)
{
    static const char *const names[] = { "/mdocker/", "/mdocker-rules/" };
    const char *slash = strrchr(devices, '/');

    if (slash == NULL)
        return;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if ((size_t)(slash - devices) + 1 < n || strncmp(slash + 1 - n, names[i], n) != 0)
            continue;
        char *parent = strndup(devices, (size_t)(slash - devices));
        if (parent) {
            rmdir(parent);
            free(parent);
        }
        return;
    }
}

/* ContainerCgroups.removeRecorded, then the v1 devices cgroup. */
void remove_cgroups(const struct state *st)
{
    char **v1 = cgroup_dirs(st, "cgroup.", "v1 "), **v2 = cgroup_dirs(st, "cgroup.", "v2 ");
    char **v1p = cgroup_dirs(st, "cgroupParent.", "v1 "), **v2p = cgroup_dirs(st, "cgroupParent.", "v2 ");
    char **busy = calloc((size_t)st->ncg + 1, sizeof(char *));
    int nbusy = 0;
    const char *freezer = NULL;
    for (char **d = v1; *d; d++) {
        char *f = path_join(*d, "freezer.state");
        int has_freezer = exists(f);
        free(f);
        if (rmdir_cgroup(*d) < 0) {
            busy[nbusy++] = *d;
            if (has_freezer)
                freezer = *d;
        }
    }
    if (nbusy > 0) {
        kill_all(busy, freezer, NULL);
        for (int i = 0; i < nbusy; i++)
            if (rmdir_cgroup(busy[i]) < 0)
                die("removing cgroup %s: %s", busy[i], strerror(EBUSY));
    }
    rmdir_parents(v1p);
    for (char **d = v2; *d; d++) {
        if (rmdir_cgroup(*d) < 0) {
            char *kill_file = path_join(*d, "cgroup.kill");
            char *one[] = { *d, NULL };
            kill_all(one, NULL, exists(kill_file) ? kill_file : NULL);
            if (rmdir_cgroup(*d) < 0)
                die("removing cgroup %s: %s", *d, strerror(EBUSY));
            free(kill_file);
        }
        rmdir_parents(v2p);
    }
    for (int i = 0; i < st->ncg; i++)
        if (strcmp(st->cg_k[i], "devices") == 0) {
            if (rmdir(st->cg_v[i]) < 0 && errno != ENOENT)
                die("removing %s: %s", st->cg_v[i], strerror(errno));
            remove_devices_parent(st->cg_v[i]);
        }
}
