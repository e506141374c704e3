/*
 * Rootless containers: what pid 1 and the joiner do differently inside a user namespace (NSFLAGS
 * with CLONE_NEWUSER, which the JVM sets when it is not root). The uid and gid maps are written
 * from outside, by the JVM (newuidmap/newgidmap or a single mapping of its user), after PID and
 * before CONFIG, so pid 1 is root of its namespace by the time it mounts anything. What root of
 * the host would do and a user namespace may not: mknod (the device nodes are bound from the
 * host's /dev instead, as rootless runc does), sysfs without a network namespace of its own (the
 * host's /sys is bound read-only), devpts' gid=5 and setgroups under a single
 * mapping (gid 5 is not mapped; setgroups is denied).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <grp.h>
#include <unistd.h>

#include "mdk.h"

bool in_userns(const struct config *c)
{
    return (c->nsflags & CLONE_NEWUSER) != 0;
}

/*
 * A root JVM's remapped container (userns): pid 1 was cloned by host root, whose uid the map
 * (0.. -> the range) leaves unmapped, and the kernel refuses a mount by an unmapped fsuid. So pid
 * 1 becomes root of its namespace, the range's first id outside, before it mounts anything, and
 * drops host root's supplementary groups. Rootless, the user is mapped to 0 already: nothing to do.
 * setuid clears the parent death signal: armed again.
 */
int become_mapped_root(const struct config *c, int sock)
{
    if (!in_userns(c) || getuid() == 0)
        return 0;
    if (setgroups(0, NULL) < 0)
        return fail(MDK_STEP_USER, errno, "setgroups(0) in the user namespace");
    if (setresgid(0, 0, 0) < 0)
        return fail(MDK_STEP_USER, errno, "setresgid(0) in the user namespace");
    if (setresuid(0, 0, 0) < 0)
        return fail(MDK_STEP_USER, errno, "setresuid(0) in the user namespace");
    arm_parent_death(sock);
    return 0;
}

/* The map has a single line: the JVM's user alone (no subordinate range), setgroups denied. */
bool single_mapping(void)
{
    char buf[256];
    ssize_t n;
    int fd = open("/proc/self/gid_map", O_RDONLY | O_CLOEXEC), lines = 0;

    if (fd < 0)
        return true;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return true;
    buf[n] = '\0';
    for (char *p = buf; *p != '\0'; p++)
        lines += *p == '\n';
    return lines <= 1;
}

/* /proc/self/setgroups says "deny" (a user namespace with a single mapping). */
bool setgroups_denied(void)
{
    char buf[8] = { 0 };
    int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return false;
    if (read(fd, buf, sizeof buf - 1) < 0)
        buf[0] = '\0';
    close(fd);
    return strncmp(buf, "deny", 4) == 0;
}

/* lo up in pid 1's own network namespace, root or rootless (SIOCSIFFLAGS needs CAP_NET_ADMIN
   there: pid 1 has it until it drops its capabilities). */
int loopback_up(void)
{
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

    if (fd < 0)
        return fail(MDK_STEP_NAMESPACE, errno, "socket(AF_INET) for lo");
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        ret = fail(MDK_STEP_NAMESPACE, errno, "ioctl(lo, SIOCGIFFLAGS)");
    else {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
            ret = fail(MDK_STEP_NAMESPACE, errno, "ioctl(lo, SIOCSIFFLAGS IFF_UP)");
    }
    close(fd);
    return ret;
}

/* One device node of the host bound onto an empty file in the container's /dev (fd dev). */
int bind_host_device(int dev, const char *name)
{
    char host[64], target[32];
    int fd = openat(dev, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);

    if (fd < 0)
        return fail(MDK_STEP_MOUNT, errno, "creating /dev/%s", name);
    snprintf(host, sizeof host, "/dev/%s", name);
    snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
    if (mount(host, target, NULL, MS_BIND, NULL) < 0) {
        int err = errno;
        close(fd);
        return fail(MDK_STEP_MOUNT, err, "mount(%s -> /dev/%s, MS_BIND)", host, name);
    }
    close(fd);
    return 0;
}
