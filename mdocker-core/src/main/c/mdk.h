/*
 * mdocker-init's internal header: the parsed CONFIG/JOIN every part reads, the monitor's state,
 * and the functions one file of mdocker-init calls in another, grouped by the file that defines
 * them. File-local helpers stay static in their file. The wire format is protocol.h's.
 */
#ifndef MDOCKER_MDK_H
#define MDOCKER_MDK_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/filter.h>

#include "protocol.h"

struct bpf_insn; /* linux/bpf.h, where a program is built or copied */

#define EXIT_SETUP 125      /* the container could not be set up (Docker's code for it) */
#define TAG(t) (UINT64_C(1) << (t))
#define CGROUPFS_ROOT "/sys/fs/cgroup"

#ifdef __GLIBC__
typedef __rlimit_resource_t rlimit_resource; /* glibc's enum; musl takes an int */
#else
typedef int rlimit_resource;
#endif

/* close_range(2) has no wrapper in musl */
static inline int close_fd_range(unsigned int first, unsigned int last, unsigned int flags)
{
    return (int) syscall(SYS_close_range, first, last, flags);
}

/*
 * Pseudo-terminals (record TTY, tty.c) and published ports (PUBLISH, FORWARD, proxy.c) are each
 * in a section of their own that build-init.sh links as a segment of its own, away from the code
 * every monitor and pid 1 runs: the kernel maps a whole cached window of a mapping at the first
 * fault (fault-around), so an idle container's helpers are charged for all of the main text
 * segment, and a container without a terminal or published ports must not pay for this code.
 */
#define TTY_CODE __attribute__((section("mdk_tty"), noinline))
#define PROXY_CODE __attribute__((section("mdk_proxy"), noinline))

/* ---------------------------------------------------------------------------------------- */
/* The parsed CONFIG (or JOIN): config.c fills it, everything else reads it.                  */

struct bind {
    uint32_t flags;
    char *source; /* host path */
    char *target; /* path inside the container */
};

struct rlimit_rec {
    uint32_t resource;
    struct rlimit limit;
};

struct flagged_mount {
    unsigned long flags; /* MS_* */
    char *target, *data;
};

/* MOUNT (an OCI runtime's mounts, in order) */
struct listed_mount {
    unsigned long flags, propagation; /* MS_* */
    char *type, *source, *target, *data;
};

struct joinns {
    uint32_t type; /* CLONE_NEW* */
    char *path;
};

struct sysctl {
    char *key, *value;
};

struct device {
    uint32_t type, major, minor, mode, uid, gid; /* type: S_IFCHR, S_IFBLK or S_IFIFO */
    char *path;
};

struct config {
    uint64_t tags; /* bit n: a record with tag n was given */
    char **argv, **envp, **lower; /* argv and envp are NULL-terminated */
    size_t argc, envc, nlower, nbinds;
    struct bind *binds;
    /* security */
    bool has_caps;
    uint64_t caps[5]; /* CAPS_BOUNDING .. CAPS_AMBIENT */
    uint32_t security; /* MDK_SEC_* */
    struct sock_fprog seccomp; /* len 0: no filter */
    char *devcgroup; /* cgroup v2 directory for the device program, or NULL */
    struct bpf_insn *devprog; /* DEVPROG: that program, or NULL for the default one */
    size_t ndevprog;
    char *exit_file, *stdout_file, *stderr_file; /* detached containers, or NULL */
    unsigned char forward[4]; /* FORWARD: the container's IPv4 address, for PUBLISH's ports */
    uint16_t tty[2]; /* TTY: rows, columns of the command's pseudo-terminal (tags has MDK_T_TTY) */
    struct rlimit_rec *rlimits;
    size_t nrlimits;
    gid_t *groups;
    size_t ngroups;
    char **masked, **readonly;
    size_t nmasked, nreadonly;
    struct flagged_mount *tmpfs, *cgroupfs;
    size_t ntmpfs, ncgroupfs;
    struct flagged_mount layerfs; /* target NULL: no LAYERFS (the layer is on the lib root) */
    char *upper, *work, *merged, *hostname, *cwd;
    char *rootfs;    /* ROOTFS: bound and pivoted into instead of the overlay, or NULL */
    char *exec_fifo; /* EXECFIFO: pid 1 waits on it before exec, or NULL */
    char *console;   /* CONSOLE: where the terminal's master goes, or NULL */
    struct listed_mount *mounts; /* MOUNT, in order */
    size_t nmounts;
    struct sysctl *sysctls;
    size_t nsysctls;
    uint32_t orphan; /* ORPHAN (join mode) */
    uint32_t park;   /* PARK: wait for CLAIM after GO */
    bool claim;      /* this struct holds a CLAIM's records */
    struct joinns *joinns; /* JOINNS */
    size_t njoinns;
    struct device *devices; /* DEVICE */
    size_t ndevices;
    char *overlay_data; /* "lowerdir=...,upperdir=...,workdir=...,volatile" */
    char *overlay_cwd;  /* when set, the lowerdirs are relative to it: mount from there */
    uint32_t uid, gid;
    uint64_t nsflags;
    bool init;
    /* join mode (JOIN instead of CONFIG) */
    bool join;
    pid_t join_pid;      /* host pid of the container's pid 1 */
    uint64_t join_start; /* its start time, against pid reuse */
    char **cgroups;      /* the container's cgroup directories */
    size_t ncgroups;
};

enum { CAPS_BOUNDING, CAPS_EFFECTIVE, CAPS_PERMITTED, CAPS_INHERITABLE, CAPS_AMBIENT };

/* ---------------------------------------------------------------------------------------- */
/* The monitor's state (monitor.c; main.c fills it on the start path).                         */

struct proxy;

struct monitor {
    bool handed_over; /* CREATED relayed: pid 1 is no longer ours, the monitor exits */
    pid_t pid;  /* host pid of container pid 1: never reaped before sync 5, so kill() is safe */
    int pidfd;
    int sock;   /* our end of the socketpair with pid 1; -1 after EOF */
    bool init;
    bool go_sent, exec_next, error_seen, started_sent, exit_sent;
    bool may_reap; /* GO relayed, or pid 1 killed by us: until then pid 1 stays a zombie if it
                      dies, so that the pid the JVM writes into cgroup.procs is never reused */
    const char *devcgroup; /* CONFIG's DEVCGROUP: the device program goes there at GO */
    const struct bpf_insn *devprog; /* CONFIG's DEVPROG, or NULL: the default program */
    size_t ndevprog;
    const char *exit_file; /* detached: where pid 1's exit status goes; else NULL */
    int32_t exit_code, exit_signal; /* pid 1's own EXIT, once exit_sent */
    struct proxy *proxy; /* PUBLISH's ports, or NULL */
    bool tty; /* CONFIG has TTY: pid 1 sends the terminal's master (TTY), relayed to the JVM */
    bool park, claim_sent; /* CONFIG has PARK; CLAIM relayed to pid 1 */
};

/* ---------------------------------------------------------------------------------------- */
/* msg.c: errors and messages                                                                  */

extern unsigned char msgbuf[MDK_MAX_MESSAGE]; /* the receive buffer of each process */
extern bool handed_over; /* pid 1 after CREATED: no monitor; errors go to stderr, no parent death signal */
extern bool orphan_ok;   /* ORPHAN: the exec'd process outlives its joiner (no parent death signal) */
int fail(int step, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int failure_exit_code(void);
int send_msg(int fd, uint16_t type, const void *payload, size_t len);
int send_msg_fd(int fd, uint16_t type, const void *payload, size_t len, int passed);
void send_pair(int fd, uint16_t type, int32_t a, int32_t b);
void send_error(int fd);
ssize_t recv_datagram(int fd, void *buf, size_t cap, int flags);
int parse_header(const unsigned char *buf, size_t n, struct mdk_header *h);

/* config.c: CONFIG and JOIN records */
void *cfg_alloc(size_t count, size_t size);
int check_nsflags(const char *what, uint64_t nsflags);
const char *cgroupfs_name(const char *target);
ssize_t receive_config(int fd, struct config *c, uint16_t type);
int receive_claim(int fd, struct config *c);
void prefault_for_config(void);
void prefault_for_claim(struct config *c);

/* mounts.c: pid 1's filesystem */
int open_beneath(int root, const char *path);
int setup_rootfs(const struct config *c);
int protect_paths(const struct config *c);
int readonly_rootfs(const struct config *c);
int prepare_cgroupfs(const struct config *c);
int mount_cgroupfs(const struct config *c);

/* devices.c: /dev and the cgroup v2 device program */
int populate_dev(int root, bool bind_nodes);
int make_devices(int root, const struct config *c);
int attach_device_filter(const char *cgroup, const struct bpf_insn *program, size_t len);

/* identity.c: rlimits, user, capabilities, no_new_privs, seccomp */
int set_rlimits(const struct config *c);
void arm_parent_death(int sock);
void find_last_cap(void);
void find_runtime_caps(void);
int enter_identity(const struct config *c, int sock);

/* pid1.c: pid 1's setup, the command's exec, the init */
extern volatile bool child_failed;
extern int exit_channel; /* pid 1's end of the exit channel (PID carried the JVM's), or -1 */
int setup_container(const struct config *c);
int open_stdio_files(const struct config *c);
void wait_for_go(int sock);
void wait_for_start(int sock, int fifo);
void wait_for_claim(struct config *c, int sock);
int unshare_cgroup(const struct config *c);
int exec_command(const struct config *c, int sock);
void __attribute__((noreturn)) run_init(const struct config *c, int sock);
void __attribute__((noreturn)) run_parked_init(struct config *c, int sock);
void __attribute__((noreturn)) exec_as_pid1(const struct config *c, int sock);

/* monitor.c: the host-side monitor */
pid_t clone_container(uint64_t nsflags, int *pidfd);
int monitor_loop(struct monitor *m);
int abandon(struct monitor *m, bool report);

/* userns.c: inside a user namespace (rootless) */
bool in_userns(const struct config *c);
int become_mapped_root(const struct config *c, int sock);
bool single_mapping(void);
bool setgroups_denied(void);
int loopback_up(void);
int bind_host_device(int dev, const char *name);

/* idmap.c: a root JVM's remapped container's lower layers, idmapped in pid 1's mount namespace */
int idmap_lowers(pid_t pid, const struct config *c);

/* join.c: join mode (exec) */
int join_main(const struct config *c);

/* owners.c: owners mode (a rootless image store's helper; section mdk_owners) */
int owners_main(void);

/* netholder.c: network mode (the holder of a rootless user's named network; section mdk_owners) */
int netholder_main(void);

/* proxy.c: published ports */
PROXY_CODE int receive_publish(struct proxy **out);
PROXY_CODE int set_forward(struct proxy *p, const struct config *c);
PROXY_CODE nfds_t proxy_pollfds(struct proxy *p, const struct pollfd monitor[3], bool serving);
PROXY_CODE void proxy_serve(struct proxy *p);
PROXY_CODE struct pollfd *proxy_pfds(struct proxy *p);

/* tty.c: pseudo-terminals */
extern int tty_slave; /* the pseudo-terminal's peer for the command (TTY), until it runs */
extern int console_fd; /* CONSOLE's connected socket, or -1 */
TTY_CODE int connect_console(const char *path);
TTY_CODE void send_fd(int sock, uint16_t type, int fd);
TTY_CODE void send_fds(int sock, uint16_t type, const int *fds, int n);
TTY_CODE int check_tty(const struct config *c, const char *msg);
TTY_CODE ssize_t recv_relaying_tty(int sock, void *buf, size_t cap, int flags);
TTY_CODE int open_tty(const struct config *c, int sock);
TTY_CODE int attach_tty(int slave);

#endif
