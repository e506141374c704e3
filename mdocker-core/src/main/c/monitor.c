/*
 * The monitor: the process the JVM spawned, in the host's namespaces. It relays GO and SIGNAL to
 * pid 1 and pid 1's STARTED, ERROR and EXIT to the JVM, attaches the device program at GO, serves
 * the published ports (proxy.c), and reports pid 1's end (sync 3 to 5 of main.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/sched.h>

#include "mdk.h"

/* clone3 into the new namespaces (CLONE_NEWCGROUP waits for GO); fork-like, no new stack. */
pid_t clone_container(uint64_t nsflags, int *pidfd)
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
    bool fds = m->tty || (m->park && m->init); /* a descriptor may come along: relayed with its message */
    ssize_t n = fds ? recv_relaying_tty(m->sock, msgbuf, sizeof msgbuf, flags)
                    : recv_datagram(m->sock, msgbuf, sizeof msgbuf, flags);

    /*
     * pid 1 exited with a message of ours unread (GO relayed while it was failing its setup): the
     * kernel reports that once, ahead of what pid 1 sent before it exited (its ERROR): read on.
     */
    if (n < 0 && errno == ECONNRESET)
        n = fds ? recv_relaying_tty(m->sock, msgbuf, sizeof msgbuf, flags)
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
        || (h.type != MDK_MSG_ERROR && h.type != MDK_MSG_STARTED && h.type != MDK_MSG_EXIT
            && h.type != MDK_MSG_CREATED && h.type != MDK_MSG_PARKED))
        return 1; /* not ours to relay */
    if (h.type == MDK_MSG_PARKED) { /* PARK: set up, waiting for CLAIM */
        if (!m->init) /* INIT=1: relayed with its claim channel by recv_relaying_tty */
            send(MDK_SYNC_FD, msgbuf, (size_t) n, MSG_NOSIGNAL);
        return 1;
    }
    if (h.type == MDK_MSG_CREATED) { /* EXECFIFO: pid 1 waits for start, without us */
        m->handed_over = true;
        send(MDK_SYNC_FD, msgbuf, (size_t) n, MSG_NOSIGNAL);
        return 1;
    }
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
            /* the container's v2 cgroup exists by GO (the JVM makes it while pid 1 mounts) */
            if (m->devcgroup != NULL && attach_device_filter(m->devcgroup, m->devprog, m->ndevprog) < 0) {
                send_error(MDK_SYNC_FD); /* sync 4: ERROR; EXIT follows through the pidfd */
                kill(m->pid, SIGKILL);
                return 0;
            }
            if (m->sock >= 0)
                send_msg(m->sock, MDK_MSG_GO, NULL, 0);
            return 0;
        }
        if (h.type == MDK_MSG_CLAIM && m->park && !m->init && m->go_sent && !m->claim_sent) {
            /* PARK with INIT=0: the command, relayed verbatim; pid 1 checks it (INIT=1: the claim channel) */
            m->claim_sent = true;
            if (m->sock >= 0)
                send(m->sock, msgbuf, (size_t) n, MSG_NOSIGNAL);
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
 * Detached: "CODE SIGNAL\n" into the DETACH file, complete or not at all (a temporary file
 * renamed into place). A failure (a full disk) leaves no file: the exit status is unknown.
 */
static void write_exit_file(const char *path, int code, int sig)
{
    char tmp[PATH_MAX], text[32];
    int fd, n = snprintf(text, sizeof text, "%d %d\n", code, sig);

    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int) sizeof tmp)
        return;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (write(fd, text, (size_t) n) != n || close(fd) < 0 || rename(tmp, path) < 0)
        unlink(tmp);
}

/* sync 5 (monitor side): what pid 1 still had to say, then how it ended. */
static int report_exit(struct monitor *m)
{
    int status = 0, code, sig;

    while (m->sock >= 0 && relay_from_container(m, MSG_DONTWAIT) > 0)
        ;
    while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR)
        ;
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

int monitor_loop(struct monitor *m)
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
        if (m->handed_over)
            return 0; /* pid 1 goes to the nearest subreaper (docs/oci-runtime.md) */
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

/* Before GO: the container never ran anything of the user's; pid 1 goes, and the monitor too. */
int abandon(struct monitor *m, bool report)
{
    if (report)
        send_error(MDK_SYNC_FD);
    kill(m->pid, SIGKILL);
    waitpid(m->pid, NULL, 0);
    return EXIT_SETUP;
}
