/*
 * delete [--force] ID (oci-front): refused while the container runs or is paused unless forced;
 * what still runs is thawed and killed and its end awaited, then the cgroups are removed, the
 * poststop hooks run and the state directory goes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "front.h"

/* Removes dir and what is in it (the state directory: files, no deeper tree expected). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return;
        die("removing %s: %s", dir, strerror(errno));
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = path_join(dir, e->d_name);
        if (unlink(p) < 0) {
            if (errno == EISDIR || errno == EPERM)
                remove_tree(p);
            else if (errno != ENOENT)
                die("removing %s: %s", p, strerror(errno));
        }
        free(p);
    }
    closedir(d);
    if (rmdir(dir) < 0 && errno != ENOENT)
        die("removing %s: %s", dir, strerror(errno));
}

int delete_verb(char **args, int argc)
{
    struct flags f;
    struct state st;
    parse("delete", args, argc, "", "force f", &f);
    const char *id = id_of("delete", &f);
    int force = flag(&f, "force", "f") != NULL;
    if (read_state(id, &st) < 0) {
        if (force)
            return 0;
        die("container %s does not exist", id);
    }
    char **dirs = cgroup_dirs(&st, "cgroup.", NULL);
    enum status s = status_of(&st, dirs);
    if ((s == RUNNING || s == PAUSED) && !force)
        die("cannot delete container %s: it is %s (stop it first, or delete --force)", id, STATUS[s]);
    /* What still runs is thawed and killed, and its process's end awaited, before the cgroups go. */
    int fd = open_process(&st);
    if (fd >= 0) {
        for (char **d = dirs; *d; d++)
            set_frozen(*d, 0, SETTLE_TIMEOUT_MS);
        signal_listed(dirs, SIGKILL);
        pidfd_send_signal(fd, SIGKILL);
        await_exit(fd, KILL_TIMEOUT_MS);
        close(fd);
    }
    remove_cgroups(&st);
    run_hooks(&st, "poststop", STOPPED, 0);
    remove_tree(st.dir);
    return 0;
}
