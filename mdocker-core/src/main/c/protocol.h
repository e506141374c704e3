/*
 * The protocol between the JVM (io.mdocker.internal.process.Protocol) and mdocker-init.
 *
 * Channel design
 * --------------
 * The JVM starts mdocker-init with posix_spawn, one argument and one end of an AF_UNIX
 * SOCK_SEQPACKET socketpair as fd 3 (MDK_SYNC_FD). The argument says what the process becomes:
 * the CLONE_NEW* namespaces of pid 1 as a hexadecimal mask make it a container's "monitor";
 * "join" makes it a "joiner" (exec, below). Every message is one datagram: a fixed 12-byte header
 * followed by `length` payload bytes. All integers are little-endian (host order on
 * x86_64/aarch64), no padding anywhere.
 *
 * Start sequence:
 *
 *   JVM                      monitor (host namespaces)            container pid 1 (new namespaces)
 *                            clone3 at start-up -----------------> waits on its own socketpair
 *   sync 1  <-------------   PID(host pid of pid 1; the exit channel's end)
 *  [sync 1a PUBLISH ----->   bind + listen each port
 *           <-------------   PUBLISHED(the bound ports) or ERROR(PUBLISH) and exit 125]
 *   sync 2  CONFIG ------>   parse, check NSFLAGS,
 *                            relay CONFIG -----------------------> parse; [DETACH: open STDOUT,
 *   (host-side setup: make the cgroups,                             STDERR, /dev/null onto 0-2];
 *    pid 1 into them, network; in                                   mounts, pivot_root, masked
 *    parallel with pid 1's mounts)                                  paths, CGROUPFS mount points,
 *                                                                   hostname, cwd
 *   sync 3  GO ---------->   [device BPF program onto the
 *                            DEVCGROUP cgroup], relay GO --------> unshare cgroupns; mount
 *                                                                   CGROUPFS; [TTY: open the
 *          [<-------------   relay TTY(master fd) <--------------- pseudo-terminal, send master];
 *                                                                   fork + exec
 *                                                                   cmd (uid/gid, caps, seccomp)
 *   sync 4  <-------------   relay STARTED or ERROR <------------- (exec result via vfork)
 *                            [PUBLISH: serve the published ports
 *                            from here on, to FORWARD's address]
 *           SIGNAL ------>   kill(pid 1, sig)                       forwards to the command
 *   sync 5  <------------------------------------------------------ EXIT(code, 0) on the exit channel,
 *           <-------------   relay EXIT(code, 0) <---------------- then to the monitor; pid 1 exits
 *           <-------------   or EXIT(code, signal) after waitpid(pid 1), when pid 1 sent none;
 *                            [DETACH: "CODE SIGNAL" into the DETACH file]; the monitor exits
 *
 * pid 1 is cloned ahead of CONFIG: a monitor spawned ahead of need (the JVM's pool) has pid 1's
 * namespaces ready, and PID comes first.
 * pid 1 builds its filesystem as soon as CONFIG arrives, while the JVM makes its cgroups and
 * puts it into them (so the cgroup v2 device program is attached at GO, not at CONFIG);
 * GO still gates everything of the user's (the command's exec and the cgroup namespace, which
 * must see the final cgroup). Until GO the monitor does not reap a dead pid 1 (it stays a
 * zombie), so the pid the JVM writes into cgroup.procs can never be another process's. With
 * INIT=1 pid 1 sends EXIT itself as its command ends, before the kernel ends its namespaces, and
 * neither pid 1 nor the monitor keeps a copy of the container's stdio after the command starts,
 * so the JVM has the whole result while the teardown goes on. pid 1 opens a detached
 * container's files itself (DETACH, STDOUT, STDERR): it exists before CONFIG, so it cannot
 * inherit them.
 *
 * A protocol error after PID (bad CONFIG, bad GO, unknown SIGNAL) is answered with
 * ERROR(MDK_STEP_PROTOCOL); the monitor then kills pid 1 (before GO: and exits 125; after GO:
 * EXIT follows as usual). EXIT's signal field is non-zero only when pid 1 itself was killed by a
 * signal; with the init as pid 1, a command killed by SIGTERM gives EXIT(143, 0). The JVM keeps
 * CONFIG below 128 KiB (Protocol.MAX_CONFIG): one datagram is bounded by the sender's SO_SNDBUF
 * (212992 bytes by default).
 *
 * EOF on fd 3 means the JVM is gone (or gave the container up): the monitor SIGKILLs pid 1
 * (which ends the whole PID namespace), reaps it and exits. pid 1 has PR_SET_PDEATHSIG=SIGKILL
 * against the monitor, so killing the monitor ends the container too. A detached container
 * (DETACH) is the exception once STARTED has been relayed: EOF then only ends the monitor's
 * conversation with the JVM, and the monitor records pid 1's exit (pid 1's own EXIT's code, or
 * its wait status) in the DETACH file instead.
 *
 * Published ports can be served by the monitor (PUBLISH, PUBLISHED, FORWARD), which the JVM
 * uses for detached containers: the JVM's own port proxy would end with the JVM. The
 * monitor binds the ports as the first thing asked of it, before the JVM makes anything of the
 * container (a port in use is an error while nothing exists yet; port 0 gets a free port, which
 * PUBLISHED reports), and accepts on them only once STARTED has been relayed (connections made
 * earlier wait in the backlog). Each accepted connection gets a nonblocking connection of its own
 * to FORWARD's address and the port's container port; the monitor copies bytes both ways through
 * two 16 KiB buffers allocated per connection (mmap, unmapped at its end), passes each direction's
 * end of stream on as a half-close, and stops accepting while MDK_MAX_CONNS connections are
 * open. Nothing of this exists in a monitor without PUBLISH. The listening sockets and the
 * connections belong to the monitor alone (pid 1 was cloned before PUBLISH), so they end with it:
 * when the container ends, or the monitor is killed, no port stays bound.
 *
 * Join mode (exec into a running container): an mdocker-init spawned with "join" gets
 * JOIN instead of CONFIG and becomes a "joiner", the parent of one process started inside an
 * existing container. It clones nothing and never touches the container's setup; it only
 * enters it:
 *
 *   JVM                      joiner (host namespaces)                 exec'd process (container's)
 *   JOIN    ------------->   pidfd_open(pid 1), start time == JOINPID's,
 *                            pid 1 past GO (its own cgroup namespace,
 *                            not its monitor's), its rlimits (prlimit),
 *                            open each CGROUP's cgroup.procs,
 *                            setns(pidfd, mnt|uts|ipc|net|pid|cgroup),
 *                            check / is pid 1's root,
 *          [<-------------   TTY(master fd): pseudo-terminal opened
 *                            in the container's devpts]
 *                            vfork ----------------------------->  joins the cgroups ("0" into
 *                                                                     each cgroup.procs), chdir CWD,
 *                                                                     pid 1's rlimits and RLIMITs,
 *                                                                     setsid [TTY: TIOCSCTTY, onto
 *                                                                     0-2], identity (as the
 *                                                                     command's: enter_identity), exec
 *           <-------------   JOINED(host pid, pid in the container), or ERROR(step, errno, text)
 *   SIGNAL  ------------->   kill(-process group of the exec'd process, sig)
 *           <-------------   EXIT(code, signal) after waitpid; then the joiner exits
 *
 * EOF on fd 3 makes the joiner SIGKILL the exec'd process's group, reap it and exit; the exec'd
 * process has PR_SET_PDEATHSIG=SIGKILL against the joiner; and since it lives in the container's
 * PID namespace, the end of the container's pid 1 ends it too. A container whose pid 1 has not
 * had GO yet (it pivots before GO) is refused with ERROR(JOIN, EAGAIN).
 *
 * Pseudo-terminals (record TTY, message TTY, Docker's -t): TTY carries the master (SCM_RIGHTS).
 * Descriptors come only with TTY, PARKED and PID; one arriving with any other message is closed.
 *
 * The exit channel: the monitor makes a second SOCK_SEQPACKET socketpair before it clones pid 1,
 * which keeps one end; PID carries the other to the JVM. pid 1 with INIT=1 sends its command's
 * EXIT there first, so that a JVM waiting for the result (run()) has it without the monitor's
 * relay, and without reading STARTED. Where the command could not be started, pid 1 closes its
 * end instead (ERROR comes through the monitor as before); with INIT=0 exec closes it; a killed
 * pid 1 closes it too: the JVM's end of file says "read the sync socket". PARK replaces it with
 * the channel PARKED carries.
 *
 * Versioning: the header carries MDK_VERSION; a side that receives another version answers
 * with ERROR(MDK_STEP_PROTOCOL, EPROTO) and exits. Bump the version on any incompatible change.
 */
#ifndef MDOCKER_PROTOCOL_H
#define MDOCKER_PROTOCOL_H

#include <stdint.h>

#define MDK_SYNC_FD 3
#define MDK_MAGIC 0x314b444dU /* "MDK1" little-endian */
#define MDK_VERSION 11 /* see Versioning above */
#define MDK_MAX_MESSAGE (256 * 1024) /* largest datagram either side sends */
#define MDK_MAX_REPLY (16 * 1024)   /* largest datagram mdocker-init sends the JVM (an ERROR: its
                                       text is at most PATH_MAX + 256 bytes); the JVM's receive
                                       buffer, so that a reply costs no 256 KiB buffer */

struct mdk_header {
    uint32_t magic;
    uint16_t version;
    uint16_t type;
    uint32_t length; /* payload bytes that follow the header */
};

/* JVM -> monitor */
#define MDK_MSG_CONFIG 1 /* payload: records, see below */
#define MDK_MSG_GO 2     /* payload: empty */
#define MDK_MSG_SIGNAL 3 /* payload: int32 signo, delivered to pid 1 (join mode: to the exec'd
                            process's group) */
#define MDK_MSG_JOIN 4   /* payload: records as CONFIG's (JOIN's subset, see below): join mode */
#define MDK_MSG_PUBLISH 5 /* payload: 1 to MDK_MAX_PORTS entries of 8 bytes: uint8 host IPv4
                             address[4] in network order (0.0.0.0: every address of the host, IPv4
                             and IPv6 where the host has IPv6), uint16 host port (0: a free one),
                             uint16 container port; only between PID and CONFIG, at most once */
#define MDK_MSG_CLAIM 6  /* payload: records ARG (at least one), ENV (the complete environment,
                            replacing CONFIG's when given) and CWD (optional): the command of a
                            parked sandbox (PARK), after PARKED, once: on the claim channel (INIT=1)
                            or through the monitor (INIT=0) */

/* monitor -> JVM */
#define MDK_MSG_PID 101     /* payload: int32 host pid of container pid 1; one descriptor (SCM_RIGHTS):
                               the JVM's end of the exit channel (see The exit channel) */
#define MDK_MSG_ERROR 102   /* payload: int32 step, int32 errno, then UTF-8 text (the object) */
#define MDK_MSG_STARTED 103 /* payload: empty; the user's command has been exec'd */
#define MDK_MSG_EXIT 104    /* payload: int32 exit code (128+n when killed), int32 signal or 0 */
#define MDK_MSG_JOINED 105  /* payload: int32 host pid, int32 pid inside the container: the exec'd
                               process has been exec'd (join mode's STARTED) */
#define MDK_MSG_PUBLISHED 106 /* payload: uint16 bound host port per PUBLISH entry, in its order.
                                 A port that cannot be bound is ERROR(MDK_STEP_PUBLISH, errno,
                                 "PUBLISH[i]: bind(address:port)") instead, and the monitor exits
                                 (125) as for a bad CONFIG */

#define MDK_MSG_TTY 107      /* payload: empty; one descriptor in an SCM_RIGHTS control message: the
                                master side of the command's pseudo-terminal (record TTY). pid 1
                                sends it to the monitor, which relays it (again SCM_RIGHTS) and
                                closes its copy; a joiner sends it itself. Before STARTED/JOINED */

#define MDK_MSG_CREATED 108  /* payload: empty. With EXECFIFO: pid 1 is set up (after GO, its terminal sent)
                                and waits on the fifo; it no longer dies with the monitor, which relays
                                CREATED and exits, leaving pid 1 to the nearest subreaper */

#define MDK_MSG_PARKED 109   /* payload: empty. With PARK: pid 1 is set up past GO (cgroup namespace,
                                cgroup file systems) and waits for CLAIM; with INIT=1 it carries two
                                descriptors (SCM_RIGHTS), relayed as TTY's master is: the claim
                                channel and the exit channel (EXIT, see PARK) */

#define MDK_MAX_PORTS 64   /* published ports of one container */
#define MDK_MAX_CONNS 256  /* connections through them open at once; more wait in the backlog */

/*
 * CONFIG payload: a sequence of records, each
 *   uint16 tag; uint16 reserved (0); uint32 len; uint8 value[len]
 * Strings are not NUL-terminated (len says how long). Unknown tags are an error.
 */
#define MDK_T_ARG 1      /* string, repeated: argv in order (at least one) */
#define MDK_T_ENV 2      /* string "KEY=VALUE", repeated: the complete environment */
#define MDK_T_LOWER 3    /* string, repeated: overlay lower dirs, top-most first */
#define MDK_T_UPPER 4    /* string: overlay upper dir (host path) */
#define MDK_T_WORK 5     /* string: overlay work dir (host path) */
#define MDK_T_MERGED 6   /* string: overlay mount point (host path) */
#define MDK_T_HOSTNAME 7 /* string */
#define MDK_T_CWD 8      /* string: absolute path inside the container; created if missing */
#define MDK_T_UID 9      /* uint32 */
#define MDK_T_GID 10     /* uint32 */
#define MDK_T_BIND 11    /* uint32 flags (MDK_BIND_*), then "source\0target" (no trailing NUL) */
#define MDK_T_NSFLAGS 12 /* uint64 CLONE_NEW* flags for the container (CLONE_NEWCGROUP is
                            applied by pid 1 with unshare after GO, once its cgroup is final) */
#define MDK_T_INIT 13    /* uint32: 1 = pid 1 is mdocker-init, which forks the command (default);
                            0 = the command is exec'd as pid 1 */


/*
 * Security records (all optional; Java always sends CAPS and SECURITY). pid 1 applies them in
 * this order, each step as late as the steps after it allow (crun's and runc's order):
 *   mounts: tmpfs mounts with the binds, before pivot_root; after pivot_root the masked paths,
 *     the read-only paths, then (after the working directory exists) the read-only rootfs;
 *   rlimits (before dropping CAP_SYS_RESOURCE, so hard limits may be raised);
 *   then in the process that execs the command (pid 1's vforked child with INIT=1, pid 1 itself
 *   with INIT=0): bounding set, setgroups/setgid/setuid with PR_SET_KEEPCAPS, capset, ambient,
 *   no_new_privs, and the seccomp filter as the very last step before execve (first instead,
 *   while CAP_SYS_ADMIN is still held, when no_new_privs is off: the kernel wants one or the other).
 * With INIT=1, pid 1 never runs under the filter (it must wait, reap and signal whatever the
 * profile says) and after the command's exec keeps only CAP_KILL, with no_new_privs.
 */
#define MDK_T_CAPS 14     /* 5 x uint64: bounding, effective, permitted, inheritable, ambient
                             (bit n = capability n; bits the kernel lacks are ignored) */
#define MDK_T_SECURITY 15 /* uint32 MDK_SEC_* flags */
#define MDK_T_SECCOMP 16  /* struct sock_filter[len / 8]: the BPF program (seccomp_export_bpf) */
#define MDK_T_RLIMIT 17   /* uint32 resource, uint32 0, uint64 soft, uint64 hard (all-ones: infinity);
                             repeated */
#define MDK_T_GROUPS 18   /* uint32[len / 4]: supplementary groups (default: none) */
#define MDK_T_MASK 19     /* string, repeated: container path hidden under /dev/null (a file) or an
                             empty read-only tmpfs (a directory); missing paths are skipped */
#define MDK_T_READONLY 20 /* string, repeated: container path bind-remounted read-only; missing
                             paths are skipped */
#define MDK_T_TMPFS 21    /* uint32 MS_* flags, then "target\0data" (no trailing NUL) */
#define MDK_T_DEVCGROUP 22 /* string: the container's cgroup v2 directory (host path). The monitor
                              loads a BPF_PROG_TYPE_CGROUP_DEVICE program (DEVPROG's, else one
                              with Docker's default device rules) and attaches it there
                              (BPF_F_ALLOW_MULTI) when GO arrives, before relaying it (the
                              directory may not exist before); absent: no device program
                              (privileged, or cgroup v1 devices) */

/*
 * Detached containers (all three optional; Java sends them together). STDOUT and STDERR are
 * opened by pid 1 (O_WRONLY|O_CREAT|O_APPEND, mode 0640) as CONFIG arrives and made its fds 1
 * and 2, with /dev/null on 0, before its mounts, so the command inherits them and nothing in the
 * JVM pumps the container's output (the pipes of a pooled monitor just see their end-of-file). With DETACH, EOF on fd 3 after STARTED does not kill pid 1: the
 * monitor stays, ignores SIGHUP, and when pid 1 exits writes "CODE SIGNAL\n" (as in EXIT) to
 * DETACH's path through PATH.tmp and rename, then exits. EOF before STARTED kills as usual.
 */
#define MDK_T_DETACH 23 /* string: the exit-status file (host path) */
#define MDK_T_STDOUT 24 /* string: the container's stdout file (host path) */
#define MDK_T_STDERR 25 /* string: the container's stderr file (host path) */

/*
 * JOIN records: ARG (at least one), ENV, CWD (chdir only: not created), UID, GID, GROUPS, CAPS,
 * SECURITY, SECCOMP, RLIMIT, TTY as in CONFIG (the identity the exec'd process takes, applied in the
 * same order as for the command), and these two; any record of mounts, hostname, devices, INIT,
 * NSFLAGS or a detached container's is an error in JOIN, as these two are in CONFIG.
 */
#define MDK_T_JOINPID 26  /* int32 host pid of the container's pid 1, uint32 0, uint64 its start
                             time (field 22 of /proc/PID/stat): a reused pid does not match */
#define MDK_T_CGROUP 27   /* string, repeated: a cgroup directory of the container (host path) that
                             the exec'd process joins */

/*
 * CONFIG, repeated: the container's cgroup file systems (as Docker's /sys/fs/cgroup). Each is
 * uint32 MS_* flags, then "target\0controllers": target /sys/fs/cgroup (then the only one) or
 * /sys/fs/cgroup/NAME; controllers the v1 hierarchy's mount options ("cpu,cpuacct"), empty for
 * cgroup2. Before GO pid 1 readies the mount points: for v1 names, a tmpfs on /sys/fs/cgroup with
 * a directory per NAME and a link per controller of a co-mounted NAME ("cpu -> cpu,cpuacct"),
 * then read-only. After GO, in its new cgroup namespace, it mounts them: each shows the
 * container's own cgroup as its root.
 */
#define MDK_T_CGROUPFS 28
#define MDK_T_FORWARD 29  /* uint8 IPv4 address[4] in network order: the container's address, where
                             the ports of PUBLISH lead; in CONFIG exactly when PUBLISH came before */

/*
 * CONFIG or JOIN: the command (the exec'd process) gets a pseudo-terminal as its stdin, stdout
 * and stderr, and as the controlling terminal of a session of its own. uint16 rows, uint16
 * columns (1 to 65535 each): the initial window size. The process that opens it is inside the
 * container's mount namespace: pid 1 after GO (its cgroups and device rules are final), a joiner
 * after setns. It opens /dev/pts/ptmx of the container's devpts instance (O_NOCTTY; refused
 * unless it is the character device 5:2), unlocks it, sets the window size, opens the peer with
 * TIOCGPTPEER (O_NOCTTY) and sends the master as TTY (MDK_MSG_TTY) before it starts the command.
 * The process that execs the command calls setsid (pid 1 with INIT=0 and an exec'd process lead
 * their session already), makes the peer its controlling terminal (TIOCSCTTY) and its fds 0-2;
 * pid 1 with INIT=1 and the joiner close their copies once it runs. Not with DETACH. The JVM
 * resizes through its master (TIOCSWINSZ), which sends the foreground process group SIGWINCH.
 */
#define MDK_T_TTY 30
/*
 * CONFIG, for an OCI runtime's container (mdocker-runtime; docs/oci-runtime.md):
 * ROOTFS   string: the root filesystem (host path), bound onto itself and pivoted into instead of
 *          an overlay (LOWER, UPPER, WORK and MERGED are then an error).
 * MOUNT    repeated, in order: uint32 MS_* flags, uint32 propagation (MS_PRIVATE, MS_SLAVE,
 *          MS_SHARED or MS_UNBINDABLE, with MS_REC; 0: none), then "type\0source\0target\0data".
 *          With MOUNT or ROOTFS these replace the fixed system mounts (/proc, /sys, /dev, ...);
 *          /dev's devices are made when one targets /dev. A bind (MS_BIND) is remounted with the
 *          flags it has beyond MS_BIND|MS_REC.
 * EXECFIFO string: a fifo (host path). pid 1 opens it O_PATH as CONFIG comes; after GO it sends
 *          CREATED, clears PR_SET_PDEATHSIG and opens it for writing through /proc/self/fd, which
 *          blocks until a reader (mdocker-runtime start) opens it; it writes one byte and execs.
 *          From CREATED on, pid 1 reports failures on its stderr (the monitor is gone).
 * SYSCTL   repeated: "key\0value", written to /proc/sys/<key with . as /> after pivot_root.
 */
#define MDK_T_ROOTFS 31
#define MDK_T_MOUNT 32
#define MDK_T_EXECFIFO 33
#define MDK_T_SYSCTL 34
/* CONSOLE string, with TTY: a unix socket (host path) pid 1 connects to as CONFIG comes; the
 * terminal's master goes there (SCM_RIGHTS, the payload its /dev/pts name) instead of as TTY. */
#define MDK_T_CONSOLE 35
/* JOINNS repeated: uint32 CLONE_NEWNET, CLONE_NEWIPC or CLONE_NEWUTS, then a namespace file (host
 * path): pid 1 enters it with setns as CONFIG comes, before its mounts (pid 1 is cloned without
 * that flag). */
#define MDK_T_JOINNS 36
/* JOIN, with uint32 1: the exec'd process is left to the nearest subreaper: no parent death
 * signal, and the joiner exits once it has sent JOINED (mdocker-runtime exec --detach). JOIN also
 * takes CONSOLE (connected before setns). */
#define MDK_T_ORPHAN 37

/*
 * LAYERFS: uint32 MS_* flags, then "target\0data": a tmpfs pid 1 mounts at target (a host path,
 * in its own mount namespace, so it ends with the container) before the overlay, then creates
 * UPPER and WORK in it; both must lie directly below target. The writable layer of a container
 * with a storage size where the state root's filesystem has no project quotas: data carries
 * size=. Optional, CONFIG only.
 */
#define MDK_T_LAYERFS 38
/*
 * DEVICE repeated: uint32 type (S_IFCHR, S_IFBLK or S_IFIFO), major, minor, mode (permission
 * bits), uid, gid, then the node's path in the container (absolute, under /dev): pid 1 makes it
 * after its mounts (replacing what is there, making missing parent directories) (mdocker-runtime:
 * linux.devices, e.g. a privileged pod's host devices). CONFIG only.
 */
#define MDK_T_DEVICE 39

/*
 * PARK: uint32 1, CONFIG only (the warm pool of the JVM, docs/architecture.md). CONFIG may then
 * lack ARG. pid 1 does everything it does for a container up to the command: its filesystem
 * before GO, after GO its cgroup namespace and cgroup file systems. With INIT=1 it then forks the
 * command's process at once, which takes the command's identity (ids, capabilities, no_new_privs,
 * the seccomp filter last) and waits for CLAIM itself, on a SOCK_SEQPACKET socketpair of its own
 * (the "claim channel"); once it is ready pid 1 sends PARKED carrying the channel's other end
 * (SCM_RIGHTS; the monitor relays it as it relays TTY's master). The JVM sends CLAIM on the
 * channel; the waiting process takes CLAIM's ARG as the command, its ENV (when given) instead of
 * CONFIG's, enters its CWD (when given; created if missing, as the command's user) and execs,
 * which closes its end (CLOEXEC): the JVM's end of file says the command runs (no STARTED follows).
 * A failure it sends as ERROR on the channel before it exits. pid 1 is the init from PARKED on
 * (it holds no copy of the stdio) and sends EXIT as usual, and first the same EXIT on the "exit
 * channel", a second SOCK_SEQPACKET socketpair whose other end PARKED carries after the claim
 * channel: the JVM has the exit without the monitor's relay (one wake-up fewer). With INIT=0 pid 1 waits for CLAIM itself, relayed by the monitor, then goes
 * on as after GO (identity, exec, STARTED). Not with TTY, EXECFIFO or DETACH. EOF on fd 3 while
 * parked ends the container as at any time before STARTED; EOF on the claim channel ends its
 * waiting process.
 *
 *   JVM                      monitor                               pid 1
 *   GO      ------------->   relay GO ---------------------------> cgroupns, cgroupfs
 *                                                                   INIT=1: fork the command's
 *                                                                   process: identity, seccomp
 *           <-------------   relay PARKED(claim channel) <-------- PARKED; it waits on the channel
 *   ... (the sandbox waits in the JVM's pool) ...
 *   CLAIM on the claim channel ----------------------------------> (its process) argv, env, cwd,
 *           <---------------------------------------------------- exec: EOF (or ERROR)
 *   EXIT on the exit channel <----------------------------------- pid 1 reaps the command
 *           <-------------   relay EXIT <------------------------- and sends it as usual too
 *          [INIT=0: CLAIM -> relay CLAIM -> pid 1; identity, exec; STARTED as after GO]
 *   sync 4  <-------------   relay STARTED or ERROR <------------- (as without PARK)
 */
#define MDK_T_PARK 40

/*
 * DEVPROG: struct bpf_insn[len / 8], the BPF_PROG_TYPE_CGROUP_DEVICE program for DEVCGROUP when
 * the container's device rules are not the default ones (DeviceRules.bpfProgram: a container's
 * linux.resources.devices, or its --device allowances). Optional, CONFIG only, with DEVCGROUP.
 */
#define MDK_T_DEVPROG 41

#define MDK_SEC_NO_NEW_PRIVS 1u    /* prctl(PR_SET_NO_NEW_PRIVS) before exec */
#define MDK_SEC_READONLY_ROOTFS 2u /* the container's / is remounted read-only */
#define MDK_SEC_SYSFS_RW 4u        /* /sys is mounted read-write (privileged) */

#define MDK_BIND_READONLY 1u  /* the bind's own mount read-only (MS_REMOUNT|MS_RDONLY) */
#define MDK_BIND_RECURSIVE 2u /* with READONLY: every mount below it too (mount_setattr
                                 AT_RECURSIVE, Linux 5.12); refused without READONLY */

/* ERROR steps: where in the start sequence the failure happened. */
#define MDK_STEP_PROTOCOL 1   /* bad message, version mismatch, truncated config */
#define MDK_STEP_CLONE 2      /* clone3 of the container */
#define MDK_STEP_MOUNT 3      /* any mount/mkdir/mknod of the container's filesystem */
#define MDK_STEP_PIVOT_ROOT 4
#define MDK_STEP_HOSTNAME 5
#define MDK_STEP_CWD 6        /* chdir to the working directory */
#define MDK_STEP_USER 7       /* setgroups/setgid/setuid */
#define MDK_STEP_EXEC 8       /* execve of the command; text = the command as given */
#define MDK_STEP_NAMESPACE 9  /* unshare(CLONE_NEWCGROUP) etc. */
#define MDK_STEP_FORK 10      /* pid 1 could not fork the command */
#define MDK_STEP_CAPABILITIES 11 /* bounding set, capset, ambient set */
#define MDK_STEP_NO_NEW_PRIVS 12
#define MDK_STEP_SECCOMP 13   /* installing the filter */
#define MDK_STEP_RLIMIT 14
#define MDK_STEP_DEVICES 15   /* loading or attaching the cgroup v2 device program */
#define MDK_STEP_STDIO 16     /* opening the STDOUT/STDERR files of a detached container */
#define MDK_STEP_JOIN 17      /* join mode: finding pid 1, its cgroups, setns; errno ESRCH: pid 1
                                 is gone */
#define MDK_STEP_PUBLISH 18   /* binding a published port (text "PUBLISH[i]: ...", i its entry) */
#define MDK_STEP_TTY 19       /* opening the pseudo-terminal, or making it the controlling terminal */

#endif
