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
 * Owners mode (argument "owners", owners.c): no container; the helper that sets the owners of a
 * rootless user's unpacked layers from inside a user namespace with the containers' mapping.
 *
 * Network mode (argument "network", netholder.c): no container; the holder of a rootless user's
 * named network (a user namespace and a network namespace with the bridge). A monitor given
 * "holder=/proc/PID/ns" as its second argument clones pid 1 into that holder's user namespace.
 *
 * Join mode (argument "join", then JOIN instead of CONFIG, protocol.h): the spawned process
 * clones nothing and becomes a "joiner" that enters a running container past its GO and starts
 * one process in it (exec), with the identity and confinement of the container's command
 * (enter_identity, shared with the start path), and with TTY a pseudo-terminal of its own whose
 * master it sends to the JVM before JOINED.
 *
 * This file holds the two start paths, the monitor's (main) and pid 1's (container_main), step
 * by step; the steps are in one file per concern, declared in mdk.h:
 *   msg.c       errors (fail, last_error) and the messages of the sync socket
 *   config.c    CONFIG and JOIN: records parsed and checked into struct config
 *   mounts.c    pid 1's filesystem: overlay, system mounts, binds, tmpfs, pivot_root, masked and
 *               read-only paths, cgroup file systems
 *   devices.c   /dev's device nodes and links, the cgroup v2 device program
 *   identity.c  rlimits, groups/gid/uid, capabilities, no_new_privs, seccomp
 *   pid1.c      pid 1's setup before GO, the command's exec, the init that reaps and forwards
 *   monitor.c   the monitor's loop: relaying, GO's device program, pid 1's end
 *   join.c      join mode
 *   proxy.c     published ports (section mdk_proxy)
 *   tty.c       pseudo-terminals (section mdk_tty)
 *   idmap.c     a root JVM's remapped container: its lower layers idmapped in pid 1's mount namespace
 *   owners.c    owners mode: a rootless image store's helper in a user namespace (section mdk_owners)
 *
 * Requires Linux 5.11 (clone3, openat2, close_range CLOSE_RANGE_CLOEXEC), as root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "mdk.h"

#define HOLDER_ARG "holder="

/*
 * pid 1, cloned before its CONFIG exists: it waits for the CONFIG the monitor checked and
 * relays (sync 2), builds the container's filesystem while the JVM puts it into its cgroups,
 * and starts nothing of the user's before GO (sync 3).
 */
static void __attribute__((noreturn)) container_main(int sock, int exits)
{
    static struct config c;
    int fifo = -1;

    /* keep 0-2 (container stdio), sock and the exit channel as sock + 1; drop fd 3 and the monitor's ends */
    if (exits != sock + 1) {
        exit_channel = dup3(exits, sock + 1, O_CLOEXEC) < 0 ? -1 : sock + 1;
        close(exits);
    } else {
        exit_channel = exits;
    }
    if (sock > 3)
        close_fd_range(3, (unsigned) sock - 1, 0);
    close_fd_range((unsigned) sock + 2, ~0U, 0);
    arm_parent_death(sock);
    setsid(); /* out of the JVM's session: its terminal's job control must not reach here */
    prefault_for_config();

    /* sync 2 (pid 1 side): CONFIG as the monitor relays it; the filesystem, before GO */
    if (receive_config(sock, &c, MDK_MSG_CONFIG) < 0)
        _exit(1); /* the monitor is gone (it checked this CONFIG before relaying it) */
    for (size_t i = 0; i < c.njoinns; i++) { /* a namespace to enter (host path): before the mounts */
        int fd = open(c.joinns[i].path, O_RDONLY | O_CLOEXEC);

        if (fd < 0 || setns(fd, (int) c.joinns[i].type) < 0) {
            fail(MDK_STEP_NAMESPACE, errno, "setns(%s)", c.joinns[i].path);
            send_error(sock);
            _exit(EXIT_SETUP);
        }
        close(fd);
    }
    if (c.exec_fifo != NULL) { /* a host path: opened before pivot_root, reopened for writing after GO */
        if (mknod(c.exec_fifo, S_IFIFO | 0600, 0) < 0)
            fail(MDK_STEP_MOUNT, errno, "mkfifo(%s)", c.exec_fifo);
        else if ((fifo = open(c.exec_fifo, O_PATH | O_CLOEXEC)) < 0)
            fail(MDK_STEP_MOUNT, errno, "open(%s)", c.exec_fifo);
    }
    if ((c.exec_fifo != NULL && fifo < 0) || (c.console != NULL && connect_console(c.console) < 0)
        || (c.exit_file != NULL && open_stdio_files(&c) < 0)
        || become_mapped_root(&c, sock) < 0 || setup_container(&c) < 0) {
        /* sync 4 (pid 1 side): setup failed */
        send_error(sock);
        _exit(EXIT_SETUP);
    }
    /* sync 3 (pid 1 side): GO; the cgroup namespace and mounts, the terminal */
    wait_for_go(sock);
    if (unshare_cgroup(&c) < 0 || mount_cgroupfs(&c) < 0 /* once its cgroups are final: they become its root */
        || ((c.tags & TAG(MDK_T_TTY)) && open_tty(&c, sock) < 0)) {
        send_error(sock);
        _exit(EXIT_SETUP);
    }
    if (c.park && c.init)
        run_parked_init(&c, sock); /* the command's process made and confined, waiting for CLAIM */
    if (c.park)
        wait_for_claim(&c, sock); /* INIT=0: PARKED; pid 1 waits for its command in the JVM's pool */
    if (fifo >= 0)
        wait_for_start(sock, fifo); /* CREATED; the monitor exits, pid 1 waits for start */
    /* sync 4 and 5 (pid 1 side): the command's exec, STARTED or ERROR; with INIT=1, EXIT */
    if (c.init)
        run_init(&c, sock);
    exec_as_pid1(&c, sock);
}

/*
 * argv[1]: the namespaces of pid 1 as a hexadecimal CLONE_NEW* mask (Spawner passes it); argv[2],
 * optional: a pid namespace file (host path) for pid 1 to be cloned into instead of a new one (a
 * pod's shared pid namespace, mdocker-runtime): the monitor enters it first (setns(CLONE_NEWPID)
 * places its children only), and CLONE_NEWPID in NSFLAGS then means "not the host's".
 */
static int parse_nsflags_arg(int argc, char **argv, uint64_t *nsflags)
{
    char *end;

    if (argc != 2 && argc != 3)
        return fail(MDK_STEP_PROTOCOL, EINVAL, "usage: mdocker-init NSFLAGS [PIDNS]|join (%d arguments)", argc - 1);
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

/*
 * argv[2] "holder=DIR" (DIR: /proc/PID/ns of a network holder, netholder.c): the monitor enters the
 * holder's user namespace, whose owner is this user, so that pid 1 is cloned into it rather than
 * into a new one, and keeps its network namespace (*net) to enter after PUBLISH.
 */
static int join_holder(const char *dir, int *net)
{
    char path[256];
    int fd;

    snprintf(path, sizeof path, "%s/user", dir);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(fd, CLONE_NEWUSER) < 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return fail(MDK_STEP_NAMESPACE, err, "setns(%s, CLONE_NEWUSER)", path);
    }
    close(fd);
    snprintf(path, sizeof path, "%s/net", dir);
    if ((*net = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return fail(MDK_STEP_NAMESPACE, errno, "open(%s)", path);
    return 0;
}

int main(int argc, char **argv)
{
    static struct config cfg;
    struct monitor m = { 0 };
    uint64_t nsflags = 0, nsflags_clone;
    int socks[2], exits[2], fd, holder_net = -1;
    bool in_holder = false;
    ssize_t n;

    close_fd_range(MDK_SYNC_FD + 1, ~0U, 0); /* nothing else from the JVM */
    for (fd = 0; fd < MDK_SYNC_FD; fd++)   /* no socket of ours may land on a stdio number */
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
            return EXIT_SETUP;
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_NAME, "mdocker-init");

    if (argc == 2 && strcmp(argv[1], "join") == 0)
        return join_process(&cfg);
    if (argc == 2 && strcmp(argv[1], "owners") == 0)
        return owners_main();
    if (argc == 2 && strcmp(argv[1], "network") == 0)
        return netholder_main();
    if (parse_nsflags_arg(argc, argv, &nsflags) < 0) {
        send_error(MDK_SYNC_FD);
        return EXIT_SETUP;
    }
    nsflags_clone = nsflags;
    /* socks: the monitor and pid 1; exits: pid 1's EXIT straight to the JVM (PID carries its end) */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0
        || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, exits) < 0) {
        fail(MDK_STEP_CLONE, errno, "socketpair(AF_UNIX, SOCK_SEQPACKET)");
        send_error(MDK_SYNC_FD);
        return EXIT_SETUP;
    }
    if (argc == 3 && strncmp(argv[2], HOLDER_ARG, strlen(HOLDER_ARG)) == 0) {
        /* a rootless named network's holder: pid 1 is cloned into its user namespace */
        if (join_holder(argv[2] + strlen(HOLDER_ARG), &holder_net) < 0) {
            send_error(MDK_SYNC_FD);
            return EXIT_SETUP;
        }
        nsflags_clone &= ~(uint64_t) CLONE_NEWUSER;
        in_holder = true; /* root of the holder's namespace now: not a root JVM's remapped container */
    } else if (argc == 3) { /* a pid namespace to join: pid 1 is cloned into it */
        fd = open(argv[2], O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWPID) < 0) {
            fail(MDK_STEP_NAMESPACE, errno, "setns(%s, CLONE_NEWPID)", argv[2]);
            send_error(MDK_SYNC_FD);
            return EXIT_SETUP;
        }
        close(fd);
        nsflags_clone &= ~(uint64_t) CLONE_NEWPID;
    }
    /* pid 1 is made ahead of its CONFIG: the namespaces are ready when the container is asked for */
    m.pid = clone_container(nsflags_clone, &m.pidfd);
    if (m.pid < 0) {
        send_error(MDK_SYNC_FD);
        return EXIT_SETUP;
    }
    if (m.pid == 0) {
        close(socks[0]);
        close(exits[0]);
        container_main(socks[1], exits[1]);
    }
    close(socks[1]);
    close(exits[1]);
    m.sock = socks[0];
    close_fd_range(0, 2, 0); /* pid 1 has the container's stdio: its end-of-file must not wait for us */
    /* sync 1 (monitor side): PID, with the JVM's end of the exit channel */
    send_msg_fd(MDK_SYNC_FD, MDK_MSG_PID, &(int32_t) { m.pid }, sizeof(int32_t), exits[0]);
    close(exits[0]);
    prefault_for_config();

    /* sync 1a (monitor side): the published ports, when there are any */
    n = next_message_type(MDK_SYNC_FD);
    if (n == MDK_MSG_PUBLISH)
        n = receive_publish(&m.proxy);
    if (n < 0)
        return abandon(&m, n == -1);
    /* in a holder's user namespace: the monitor moves to its network namespace once the published
       ports listen on the host's, so that their connections reach the container on the bridge */
    if (holder_net >= 0) {
        if (setns(holder_net, CLONE_NEWNET) < 0) {
            fail(MDK_STEP_NAMESPACE, errno, "setns(network holder's network namespace)");
            return abandon(&m, true);
        }
        close(holder_net);
    }
    /* sync 2 (monitor side): CONFIG, checked here, then relayed to pid 1 */
    n = receive_config(MDK_SYNC_FD, &cfg, MDK_MSG_CONFIG);
    if (n == -2)
        return abandon(&m, false); /* the JVM went away (an idle pooled monitor at its exit) */
    if (n >= 0 && cfg.nsflags != nsflags)
        n = fail(MDK_STEP_PROTOCOL, EINVAL, "CONFIG: NSFLAGS %#llx, but pid 1 was cloned with %#llx",
                 (unsigned long long) cfg.nsflags, (unsigned long long) nsflags);
    if (n >= 0 && ((cfg.tags & TAG(MDK_T_FORWARD)) || m.proxy != NULL) && set_forward(m.proxy, &cfg) < 0)
        n = -1;
    /* a root JVM's remapped container: the image's layers idmapped to the range (its maps are written) */
    if (n >= 0 && (cfg.nsflags & CLONE_NEWUSER) && !in_holder && geteuid() == 0 && cfg.nlower > 0
        && idmap_lowers(m.pid, &cfg) < 0)
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
    m.devprog = cfg.devprog;
    m.ndevprog = cfg.ndevprog;
    m.park = cfg.park != 0;
    m.exit_file = cfg.exit_file;
    if (m.exit_file != NULL)
        signal(SIGHUP, SIG_IGN); /* a closing terminal of the starting JVM must not end it */
    /* sync 3 to 5 (monitor side): GO and SIGNAL relayed, STARTED/ERROR and EXIT reported */
    return monitor_loop(&m);
}
