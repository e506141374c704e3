/*
 * Devices: the safe device set in the container's fresh /dev, and on cgroup v2 hosts the
 * device program the monitor attaches to the container's cgroup at GO.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/bpf.h>

#include "mdk.h"

static const struct {
    const char *name;
    unsigned major, minor;
} devices[] = {
    { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
    { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
    const char *name, *target;
} dev_links[] = {
    { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
    { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },
};

/*
 * The safe device set in the fresh /dev tmpfs (no host device is reachable otherwise); in a user
 * namespace, where mknod is refused, the host's nodes of the same set bound onto empty files.
 */
int populate_dev(int root, bool bind_nodes)
{
    size_t i;
    int dev = open_beneath(root, "/dev");

    if (dev < 0)
        return fail(MDK_STEP_MOUNT, errno, "open(/dev in rootfs)");
    for (i = 0; i < sizeof devices / sizeof devices[0]; i++)
        if (bind_nodes) {
            if (bind_host_device(dev, devices[i].name) < 0)
                goto out;
        } else if (mknodat(dev, devices[i].name, S_IFCHR | 0666,
                    makedev(devices[i].major, devices[i].minor)) < 0) {
            fail(MDK_STEP_MOUNT, errno, "mknod(/dev/%s)", devices[i].name);
            goto out;
        }
    for (i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
        if (symlinkat(dev_links[i].target, dev, dev_links[i].name) < 0) {
            fail(MDK_STEP_MOUNT, errno, "symlink(/dev/%s -> %s)", dev_links[i].name,
                 dev_links[i].target);
            goto out;
        }
    close(dev);
    return 0;
out:
    close(dev);
    return -1;
}

/* ---------------------------------------------------------------------------------------- */
/* cgroup v2 devices: a BPF_PROG_TYPE_CGROUP_DEVICE program with Docker's default rules       */
/* (DeviceRules.DEFAULT_ALLOWED_TEXT; a container with rules of its own brings its program in */
/* DEVPROG, made by DeviceRules.bpfProgram): creating any c/b node; using c 1:3 1:5 1:7 1:8    */
/* 1:9 5:0 5:1 5:2                                                                            */
/* 136:* 10:200; nothing else. The ctx is struct bpf_cgroup_dev_ctx: access_type (low 16 bits */
/* BPF_DEVCG_DEV_*, high 16 bits BPF_DEVCG_ACC_*), major, minor. Returns 1 allow, 0 deny.    */

enum { DEV_ALLOW = -1, DEV_DENY = -2 }; /* jump targets resolved by build_device_filter */

struct dev_insn {
    struct bpf_insn insn;
    int target; /* DEV_ALLOW, DEV_DENY, or 0: no jump */
};

#define DI_LDX_W(d, o) { { .code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = d, .src_reg = BPF_REG_1, .off = o }, 0 }
#define DI_ALU(op, d, k) { { .code = BPF_ALU64 | op | BPF_K, .dst_reg = d, .imm = k }, 0 }
#define DI_MOVX(d, s) { { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = d, .src_reg = s }, 0 }
#define DI_JEQ(r, k, to) { { .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = r, .imm = k }, to }
#define DI_JNE_SKIP(r, k, n) { { .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = r, .off = n, .imm = k }, 0 }
#define DI_JNE(r, k, to) { { .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = r, .imm = k }, to }

static const struct dev_insn device_filter[] = {
    DI_LDX_W(BPF_REG_2, 0),                       /* access_type */
    DI_LDX_W(BPF_REG_4, 4),                       /* major */
    DI_LDX_W(BPF_REG_5, 8),                       /* minor */
    DI_MOVX(BPF_REG_3, BPF_REG_2),
    DI_ALU(BPF_AND, BPF_REG_3, 0xffff),           /* r3 = type */
    DI_ALU(BPF_RSH, BPF_REG_2, 16),               /* r2 = access */
    DI_MOVX(BPF_REG_6, BPF_REG_2),
    DI_ALU(BPF_AND, BPF_REG_6, ~BPF_DEVCG_ACC_MKNOD),
    DI_JEQ(BPF_REG_6, 0, DEV_ALLOW),              /* "c *:* m", "b *:* m" */
    DI_JNE(BPF_REG_3, BPF_DEVCG_DEV_CHAR, DEV_DENY), /* no block device is ever opened */
    DI_ALU(BPF_AND, BPF_REG_2, ~(BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)),
    DI_JNE(BPF_REG_2, 0, DEV_DENY),               /* rwm and nothing else */
    DI_JEQ(BPF_REG_4, 136, DEV_ALLOW),            /* c 136:* (/dev/pts/N) */
    DI_JNE_SKIP(BPF_REG_4, 1, 5),
    DI_JEQ(BPF_REG_5, 3, DEV_ALLOW),              /* null */
    DI_JEQ(BPF_REG_5, 5, DEV_ALLOW),              /* zero */
    DI_JEQ(BPF_REG_5, 7, DEV_ALLOW),              /* full */
    DI_JEQ(BPF_REG_5, 8, DEV_ALLOW),              /* random */
    DI_JEQ(BPF_REG_5, 9, DEV_ALLOW),              /* urandom */
    DI_JNE_SKIP(BPF_REG_4, 5, 3),
    DI_JEQ(BPF_REG_5, 0, DEV_ALLOW),              /* tty */
    DI_JEQ(BPF_REG_5, 1, DEV_ALLOW),              /* console */
    DI_JEQ(BPF_REG_5, 2, DEV_ALLOW),              /* ptmx */
    DI_JNE(BPF_REG_4, 10, DEV_DENY),
    DI_JEQ(BPF_REG_5, 200, DEV_ALLOW),            /* net/tun */
};
#define DEVICE_FILTER_LEN (sizeof(device_filter) / sizeof(device_filter[0]))

static int bpf_call(int cmd, union bpf_attr *attr)
{
    return (int) syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/*
 * Loads the device program and attaches it to the cgroup: `program` (len instructions, DEVPROG:
 * the container's own rules, built by the JVM) or, when NULL, the default one above.
 */
int attach_device_filter(const char *cgroup, const struct bpf_insn *program, size_t len)
{
    static struct bpf_insn prog[DEVICE_FILTER_LEN + 4];
    static char log[8192];
    const int deny = DEVICE_FILTER_LEN, allow = DEVICE_FILTER_LEN + 2;
    union bpf_attr attr;
    int progfd, cgfd, err;
    size_t i;

    if (program == NULL) {
        for (i = 0; i < DEVICE_FILTER_LEN; i++) {
            prog[i] = device_filter[i].insn;
            if (device_filter[i].target != 0)
                prog[i].off = (int16_t) ((device_filter[i].target == DEV_ALLOW ? allow : deny) - (int) i - 1);
        }
        prog[deny] = (struct bpf_insn) { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 };
        prog[deny + 1] = (struct bpf_insn) { .code = BPF_JMP | BPF_EXIT };
        prog[allow] = (struct bpf_insn) { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 };
        prog[allow + 1] = (struct bpf_insn) { .code = BPF_JMP | BPF_EXIT };
        program = prog;
        len = DEVICE_FILTER_LEN + 4;
    }

    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t) (uintptr_t) program;
    attr.insn_cnt = (uint32_t) len;
    attr.license = (uint64_t) (uintptr_t) "Apache-2.0";
    progfd = bpf_call(BPF_PROG_LOAD, &attr);
    if (progfd < 0 && errno == EINVAL) { /* once more with the verifier's log, for the message */
        attr.log_buf = (uint64_t) (uintptr_t) log;
        attr.log_size = sizeof(log);
        attr.log_level = 1;
        progfd = bpf_call(BPF_PROG_LOAD, &attr);
    }
    if (progfd < 0) {
        err = errno;
        log[sizeof(log) - 1] = '\0';
        if ((err == EINVAL && log[0] == '\0') || err == ENOSYS)
            return fail(MDK_STEP_DEVICES, err, "bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE): the kernel has "
                        "no cgroup device programs (CONFIG_CGROUP_BPF), so a cgroup v2 host cannot restrict "
                        "the container's devices; only privileged containers run there");
        return fail(MDK_STEP_DEVICES, err, "bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE): %.200s", log);
    }
    cgfd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0) {
        err = errno;
        close(progfd);
        return fail(MDK_STEP_DEVICES, err, "open(%s)", cgroup);
    }
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t) cgfd;
    attr.attach_bpf_fd = (uint32_t) progfd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI; /* a parent's programs keep applying; a child's cannot widen ours */
    if (bpf_call(BPF_PROG_ATTACH, &attr) < 0) {
        err = errno;
        close(cgfd);
        close(progfd);
        return fail(MDK_STEP_DEVICES, err, "bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, %s)", cgroup);
    }
    close(cgfd);
    close(progfd); /* the attachment holds the program until the cgroup goes */
    return 0;
}

/*
 * The DEVICE nodes, after the mounts: each made under root's /dev (a missing parent directory
 * made 0755, a node already there replaced), with its mode and owner. Every step below root
 * opens the next component with O_NOFOLLOW: a symbolic link in the rootfs leads nowhere.
 */
int make_devices(int root, const struct config *c)
{
    char name[PATH_MAX];
    size_t i;

    for (i = 0; i < c->ndevices; i++) {
        const struct device *d = &c->devices[i];
        char *part, *next;
        int dir = open_beneath(root, "/dev"), sub;

        if (dir < 0)
            return fail(MDK_STEP_MOUNT, errno, "open(/dev in rootfs)");
        snprintf(name, sizeof name, "%s", d->path + 5); /* after "/dev/" */
        for (part = name; (next = strchr(part, '/')) != NULL; part = next + 1) {
            *next = '\0';
            if (mkdirat(dir, part, 0755) < 0 && errno != EEXIST) {
                fail(MDK_STEP_MOUNT, errno, "mkdir(%s: %s)", d->path, part);
                close(dir);
                return -1;
            }
            sub = openat(dir, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            close(dir);
            if (sub < 0)
                return fail(MDK_STEP_MOUNT, errno, "open(%s: %s)", d->path, part);
            dir = sub;
        }
        if (unlinkat(dir, part, 0) < 0 && errno != ENOENT) {
            fail(MDK_STEP_MOUNT, errno, "unlink(%s)", d->path);
            close(dir);
            return -1;
        }
        if (mknodat(dir, part, d->type | d->mode, makedev(d->major, d->minor)) < 0
            || fchmodat(dir, part, d->mode, 0) < 0 /* without the umask */
            || fchownat(dir, part, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0) {
            fail(MDK_STEP_MOUNT, errno, "mknod(%s, %c %u:%u)", d->path,
                 d->type == S_IFBLK ? 'b' : d->type == S_IFCHR ? 'c' : 'p', d->major, d->minor);
            close(dir);
            return -1;
        }
        close(dir);
    }
    return 0;
}
