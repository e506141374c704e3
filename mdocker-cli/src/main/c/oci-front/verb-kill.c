/*
 * kill [--all] ID [SIGNAL] (oci-front): a signal by name or number, sent to the container's
 * process through a pidfd opened before its start time was checked; with --all also to every
 * pid its cgroups list, each through a pidfd.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "front.h"

static const char *const SIGNALS[] = { "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1",
    "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU",
    "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS" };

/* Signal names (with or without SIG, any case; RTMIN+N, RTMAX-N) and numbers 1..64. */
static int parse_signal(const char *s)
{
    size_t len = strlen(s);
    if (len > 0 && strspn(s, "0123456789") == len) {
        int n = len > 3 ? 0 : atoi(s);
        if (n < 1 || n > 64)
            die("signal %s is outside 1..64", s);
        return n;
    }
    char name[32];
    size_t i;
    for (i = 0; i < len && i < sizeof name - 1; i++)
        name[i] = (char)toupper((unsigned char)s[i]);
    name[i] = '\0';
    const char *n = strncmp(name, "SIG", 3) == 0 ? name + 3 : name;
    for (int k = 1; k < (int)(sizeof SIGNALS / sizeof *SIGNALS); k++)
        if (*n && strcmp(n, SIGNALS[k]) == 0)
            return k;
    if (strcmp(n, "IOT") == 0)
        return 6;
    if (strcmp(n, "POLL") == 0)
        return 29;
    int off = 0, rt = strncmp(n, "RTMIN", 5) == 0 ? 1 : strncmp(n, "RTMAX", 5) == 0 ? 2 : 0;
    if (rt && (n[5] == '\0' || (n[5] == (rt == 1 ? '+' : '-') && n[6] && strspn(n + 6, "0123456789") == strlen(n + 6)
                                && strlen(n + 6) <= 2 && (off = atoi(n + 6)) <= 30)))
        return rt == 1 ? 34 + off : 64 - off;
    die("unknown signal '%s'", s);
}

int kill_verb(char **args, int argc)
{
    struct flags f;
    struct state st;
    parse("kill", args, argc, "", "all a", &f);
    const char *id = id_of("kill", &f);
    int sig = parse_signal(f.npos > 1 ? f.pos[1] : "SIGTERM");
    int all = flag(&f, "all", "a") != NULL;
    read_state_or_die(id, &st);
    char **dirs = cgroup_dirs(&st, "cgroup.", NULL);
    int fd = open_process(&st);
    if (fd < 0) {
        if (all)
            return 0; /* nothing left to signal (the shim kills --all a stopped container at delete) */
        die("container %s is not running", id);
    }
    if (all)
        signal_listed(dirs, sig);
    if (pidfd_send_signal(fd, sig) < 0 && errno != ESRCH)
        die("kill %s (pid %d) with signal %d: %s", id, st.pid, sig, strerror(errno));
    return 0;
}
