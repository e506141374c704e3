/*
 * The state file (oci-front): <root>/<id>/state, which the JVM's create writes (its format:
 * OciState.java) and the front end only reads -- one record a line, fields separated by one
 * space, each escaped -- into struct state; the directories of its cgroup records; and the
 * status, which is never stored but read now (stopped once the pid with its recorded start time
 * no longer runs, or is a zombie; created while the exec fifo exists; paused while a freezer
 * says so).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"

const char *const STATUS[] = { "created", "running", "stopped", "paused" };

/* A field of the state file, unescaped in place: \\ and \xHH. */
static char *unescape(char *f)
{
    char *w = f;
    for (char *r = f; *r; r++) {
        if (r[0] == '\\' && r[1] == 'x' && isxdigit((unsigned char)r[2]) && isxdigit((unsigned char)r[3])) {
            char hex[3] = { r[2], r[3], 0 };
            *w++ = (char)strtol(hex, NULL, 16);
            r += 3;
        } else if (r[0] == '\\' && r[1]) {
            *w++ = *++r;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return f;
}

void check_id(const char *id)
{
    size_t n = strlen(id);
    int ok = n > 0 && n <= 1024 && strcmp(id, ".") != 0 && strcmp(id, "..") != 0;
    for (const char *p = id; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || strchr("_+.-", *p);
    if (!ok)
        die("container id '%s' is not valid (expected letters, digits, _ + . -)", id);
}

/* Reads the state of id: 0, or -1 when there is none (no state file). */
int read_state(const char *id, struct state *st)
{
    check_id(id);
    memset(st, 0, sizeof *st);
    st->id = id;
    st->dir = path_join(root, id);
    char *file = path_join(st->dir, "state");
    char *text = read_file(file, NULL);
    if (!text) {
        if (errno == ENOENT || errno == ENOTDIR)
            return -1;
        die("reading %s: %s", file, strerror(errno));
    }
    size_t lines = 1;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    st->ann_k = calloc(lines, sizeof(char *));
    st->ann_v = calloc(lines, sizeof(char *));
    st->cg_k = calloc(lines, sizeof(char *));
    st->cg_v = calloc(lines, sizeof(char *));
    st->hooks = calloc(lines, sizeof(struct hook));
    const char *pid = NULL, *start = NULL;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t nf = 1;
        for (char *p = line; *p; p++)
            nf += *p == ' ';
        char **f = calloc(nf + 1, sizeof(char *));
        size_t i = 0;
        for (char *p = line;; ) {
            f[i++] = p;
            p = strchr(p, ' ');
            if (!p)
                break;
            *p++ = '\0';
        }
        for (size_t k = 1; k < nf; k++)
            unescape(f[k]);
        if (strcmp(f[0], "annotation") == 0 && nf >= 3) {
            st->ann_k[st->nann] = f[1];
            st->ann_v[st->nann++] = f[2];
        } else if (strcmp(f[0], "cgroup") == 0 && nf >= 3) {
            st->cg_k[st->ncg] = f[1];
            st->cg_v[st->ncg++] = f[2];
        } else if (strcmp(f[0], "hook") == 0 && nf >= 5) {
            struct hook *h = &st->hooks[st->nhooks++];
            h->kind = f[1];
            h->timeout = atoi(f[2]);
            h->path = f[3];
            h->argc = atoi(f[4]);
            if (h->argc < 0 || (size_t)h->argc > nf - 5)
                die("%s: a hook line with %d arguments has %zu fields", file, h->argc, nf);
            h->args = f + 5;
            h->env = f + 5 + h->argc;
            h->envc = (int)(nf - 5 - (size_t)h->argc);
        } else if (nf >= 2) {
            if (strcmp(f[0], "ociVersion") == 0)
                st->oci_version = f[1];
            else if (strcmp(f[0], "pid") == 0)
                pid = f[1];
            else if (strcmp(f[0], "startTime") == 0)
                start = f[1];
            else if (strcmp(f[0], "bundle") == 0)
                st->bundle = f[1];
            else if (strcmp(f[0], "created") == 0)
                st->created = f[1];
        }
    }
    if (!pid || !start || !st->oci_version || !st->bundle || !st->created)
        die("%s: not a complete state file", file);
    st->pid = atoi(pid);
    st->start_time = atoll(start);
    return 0;
}

void read_state_or_die(const char *id, struct state *st)
{
    if (read_state(id, st) < 0)
        die("container %s does not exist", id);
}

struct entry {
    long n;
    char *dir;
};

static int by_n(const void *a, const void *b)
{
    long x = ((const struct entry *)a)->n, y = ((const struct entry *)b)->n;
    return x < y ? -1 : x > y;
}

/*
 * The directories of the entries KEY+N = "VERSION dir" (VERSION "v1 " or "v2 ", or either when
 * NULL: v1 first), in N's order (ContainerCgroups.recorded); a NULL-terminated list.
 */
char **cgroup_dirs(const struct state *st, const char *key, const char *only)
{
    char **all = calloc((size_t)st->ncg + 1, sizeof(char *));
    struct entry *e = calloc((size_t)st->ncg + 1, sizeof(struct entry));
    const char *versions[] = { "v1 ", "v2 " };
    size_t kl = strlen(key);
    int n = 0;
    for (int v = 0; v < 2; v++) {
        if (only && strcmp(only, versions[v]) != 0)
            continue;
        int m = 0;
        for (int i = 0; i < st->ncg; i++) {
            const char *k = st->cg_k[i];
            char *end;
            if (strncmp(k, key, kl) != 0 || strncmp(st->cg_v[i], versions[v], 3) != 0 || !isdigit((unsigned char)k[kl]))
                continue;
            long idx = strtol(k + kl, &end, 10);
            if (*end == '\0') {
                e[m].n = idx;
                e[m++].dir = st->cg_v[i] + 3;
            }
        }
        qsort(e, (size_t)m, sizeof *e, by_n);
        for (int i = 0; i < m; i++)
            all[n++] = e[i].dir;
    }
    free(e);
    return all;
}

enum status status_of(const struct state *st, char **dirs)
{
    if (!is_running(st->pid, st->start_time))
        return STOPPED;
    char *fifo = path_join(st->dir, "exec.fifo");
    int created = exists(fifo);
    free(fifo);
    if (created)
        return CREATED;
    for (char **d = dirs; *d; d++) { /* Freezer.isFrozen */
        char *f = path_join(*d, "cgroup.freeze");
        char *v = read_trimmed(f);
        if (v && strcmp(v, "1") == 0)
            return PAUSED;
        free(f);
        f = path_join(*d, "freezer.state");
        free(v);
        v = read_trimmed(f);
        if (v && strcmp(v, "THAWED") != 0)
            return PAUSED;
        free(v);
        free(f);
    }
    return RUNNING;
}
