/*
 * Join mode: one process started inside a running container (exec).
 *
 * The joiner stays in the host's PID namespace (setns(CLONE_NEWPID) only places its children)
 * and outside the container's cgroups: only the exec'd process counts in the container.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "mdk.h"

#define NS_JOINED (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP)

struct joiner {
    int pid1fd;      /* pidfd of the container's pid 1 */
    int *cgroup_fds; /* cgroup.procs of each of the container's cgroups, opened on the host */
    struct stat root; /* pid 1's root directory, as seen before setns (rootless: the host's) */
    bool rootless;   /* pid 1 is in a user namespace: its /proc entries are not ours to read */
    bool remapped;   /* root, and pid 1 is in a user namespace of its own (userns): entered first */
    int own_ns;      /* rootless: O_PATH of this process's /proc/<pid>/ns, read again after setns */
    struct stat monitor_cgroup_ns; /* rootless: the monitor's cgroup namespace */
    struct rlimit limits[RLIMIT_NLIMITS]; /* pid 1's, which its command inherited */
};

static volatile pid_t joined_pid; /* the exec'd process's pid in the container, set by the vfork child */

/*
 * All of pid's rlimits from /proc/PID/limits, whose lines after the header are the limits in
 * RLIMIT_* order, each "%-25s %-20s %-20s ...": the name, the soft limit, the hard limit, each a
 * number or "unlimited". For when prlimit(2) on pid is refused (EPERM).
 */
static int read_proc_limits(pid_t pid, struct rlimit *limits)
{
    char path[64], buf[4096], *line;
    ssize_t n, got = 0;
    size_t i;
    int fd;

    snprintf(path, sizeof path, "/proc/%d/limits", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (got < (ssize_t) sizeof buf - 1 && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += n;
    close(fd);
    buf[got] = '\0';
    line = strchr(buf, '\n'); /* past the header */
    for (i = 0; i < RLIMIT_NLIMITS; i++) {
        char soft[24], hard[24];

        if (line == NULL || strlen(line + 1) < 27 || sscanf(line + 1 + 26, "%23s %23s", soft, hard) != 2) {
            errno = EPROTO;
            return -1;
        }
        limits[i].rlim_cur = strcmp(soft, "unlimited") == 0 ? RLIM_INFINITY : strtoull(soft, NULL, 10);
        limits[i].rlim_max = strcmp(hard, "unlimited") == 0 ? RLIM_INFINITY : strtoull(hard, NULL, 10);
        line = strchr(line + 1, '\n');
    }
    return 0;
}

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
 * Rootless (the JVM is not root, pid 1 is in a user namespace it owns): pid 1 is not dumpable, so
 * its /proc/<pid>/root and ns links are refused to this process; what find_container checks
 * there is checked after setns instead (enter_namespaces): / is no longer the host's (pivot_root
 * done), and the cgroup namespace is no longer the monitor's (GO passed).
 */
static int find_rootless(const struct config *c, struct joiner *j)
{
    uint64_t ppid;
    char path[64];

    if (stat("/", &j->root) < 0)
        return fail(MDK_STEP_JOIN, errno, "stat(/)");
    if (read_stat_field(c->join_pid, 4, &ppid) < 0)
        return fail(MDK_STEP_JOIN, ESRCH, "/proc/%d/stat, the container's pid 1", c->join_pid);
    snprintf(path, sizeof path, "/proc/%d/ns/cgroup", (int) ppid);
    if (stat(path, &j->monitor_cgroup_ns) < 0)
        return fail(MDK_STEP_JOIN, errno == ENOENT ? ESRCH : errno, "stat(%s)", path);
    snprintf(path, sizeof path, "/proc/%d/ns", (int) getpid());
    j->own_ns = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (j->own_ns < 0)
        return fail(MDK_STEP_JOIN, errno, "open(%s)", path);
    return 0;
}

/* Rootless, after setns: what find_container could not check before (see find_rootless). */
static int check_rootless_joined(const struct config *c, const struct joiner *j, const struct stat *now)
{
    struct stat cgns;

    if (now->st_dev == j->root.st_dev && now->st_ino == j->root.st_ino)
        return fail(MDK_STEP_JOIN, EAGAIN, "the container's pid 1 (pid %d) is still setting up its root "
                    "filesystem", c->join_pid);
    if (fstatat(j->own_ns, "cgroup", &cgns, 0) < 0)
        return fail(MDK_STEP_JOIN, errno, "stat(ns/cgroup) after setns");
    close(j->own_ns);
    if (cgns.st_dev == j->monitor_cgroup_ns.st_dev && cgns.st_ino == j->monitor_cgroup_ns.st_ino)
        return fail(MDK_STEP_JOIN, EAGAIN, "the container's pid 1 (pid %d) has not started its command yet",
                    c->join_pid);
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
    j->rootless = geteuid() != 0;
    if (j->rootless && find_rootless(c, j) < 0)
        return -1;
    if (!j->rootless) {
        struct stat own, theirs;

        snprintf(path, sizeof path, "/proc/%d/ns/user", c->join_pid);
        if (stat(path, &theirs) < 0)
            return fail(MDK_STEP_JOIN, errno == ENOENT ? ESRCH : errno, "stat(%s)", path);
        if (stat("/proc/self/ns/user", &own) < 0)
            return fail(MDK_STEP_JOIN, errno, "stat(/proc/self/ns/user)");
        j->remapped = own.st_ino != theirs.st_ino || own.st_dev != theirs.st_dev;
    }
    snprintf(path, sizeof path, "/proc/%d/root", c->join_pid);
    if (j->rootless)
        ; /* pid 1 is not dumpable (so the container cannot ptrace it): checked after setns instead */
    else if (stat(path, &j->root) < 0)
        return fail(MDK_STEP_JOIN, errno == ENOENT ? ESRCH : errno, "stat(%s)", path);
    if (stat("/", &host) < 0)
        return fail(MDK_STEP_JOIN, errno, "stat(/)");
    if (!j->rootless && host.st_dev == j->root.st_dev && host.st_ino == j->root.st_ino)
        return fail(MDK_STEP_JOIN, EAGAIN, "the container's pid 1 (pid %d) is still setting up its root "
                    "filesystem", c->join_pid);
    if (!j->rootless && check_past_go(c->join_pid) < 0)
        return -1;
    for (i = 0; i < RLIMIT_NLIMITS; i++)
        if (prlimit(c->join_pid, (rlimit_resource) i, NULL, &j->limits[i]) < 0) {
            /* pid 1 runs as another user and this root lacks CAP_SYS_RESOURCE (root in a
             * container, or the kernel's check for another uid): its limits are world-readable text */
            if (errno == EPERM && read_proc_limits(c->join_pid, j->limits) == 0)
                break;
            return fail(MDK_STEP_RLIMIT, errno, "prlimit(%d, %zu), the container's pid 1", c->join_pid, i);
        }
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

    /* rootless: the user namespace first, whose capabilities then let it enter the others */
    if (j->rootless && setns(j->pid1fd, CLONE_NEWUSER) < 0)
        return fail(MDK_STEP_JOIN, errno, "setns(pidfd of pid %d, CLONE_NEWUSER)", c->join_pid);
    /*
     * root, remapped: all at once, user namespace included, so the kernel checks access to pid 1
     * (not dumpable, another uid) with host root's capabilities before it leaves them
     */
    if (j->remapped && setns(j->pid1fd, CLONE_NEWUSER | NS_JOINED) < 0)
        return fail(MDK_STEP_JOIN, errno, "setns(pidfd of pid %d, user|mnt|uts|ipc|net|pid|cgroup)", c->join_pid);
    if (!j->remapped && setns(j->pid1fd, NS_JOINED) < 0)
        return fail(MDK_STEP_JOIN, errno, "setns(pidfd of pid %d, mnt|uts|ipc|net|pid|cgroup)", c->join_pid);
    if (stat("/", &now) < 0)
        return fail(MDK_STEP_JOIN, errno, "stat(/) in the container");
    if (j->rootless)
        return check_rootless_joined(c, j, &now);
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
int join_main(const struct config *c)
{
    struct joiner j = { .pid1fd = -1 };
    int death[2], status;
    pid_t child;
    size_t i;

    orphan_ok = c->orphan != 0;
    if ((c->console != NULL && connect_console(c->console) < 0) /* a host path: before setns */
        || find_container(c, &j) < 0 || enter_namespaces(c, &j) < 0) {
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
    if (c->orphan)
        return 0; /* the process goes to the nearest subreaper */
    return join_loop(child);
}
