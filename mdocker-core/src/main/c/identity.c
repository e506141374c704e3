/*
 * The command's identity and confinement: rlimits (pid 1, while it still holds
 * CAP_SYS_RESOURCE), then in the process that execs the command (pid 1's vforked child, pid 1
 * itself with INIT=0, or a joiner's child) the bounding set, groups, gid and uid, capabilities,
 * no_new_privs and the seccomp filter (enter_identity).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>

#include "mdk.h"

/* While pid 1 still has CAP_SYS_RESOURCE, so a hard limit above the runtime's own is possible. */
int set_rlimits(const struct config *c)
{
    size_t i;

    for (i = 0; i < c->nrlimits; i++)
        if (setrlimit((rlimit_resource) c->rlimits[i].resource, &c->rlimits[i].limit) < 0)
            return fail(MDK_STEP_RLIMIT, errno, "setrlimit(%u, %llu:%llu)", c->rlimits[i].resource,
                        (unsigned long long) c->rlimits[i].limit.rlim_cur,
                        (unsigned long long) c->rlimits[i].limit.rlim_max);
    return 0;
}

/* Die with the monitor. Armed again after setuid, which clears it. */
void arm_parent_death(int sock)
{
    struct pollfd p = { sock, POLLIN, 0 };

    if (handed_over || orphan_ok)
        return; /* its monitor (joiner) goes by design: EXECFIFO, ORPHAN */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (poll(&p, 1, 0) > 0 && (p.revents & POLLHUP)) /* the monitor died before prctl */
        _exit(1);
}

/*
 * The highest capability this kernel knows (PR_CAPBSET_READ fails past it). Found by pid 1
 * before the command's process is made, so that process only reads it.
 */
static int last_cap = -1;

void find_last_cap(void)
{
    int cap;

    for (cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
        ;
    last_cap = cap - 1;
}

static uint64_t valid_caps(uint64_t set)
{
    return last_cap >= 63 ? set : set & ((UINT64_C(1) << (last_cap + 1)) - 1);
}

/* Bounding set first: dropping needs CAP_SETPCAP, which the root we still are has. */
static int drop_bounding(const struct config *c)
{
    int cap;

    for (cap = 0; cap <= last_cap; cap++)
        if (!(c->caps[CAPS_BOUNDING] & (UINT64_C(1) << cap))
            && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            return fail(MDK_STEP_CAPABILITIES, errno, "prctl(PR_CAPBSET_DROP, %d)", cap);
    return 0;
}

/*
 * The runtime's own permitted set, read before the user changes (a non-root user's would be
 * empty): "privileged" (a bounding set of all ones) means every capability mdocker holds; an
 * explicit set asking for one mdocker lacks is an error that names it.
 */
static uint64_t runtime_caps;

void find_runtime_caps(void)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];

    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &h, d) == 0)
        runtime_caps = d[0].permitted | (uint64_t) d[1].permitted << 32;
}

static int set_capabilities(const struct config *c)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    bool all = c->caps[CAPS_BOUNDING] == UINT64_MAX;
    uint64_t held = all ? runtime_caps : UINT64_MAX;
    uint64_t e = valid_caps(c->caps[CAPS_EFFECTIVE]) & held, p = valid_caps(c->caps[CAPS_PERMITTED]) & held;
    uint64_t i = valid_caps(c->caps[CAPS_INHERITABLE]) & held, a = valid_caps(c->caps[CAPS_AMBIENT]) & held;
    uint64_t missing = (e | p | i) & ~runtime_caps;
    int cap;

    if (missing != 0)
        return fail(MDK_STEP_CAPABILITIES, EPERM, "capabilities %#llx asked for, but mdocker itself "
                    "runs without them (its permitted set is %#llx)", (unsigned long long) missing,
                    (unsigned long long) runtime_caps);

    d[0].effective = (uint32_t) e;
    d[1].effective = (uint32_t) (e >> 32);
    d[0].permitted = (uint32_t) p;
    d[1].permitted = (uint32_t) (p >> 32);
    d[0].inheritable = (uint32_t) i;
    d[1].inheritable = (uint32_t) (i >> 32);
    if (syscall(SYS_capset, &h, d) < 0)
        return fail(MDK_STEP_CAPABILITIES, errno, "capset(effective=%#llx, permitted=%#llx)",
                    (unsigned long long) e, (unsigned long long) p);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && a != 0)
        return fail(MDK_STEP_CAPABILITIES, errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
    for (cap = 0; cap <= last_cap; cap++)
        if ((a & (UINT64_C(1) << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            return fail(MDK_STEP_CAPABILITIES, errno, "prctl(PR_CAP_AMBIENT_RAISE, %d)", cap);
    return 0;
}

/*
 * Supplementary groups, gid, uid. A non-root user keeps the permitted set across setuid with
 * PR_SET_KEEPCAPS, so that capset can then set exactly the sets asked for (exec itself clears a
 * non-root process's permitted set, as it does under Docker: only ambient ones would survive).
 */
static int set_user(const struct config *c, int sock)
{
    bool keep = c->has_caps && c->uid != 0;

    if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return fail(MDK_STEP_USER, errno, "prctl(PR_SET_KEEPCAPS)");
    /* a single uid/gid mapping (rootless, no subordinate ids) denies setgroups: none to drop */
    if ((c->ngroups > 0 || !setgroups_denied()) && setgroups(c->ngroups, c->groups) < 0)
        return fail(MDK_STEP_USER, errno, "setgroups(%zu groups)", c->ngroups);
    if (setgid(c->gid) < 0)
        return fail(MDK_STEP_USER, errno, "setgid(%u)", c->gid);
    if (setuid(c->uid) < 0)
        return fail(MDK_STEP_USER, errno, "setuid(%u)", c->uid);
    if (keep && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return fail(MDK_STEP_USER, errno, "prctl(PR_SET_KEEPCAPS, 0)");
    if (sock >= 0)
        arm_parent_death(sock); /* setuid cleared it */
    return 0;
}

static int install_seccomp(const struct config *c)
{
    if (c->seccomp.len == 0)
        return 0;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &c->seccomp) < 0)
        return fail(MDK_STEP_SECCOMP, errno, "seccomp(SECCOMP_SET_MODE_FILTER, %u instructions)",
                    c->seccomp.len);
    return 0;
}

/*
 * The command's identity and confinement, in the process that execs it, right before execve:
 * bounding set, user and groups, capabilities, no_new_privs, seccomp. Without no_new_privs the
 * kernel accepts a filter only from a CAP_SYS_ADMIN holder, so then the filter goes first, while
 * this process is still the runtime's root (the profile must allow the calls that follow, as
 * Docker's does). sock >= 0: pid 1 is this process (INIT=0) and re-arms its parent-death signal.
 */
int enter_identity(const struct config *c, int sock)
{
    bool nnp = c->security & MDK_SEC_NO_NEW_PRIVS;

    if (!nnp && install_seccomp(c) < 0)
        return -1;
    if (c->has_caps && drop_bounding(c) < 0)
        return -1;
    if (set_user(c, sock) < 0)
        return -1;
    if (c->has_caps && set_capabilities(c) < 0)
        return -1;
    if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return fail(MDK_STEP_NO_NEW_PRIVS, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
    if (nnp && install_seccomp(c) < 0)
        return -1;
    return 0;
}
