/*
 * mdk-probe: the escape suite's workload inside a container (EscapeTest). Each subcommand makes
 * one attempt with a direct system call and prints one line, "<attempt>: ok" or
 * "<attempt>: <ERRNO> (<text>)", then exits 0 when the call succeeded and 1 when it failed; 2 is
 * a usage error or a refused precondition (see below). Busybox cannot make most of these calls,
 * and a shell one-liner would hide which call failed and why.
 *
 * Harmless on purpose, should an attempt succeed where it must not (the suite runs on shared
 * machines): a clock attempt sets the time it just read; hostname and reboot attempts refuse to
 * run unless the caller proves, by the host's namespace link given as an argument, that this
 * process is in another UTS or PID namespace (and reboot uses LINUX_REBOOT_CMD_CAD_OFF, which a
 * non-initial PID namespace answers with EINVAL); module loading uses an invalid image; files
 * under /proc/sys and /proc/sysrq-trigger are opened for writing but never written; a device
 * node is opened read-only and never read; cgroup release_agent is opened, never written;
 * "syscalls" passes all-zero arguments, which for every call it is used with means nothing, an
 * invalid request or a fault (and runs without the capabilities those calls check);
 * "create" makes a new empty file only below a directory the test made for it (it refuses any
 * other path); "io-uring" sets up a 1-entry ring and closes it at once, submitting nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

static int report(const char *what, long rc)
{
    if (rc >= 0) {
        printf("%s: ok\n", what);
        return 0;
    }
    printf("%s: %s (%s)\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : "?",
           strerror(errno));
    return 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: mdk-probe ATTEMPT [ARGS]: see mdk-probe.c\n");
    return 2;
}

/* 0 when /proc/self/ns/<ns> differs from host_link ("uts:[4026531838]"), else prints why not. */
static int prove_namespace(const char *ns, const char *host_link)
{
    char path[64], link[128];
    ssize_t n;

    snprintf(path, sizeof path, "/proc/self/ns/%s", ns);
    n = readlink(path, link, sizeof link - 1);
    if (n < 0 || host_link == NULL || host_link[0] == '\0') {
        printf("refused: cannot prove a %s namespace of our own\n", ns);
        return 2;
    }
    link[n] = '\0';
    if (strcmp(link, host_link) == 0) {
        printf("refused: in the host's %s namespace %s\n", ns, link);
        return 2;
    }
    return 0;
}

static int mknod_open(const char *type, const char *major, const char *minor)
{
    const char *node = "/dev/mdk-probe-node";
    dev_t dev = makedev((unsigned) atoi(major), (unsigned) atoi(minor));
    int fd, rc;

    unlink(node);
    rc = report("mknod", mknod(node, (type[0] == 'b' ? S_IFBLK : S_IFCHR) | 0600, dev));
    if (rc != 0)
        return rc;
    fd = open(node, O_RDONLY | O_CLOEXEC); /* never read */
    rc = report("open", fd);
    if (fd >= 0)
        close(fd);
    unlink(node);
    return rc;
}

static int read_file(const char *path)
{
    char buf[4096];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return report("open", -1);
    n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < 0)
        return report("read", -1);
    printf("read: %zd bytes\n", n);
    return 0;
}

/* Opens for writing only: success is the failure being looked for; nothing is ever written. */
static int open_write(const char *path)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int rc = report("open-write", fd);

    if (fd >= 0)
        close(fd);
    return rc;
}

/* The descriptors this process has, besides the one reading /proc/self/fd. */
static int list_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    const char *sep = "";

    if (d == NULL)
        return report("opendir(/proc/self/fd)", -1);
    printf("fds: ");
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
            continue;
        printf("%s%s", sep, e->d_name);
        sep = ",";
    }
    printf("\n");
    closedir(d);
    return 0;
}

/* CVE-2022-0492's shape: a user namespace, a cgroup v1 mount in it, its release_agent. */
static int release_agent(void)
{
    const char *dir = "/dev/mdk-probe-cgroup";
    int rc, fd;

    rc = report("unshare(user|mount|cgroup)", unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP));
    if (rc != 0)
        return rc;
    mkdir(dir, 0700);
    rc = report("mount(cgroup rdma)", mount("cgroup", dir, "cgroup", 0, "rdma"));
    if (rc != 0) {
        rmdir(dir);
        return rc;
    }
    fd = open("/dev/mdk-probe-cgroup/release_agent", O_WRONLY | O_CLOEXEC); /* never written */
    rc = report("open-write(release_agent)", fd);
    if (fd >= 0)
        close(fd);
    umount2(dir, MNT_DETACH);
    rmdir(dir);
    return rc;
}

static int bpf_map(void)
{
    union bpf_attr attr;
    long fd;

    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
    if (fd >= 0)
        close((int) fd);
    return report("bpf(BPF_MAP_CREATE)", fd);
}

static int perf_open(void)
{
    struct perf_event_attr attr;
    long fd;

    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
    if (fd >= 0)
        close((int) fd);
    return report("perf_event_open", fd);
}

/* The "shocker" shape: a file handle, and open_by_handle_at on it. */
static int by_handle(void)
{
    struct { struct file_handle h; unsigned char bytes[MAX_HANDLE_SZ]; } fh;
    int mount_id, root, fd, rc;

    fh.h.handle_bytes = MAX_HANDLE_SZ;
    /* /dev is a tmpfs, whose handles decode (an overlay root's do not without index=on) */
    if (name_to_handle_at(AT_FDCWD, "/dev", &fh.h, &mount_id, 0) < 0) {
        /* forge what the original exploit forged: ext4's root inode */
        memset(&fh, 0, sizeof fh);
        fh.h.handle_bytes = 8;
        fh.h.handle_type = 1;
        fh.bytes[0] = 2;
    }
    root = open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    fd = open_by_handle_at(root, &fh.h, O_RDONLY | O_CLOEXEC);
    rc = report("open_by_handle_at", fd);
    if (fd >= 0)
        close(fd);
    close(root);
    return rc;
}

static int set_time(void)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return report("clock_settime", clock_settime(CLOCK_REALTIME, &now)); /* the time it is */
}

static int raise_rlimit(void)
{
    struct rlimit l;

    getrlimit(RLIMIT_NOFILE, &l);
    printf("nofile: %llu:%llu\n", (unsigned long long) l.rlim_cur, (unsigned long long) l.rlim_max);
    l.rlim_max += 1;
    return report("setrlimit(nofile, hard + 1)", setrlimit(RLIMIT_NOFILE, &l));
}

/* What is allowed without CAP_SYS_RESOURCE: lowering the hard limit. */
static int lower_rlimit(void)
{
    struct rlimit l;

    getrlimit(RLIMIT_NOFILE, &l);
    l.rlim_max -= 1;
    if (l.rlim_cur > l.rlim_max)
        l.rlim_cur = l.rlim_max;
    return report("setrlimit(nofile, hard - 1)", setrlimit(RLIMIT_NOFILE, &l));
}

/* A new, empty file: only under /mdk-probe-rw/, where the tests bind a directory of their own. */
static int create_file(const char *path)
{
    int fd;

    if (strncmp(path, "/mdk-probe-rw/", 14) != 0 || strstr(path, "..") != NULL) {
        printf("refused: %s is not below /mdk-probe-rw/\n", path);
        return 2;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    return report("create", fd);
}

/* io_uring_setup(1 entry): the ring is closed at once, nothing is ever submitted. */
static int io_uring(void)
{
    unsigned char params[120]; /* struct io_uring_params, zeroed: no flags */
    long fd;

    memset(params, 0, sizeof params);
    fd = syscall(425 /* io_uring_setup, on every architecture */, 1, params);
    if (fd >= 0)
        close((int) fd);
    return report("io_uring_setup", fd);
}

int main(int argc, char **argv)
{
    const char *a = argc > 1 ? argv[1] : "";
    const char *arg = argc > 2 ? argv[2] : NULL;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(a, "mount"))
        return report("mount(tmpfs)", mount("tmpfs", "/mnt", "tmpfs", 0, "size=1m"));
    if (!strcmp(a, "umount"))
        return report("umount2(/dev/mqueue)", umount2("/dev/mqueue", MNT_DETACH));
    if (!strcmp(a, "unshare-user"))
        return report("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
    if (!strcmp(a, "unshare-mount"))
        return report("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
    if (!strcmp(a, "setns") && arg) {
        int fd = open(arg, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
            return report("open", -1);
        return report("setns", setns(fd, 0));
    }
    if (!strcmp(a, "pivot-root"))
        return report("pivot_root(., .)", chdir("/") < 0 ? -1 : syscall(SYS_pivot_root, ".", "."));
    if (!strcmp(a, "reboot")) {
        int rc = prove_namespace("pid", arg);

        return rc ? rc : report("reboot(CAD_OFF)", syscall(SYS_reboot, LINUX_REBOOT_MAGIC1,
                                LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF, NULL));
    }
    if (!strcmp(a, "init-module")) {
        static const char image[16] = "not an ELF file";

        return report("init_module", syscall(SYS_init_module, image, sizeof image, ""));
    }
    if (!strcmp(a, "delete-module"))
        return report("delete_module", syscall(SYS_delete_module, "mdk_probe_no_such_module", O_NONBLOCK));
    if (!strcmp(a, "mknod-open") && argc > 4)
        return mknod_open(argv[2], argv[3], argv[4]);
    if (!strcmp(a, "read") && arg)
        return read_file(arg);
    if (!strcmp(a, "open-write") && arg)
        return open_write(arg);
    if (!strcmp(a, "fds"))
        return list_fds();
    if (!strcmp(a, "release-agent"))
        return release_agent();
    if (!strcmp(a, "keyctl"))
        return report("keyctl(GET_KEYRING_ID)", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
                                                        KEY_SPEC_SESSION_KEYRING, 0));
    if (!strcmp(a, "add-key"))
        return report("add_key", syscall(SYS_add_key, "user", "mdk-probe", "x", 1,
                                         KEY_SPEC_PROCESS_KEYRING));
    if (!strcmp(a, "bpf"))
        return bpf_map();
    if (!strcmp(a, "perf"))
        return perf_open();
    if (!strcmp(a, "open-by-handle"))
        return by_handle();
    if (!strcmp(a, "sethostname")) {
        int rc = prove_namespace("uts", arg);

        return rc ? rc : report("sethostname", sethostname("mdk-probe", 9));
    }
    if (!strcmp(a, "settime"))
        return set_time();
    if (!strcmp(a, "rlimit-raise"))
        return raise_rlimit();
    if (!strcmp(a, "rlimit-lower"))
        return lower_rlimit();
    if (!strcmp(a, "syscalls")) {
        /* each number called with all-zero arguments, which no call here turns into harm */
        char what[32];
        int i;

        for (i = 2; i < argc; i++) {
            snprintf(what, sizeof what, "syscall(%s)", argv[i]);
            report(what, syscall(atol(argv[i]), 0, 0, 0, 0, 0, 0));
        }
        return 0;
    }
    if (!strcmp(a, "create") && arg)
        return create_file(arg);
    if (!strcmp(a, "io-uring"))
        return io_uring();
    if (!strcmp(a, "ids")) {
        printf("ids: uid=%d euid=%d gid=%d egid=%d\n", getuid(), geteuid(), getgid(), getegid());
        return 0;
    }
    return usage();
}
