/*
 * Container pid 1: its setup as CONFIG arrives (mounts.c, hostname, working directory, rlimits),
 * and after GO the command: exec'd by pid 1 itself (INIT=0) or vforked from it, pid 1 staying
 * as a minimal init that forwards signals and reaps (INIT=1, the default).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/capability.h>
#ifndef CLOSE_RANGE_CLOEXEC /* glibc declares it in unistd.h, musl does not */
#include <linux/close_range.h>
#endif

#include "mdk.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int unshare_cgroup(const struct config *c)
{
    if ((c->nsflags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
        return fail(MDK_STEP_NAMESPACE, errno, "unshare(CLONE_NEWCGROUP)");
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

/* SYSCTL: in the container's own /proc (its namespaces' values), before /proc/sys is made read-only. */
static int set_sysctls(const struct config *c)
{
    char path[PATH_MAX];
    size_t i, j, len;
    int fd, n;

    for (i = 0; i < c->nsysctls; i++) {
        n = snprintf(path, sizeof path, "/proc/sys/%s", c->sysctls[i].key);
        if (n < 0 || (size_t) n >= sizeof path)
            return fail(MDK_STEP_MOUNT, ENAMETOOLONG, "sysctl %s", c->sysctls[i].key);
        for (j = sizeof "/proc/sys/" - 1; path[j] != '\0'; j++)
            if (path[j] == '.')
                path[j] = '/';
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            return fail(MDK_STEP_MOUNT, errno, "open(%s) for sysctl %s", path, c->sysctls[i].key);
        len = strlen(c->sysctls[i].value);
        if (write(fd, c->sysctls[i].value, len) != (ssize_t) len) {
            n = errno;
            close(fd);
            return fail(MDK_STEP_MOUNT, n, "sysctl %s=%s", c->sysctls[i].key, c->sysctls[i].value);
        }
        close(fd);
    }
    return 0;
}

/*
 * EXECFIFO, after GO: pid 1 is no longer the monitor's (no parent death signal, errors on its
 * stderr), says CREATED, and waits until mdocker-runtime start opens the fifo for reading.
 */
void wait_for_start(int sock, int fifo)
{
    char path[32];
    int fd;

    handed_over = true;
    prctl(PR_SET_PDEATHSIG, 0);
    send_msg(sock, MDK_MSG_CREATED, NULL, 0);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fifo);
    do
        fd = open(path, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0 || write(fd, "0", 1) != 1) {
        fail(MDK_STEP_EXEC, errno, "exec fifo %s", path);
        send_error(sock);
        _exit(EXIT_SETUP);
    }
    close(fd);
    close(fifo);
}

/*
 * PARK, after GO: the container is ready but for its command. PARKED, then CLAIM brings the
 * command, its environment and maybe another working directory; nothing of it runs before.
 */
void wait_for_claim(struct config *c, int sock)
{
    int n;

    send_msg(sock, MDK_MSG_PARKED, NULL, 0);
    n = receive_claim(sock, c);
    if (n == -2)
        _exit(1); /* the monitor is gone */
    if (n < 0 || (n == 1 && enter_cwd(c) < 0)) {
        send_error(sock);
        _exit(EXIT_SETUP);
    }
}

/* pid 1's setup once CONFIG has come, before GO, in the order the kernel needs it. */
int setup_container(const struct config *c)
{
    int ret;

    umask(0); /* modes below are exact; the command gets Docker's 022 */
    /* lo up in a network namespace of its own, here and in parallel with the JVM's host-side
       setup: no JVM thread has to enter the namespace for it (rootless, none could) */
    if ((c->nsflags & CLONE_NEWNET) && loopback_up() < 0)
        return -1;
    ret = setup_rootfs(c);
    if (ret < 0)
        return ret;
    ret = set_sysctls(c);
    if (ret < 0)
        return ret;
    ret = protect_paths(c);
    if (ret < 0)
        return ret;
    ret = prepare_cgroupfs(c);
    if (ret < 0)
        return ret;
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
int exec_command(const struct config *c, int sock)
{
    reset_signals();
    if (tty_slave >= 0 && attach_tty(tty_slave) < 0)
        return -1;
    if (close_fd_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        return fail(MDK_STEP_EXEC, errno, "close_range(3.., CLOSE_RANGE_CLOEXEC)");
    if (enter_identity(c, sock) < 0)
        return -1;
    return fail(MDK_STEP_EXEC, exec_search(c->argv, c->envp), "%s", c->argv[0]);
}

/* INIT=0: the command becomes pid 1. */
void __attribute__((noreturn)) exec_as_pid1(const struct config *c, int sock)
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
 * pid 1's end of the exit channel, on which EXIT goes straight to the JVM, ahead of the monitor's
 * relay: the one whose other end PID carried, or (PARK with INIT=1) the one made for PARKED; -1
 * when there is none (closed when the command could not be started, so that the JVM's end sees
 * its end of file and takes the ERROR the monitor relays).
 */
int exit_channel = -1;

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
            code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            /* sync 5, early: the JVM has the result while the kernel ends the namespaces; first
               straight to the JVM on the exit channel, then through the monitor */
            if (exit_channel >= 0)
                send_pair(exit_channel, MDK_MSG_EXIT, code, 0);
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
volatile bool child_failed;

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

/* pid 1 as init: the signals it forwards and SIGCHLD blocked (taken with sigwaitinfo), not dumpable. */
static void become_init(const struct config *c, sigset_t *set)
{
    size_t i;

    /* pid 1 ignores unhandled signals from outside: block them and take them synchronously */
    sigemptyset(set);
    sigaddset(set, SIGCHLD);
    for (i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
        sigaddset(set, forwarded_signals[i]);
    sigprocmask(SIG_BLOCK, set, NULL);

    /*
     * Not dumpable: only host root may ptrace pid 1 or read its /proc. Rootless, the joiner of an
     * exec (this user, outside) must pass setns's ptrace check; the container's processes still
     * may not, lacking pid 1's capabilities (CAP_SYS_PTRACE unless added).
     */
    if (!in_userns(c))
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* The parked command process: its failure as ERROR on `to`, and its end (pid 1 sends EXIT). */
static void __attribute__((noreturn)) parked_failed(int to)
{
    send_error(to);
    _exit(failure_exit_code());
}

/*
 * PARK with INIT=1: the command's process is made before its command is known. pid 1 forks it
 * after GO; it goes through every step of exec_command but the exec (signals reset, descriptors
 * CLOEXEC, its process group, the identity with the seccomp filter last) and says 'R' on a pipe;
 * pid 1 then sends PARKED with the other end of that process's claim channel, and becomes the
 * init at once (run_init's reap loop: a signal for a parked sandbox reaches the waiting process).
 * CLAIM comes on the channel, straight from the JVM: the process takes the argv, environment and
 * working directory and execs, which closes its end: the JVM's sign that the command runs (no
 * STARTED); a failure it reports itself as ERROR on the channel. So a claim costs one datagram
 * and the exec, nothing of the setup, and no relay.
 * The process waits under the container's seccomp filter: it needs recvfrom, chdir (mkdir for a
 * new working directory), execve, sendmsg and write, which Docker's profile allows.
 */
void __attribute__((noreturn)) run_parked_init(struct config *c, int sock)
{
    sigset_t set;
    pid_t command;
    int ready[2], claim[2], exits[2], n;
    bool parked;
    char b = 0;

    become_init(c, &set);
    if (exit_channel >= 0) { /* PARKED brings a channel of its own, which the JVM's claim waits on */
        close(exit_channel);
        exit_channel = -1;
    }
    if (pipe2(ready, O_CLOEXEC) < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, claim) < 0
        || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, exits) < 0) {
        fail(MDK_STEP_FORK, errno, "pipe2, socketpairs for the parked command");
        send_error(sock);
        _exit(EXIT_SETUP);
    }
    command = fork();
    if (command < 0) {
        fail(MDK_STEP_FORK, errno, "fork(the parked command)");
        send_error(sock);
        _exit(EXIT_SETUP);
    }
    if (command == 0) {
        close(ready[0]);
        close(claim[0]);
        close(exits[0]);
        close(exits[1]);
        setpgid(0, 0); /* the command leads a process group of its own: see reap_loop */
        reset_signals();
        if (close_fd_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
            fail(MDK_STEP_EXEC, errno, "close_range(3.., CLOSE_RANGE_CLOEXEC)");
            parked_failed(sock);
        }
        if (enter_identity(c, -1) < 0)
            parked_failed(sock);
        prefault_for_claim(c);
        if (write(ready[1], "R", 1) != 1)
            _exit(EXIT_SETUP);
        close(ready[1]);
        n = receive_claim(claim[1], c);
        if (n == -2)
            _exit(1); /* the JVM gave the sandbox up */
        if (n < 0 || (n == 1 && enter_cwd(c) < 0))
            parked_failed(claim[1]);
        fail(MDK_STEP_EXEC, exec_search(c->argv, c->envp), "%s", c->argv[0]);
        parked_failed(claim[1]);
    }
    close(ready[1]);
    close(claim[1]);
    /* the container's stdio is the waiting process's now: its end of file must not wait for pid 1 */
    close_fd_range(0, 2, 0);
    do
        n = (int) read(ready[0], &b, 1);
    while (n < 0 && errno == EINTR);
    close(ready[0]);
    parked = n == 1 && b == 'R';
    if (parked) { /* PARKED with the claim channel, relayed to the JVM, whose end of file says the exec
                     happened, and the exit channel, on which EXIT comes without the monitor's relay */
        int fds[2] = { claim[0], exits[0] };
        send_fds(sock, MDK_MSG_PARKED, fds, 2);
        exit_channel = exits[1];
    } else {
        close(exits[1]);
    }
    close(claim[0]); /* not sent: the process failed before it was ready (its ERROR went to the monitor) */
    close(exits[0]);
    reduce_pid1(c);
    reap_loop(command, &set, sock); /* EXIT as the command, or the failed process, ends */
}

void __attribute__((noreturn)) run_init(const struct config *c, int sock)
{
    sigset_t set;
    pid_t command;

    become_init(c, &set);
    child_failed = false;
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

    /* sync 4 (pid 1 side): STARTED, or ERROR(step); then pid 1 leaves the protocol */
    if (child_failed) {
        send_error(sock);
        close(exit_channel); /* no EXIT there: the JVM takes this ERROR */
        exit_channel = -1;
    } else
        send_msg(sock, MDK_MSG_STARTED, NULL, 0);
    /* the container's stdio reaches its end-of-file once the command's side closes it */
    close_fd_range(0, 2, 0);
    if (tty_slave >= 0)
        close(tty_slave);
    reduce_pid1(c);
    reap_loop(command, &set, sock);
}

/* sync 3 (pid 1 side): nothing happens in the container before GO. */
void wait_for_go(int sock)
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
int open_stdio_files(const struct config *c)
{
    const char *paths[3] = { "/dev/null", c->stdout_file, c->stderr_file };
    int fd, target;

    for (target = 0; target < 3; target++) {
        if (paths[target] == NULL)
            continue;
        fd = target == 0 ? open(paths[0], O_RDONLY | O_CLOEXEC)
                         : open(paths[target], O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
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
