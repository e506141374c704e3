/*
 * oci-front: the front end of mdocker-runtime (docs/oci-runtime.md "How a call runs"). The
 * launcher script execs it as
 *
 *   oci-front N JAVA JVM-ARG... io.mdocker.cli.oci.RuntimeMain RUNTIME-ARG...
 *
 * where the N words after N are the JVM's command line. It answers the verbs an engine calls
 * most and that only read a container's state file and /proc and act on a pid or a cgroup --
 * state, kill, start, delete, list, and run --detach's start -- without a JVM; for every other
 * verb (create, exec, ps, pause, resume, update, features, --version, run) and for any global
 * flag it does not know it execs the JVM with the same arguments, which parses them anew.
 *
 * It reads the state file the JVM's create writes, <root>/<id>/state (its format:
 * OciState.java), and never writes one. What it does mirrors the JVM's verbs it replaced: the
 * same error lines ("mdocker-runtime: MSG" on stderr, and with --log a logrus line, JSON with
 * --log-format json), exit status 1; the same status rules (stopped once the pid with its
 * recorded start time no longer runs, or is a zombie; created while the exec fifo exists; paused
 * while a freezer says so); the same cgroup removal (ContainerCgroups.removeRecorded: rmdir,
 * and what is busy is emptied first, through cgroup.kill or a freeze and SIGKILL through
 * pidfds). A pid is signalled only through a pidfd opened before its start time was checked,
 * so a reused pid is never hit.
 *
 * Static, linked with musl (as mdocker-init): no dynamic loader, no libc start-up beyond musl's.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILL_TIMEOUT_MS 10000
#define FREEZE_TIMEOUT_MS 1000
#define SETTLE_TIMEOUT_MS 5000

/* ---------------------------------------------------------------------------------------- */
/* globals, logging, errors */

static const char *root = "/run/mdocker-runtime";
static const char *log_file;
static int json_log, debug_on;

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* One line into --log, as logrus writes it (text or JSON); without --log, all but errors on stderr. */
static void log_line(const char *level, const char *msg)
{
    if (!log_file) {
        if (strcmp(level, "error") != 0)
            fprintf(stderr, "mdocker-runtime: %s: %s\n", level, msg);
        return;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    struct timespec ts;
    struct tm tm;
    char when[64];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    if (json_log) {
        fputs("{\"level\":", m);
        json_string(m, level);
        fputs(",\"msg\":", m);
        json_string(m, msg);
        fprintf(m, ",\"time\":\"%s.%09ldZ\"}\n", when, ts.tv_nsec);
    } else {
        fprintf(m, "time=\"%s.%09ldZ\" level=%s msg=", when, ts.tv_nsec, level);
        json_string(m, msg);
        fputc('\n', m);
    }
    fclose(m);
    int fd = open(log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
        fprintf(stderr, "mdocker-runtime: writing the log %s: %s\n", log_file, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(buf);
}

static char *format(const char *fmt, va_list ap)
{
    char *s;
    if (vasprintf(&s, fmt, ap) < 0)
        return "out of memory";
    return s;
}

/* The call's error: one line on stderr and in the log; exit status 1, as the JVM's. */
__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = format(fmt, ap);
    va_end(ap);
    char *nl = strchr(msg, '\n');
    if (nl)
        *nl = '\0';
    fprintf(stderr, "mdocker-runtime: %s\n", msg);
    log_line("error", msg);
    exit(1);
}

__attribute__((format(printf, 1, 2))) static void warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = format(fmt, ap);
    va_end(ap);
    log_line("warning", msg);
    free(msg);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* files */

/* A file's content, NUL-terminated; NULL with errno when it cannot be read. */
static char *read_file(const char *path, size_t *len_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap)
            buf = realloc(buf, cap *= 2);
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            free(buf);
            errno = e;
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    if (len_out)
        *len_out = len;
    return buf;
}

/* A small file's content without its trailing whitespace; NULL when it cannot be read. */
static char *read_trimmed(const char *path)
{
    char *s = read_file(path, NULL);
    if (s) {
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1]))
            s[--n] = '\0';
    }
    return s;
}

static int write_string(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, value, strlen(value));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static char *path_join(const char *a, const char *b)
{
    char *s;
    if (asprintf(&s, "%s/%s", a, b) < 0)
        die("out of memory");
    return s;
}

/* ---------------------------------------------------------------------------------------- */
/* the state file (OciState.java) */

struct hook {
    const char *kind, *path;
    int timeout, argc, envc;
    char **args, **env;
};

struct state {
    const char *id, *dir, *oci_version, *bundle, *created;
    int pid;
    long long start_time;
    int nann, ncg, nhooks;
    char **ann_k, **ann_v, **cg_k, **cg_v;
    struct hook *hooks;
};

enum status { CREATED, RUNNING, STOPPED, PAUSED };
static const char *const STATUS[] = { "created", "running", "stopped", "paused" };

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

static void check_id(const char *id)
{
    size_t n = strlen(id);
    int ok = n > 0 && n <= 1024 && strcmp(id, ".") != 0 && strcmp(id, "..") != 0;
    for (const char *p = id; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || strchr("_+.-", *p);
    if (!ok)
        die("container id '%s' is not valid (expected letters, digits, _ + . -)", id);
}

/* Reads the state of id: 0, or -1 when there is none (no state file). */
static int read_state(const char *id, struct state *st)
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

static void read_state_or_die(const char *id, struct state *st)
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
static char **cgroup_dirs(const struct state *st, const char *key, const char *only)
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

/* ---------------------------------------------------------------------------------------- */
/* processes */

static int pidfd_open(int pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_send_signal(int fd, int sig)
{
    return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

/* Whether pid that started at start_time still runs (exists with that start time, not a zombie). */
static int is_running(int pid, long long start_time)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    char *stat = pid > 0 ? read_file(path, NULL) : NULL;
    if (!stat)
        return 0;
    char *p = strrchr(stat, ')');
    int running = 0;
    if (p && p[1] == ' ') {
        p += 2; /* field 3, the state */
        char state = *p;
        for (int field = 3; field < 22 && p; field++) {
            p = strchr(p, ' ');
            if (p)
                p++;
        }
        running = p && atoll(p) == start_time && state != 'Z' && state != 'X';
    }
    free(stat);
    return running;
}

/* A pidfd of the container's process while it runs, checked against its start time; -1 when it does not. */
static int open_process(const struct state *st)
{
    int fd = st->pid > 0 ? pidfd_open(st->pid) : -1;
    if (fd >= 0 && !is_running(st->pid, st->start_time)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Waits until the process of fd has exited or ms passed; 1 when it has. */
static int await_exit(int fd, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    long long deadline = now_ms() + ms;
    for (;;) {
        long long left = deadline - now_ms();
        if (left < 0)
            left = 0;
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return 1;
        if (r == 0 || (r < 0 && errno != EINTR))
            return 0;
    }
}

/* The pids listed in the cgroup.procs of dirs (a pid once); a count, into *out. */
static int listed(char **dirs, int **out)
{
    int n = 0, cap = 16;
    int *pids = malloc(sizeof(int) * (size_t)cap);
    for (char **d = dirs; *d; d++) {
        char *procs = path_join(*d, "cgroup.procs");
        char *text = read_file(procs, NULL);
        free(procs);
        if (!text)
            continue; /* that hierarchy's directory went with the container */
        for (char *p = text; *p; ) {
            char *end;
            long pid = strtol(p, &end, 10);
            if (end == p)
                break;
            int seen = 0;
            for (int i = 0; i < n && !seen; i++)
                seen = pids[i] == pid;
            if (!seen) {
                if (n == cap)
                    pids = realloc(pids, sizeof(int) * (size_t)(cap *= 2));
                pids[n++] = (int)pid;
            }
            p = end;
            while (*p == '\n' || *p == ' ')
                p++;
        }
        free(text);
    }
    *out = pids;
    return n;
}

static enum status status_of(const struct state *st, char **dirs)
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

/* The spec's state JSON: pretty (state) or on one line (list, hooks' stdin). */
static void state_json(FILE *f, const struct state *st, enum status s, int pretty)
{
    const char *nl = pretty ? "\n  " : "", *sep = pretty ? ": " : ":";
    fprintf(f, "{%s\"ociVersion\"%s", nl, sep);
    json_string(f, st->oci_version);
    fprintf(f, ",%s\"id\"%s", nl, sep);
    json_string(f, st->id);
    fprintf(f, ",%s\"status\"%s\"%s\",%s\"pid\"%s%d,%s\"bundle\"%s", nl, sep, STATUS[s], nl, sep,
            s == STOPPED ? 0 : st->pid, nl, sep);
    json_string(f, st->bundle);
    fprintf(f, ",%s\"annotations\"%s{", nl, sep);
    for (int i = 0; i < st->nann; i++) {
        fputs(i ? (pretty ? ",\n    " : ",") : (pretty ? "\n    " : ""), f);
        json_string(f, st->ann_k[i]);
        fputs(sep, f);
        json_string(f, st->ann_v[i]);
    }
    fprintf(f, "%s},%s\"created\"%s", st->nann && pretty ? "\n  " : "", nl, sep);
    json_string(f, st->created);
    fputs(pretty ? "\n}" : "}", f);
}

static char *state_text(const struct state *st, enum status s, size_t *len)
{
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    state_json(m, st, s, 0);
    fclose(m);
    return buf;
}

/* ---------------------------------------------------------------------------------------- */
/* hooks */

/*
 * Runs the hooks of one kind in order, each with the state JSON on its stdin, its stdout
 * discarded, its stderr ours, only its own env, its timeout honoured (then SIGKILL). A failing
 * one fails the call when fatal (startContainer), else it is a warning (poststart, poststop).
 */
static void run_hooks(const struct state *st, const char *kind, enum status s, int fatal)
{
    size_t len = 0;
    char *json = NULL;
    for (int i = 0; i < st->nhooks; i++) {
        const struct hook *h = &st->hooks[i];
        if (strcmp(h->kind, kind) != 0)
            continue;
        if (!json)
            json = state_text(st, s, &len);
        char *failure = NULL;
        int in[2], report[2];
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0)
            die("%s hook %s: pipe: %s", kind, h->path, strerror(errno));
        if (len > 65536)
            fcntl(in[1], F_SETPIPE_SZ, (int)len);
        pid_t pid = fork();
        if (pid < 0)
            die("%s hook %s: fork: %s", kind, h->path, strerror(errno));
        if (pid == 0) {
            int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
            dup2(in[0], 0);
            dup2(devnull, 1);
            signal(SIGPIPE, SIG_DFL);
            char **argv = calloc((size_t)h->argc + 2, sizeof(char *));
            char **envp = calloc((size_t)h->envc + 1, sizeof(char *));
            argv[0] = (char *)h->path;
            for (int a = 0; a < h->argc; a++)
                argv[a] = h->args[a];
            for (int e = 0; e < h->envc; e++)
                envp[e] = h->env[e];
            execve(h->path, argv, envp);
            int e = errno;
            if (write(report[1], &e, sizeof e) < 0)
                _exit(127);
            _exit(127);
        }
        close(in[0]);
        close(report[1]);
        int e = 0;
        if (read(report[0], &e, sizeof e) == sizeof e) {
            if (asprintf(&failure, "%s hook %s: %s", kind, h->path, strerror(e)) < 0)
                failure = "out of memory";
        }
        close(report[0]);
        fcntl(in[1], F_SETFL, O_NONBLOCK);
        if (write(in[1], json, len) < 0) {
            /* a hook that does not read its stdin */
        }
        close(in[1]);
        int fd = pidfd_open(pid);
        int done = fd < 0 || h->timeout <= 0 || await_exit(fd, h->timeout * 1000);
        if (!done) {
            kill(pid, SIGKILL);
            if (!failure && asprintf(&failure, "%s hook %s timed out after %d s", kind, h->path, h->timeout) < 0)
                failure = "out of memory";
        }
        if (fd >= 0)
            close(fd);
        int ws;
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
        }
        if (!failure && done) {
            int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
            if (code != 0 && asprintf(&failure, "%s hook %s exited with %d", kind, h->path, code) < 0)
                failure = "out of memory";
        }
        if (failure) {
            if (fatal)
                die("%s", failure);
            warn("%s", failure);
        }
    }
    free(json);
}

/* ---------------------------------------------------------------------------------------- */
/* cgroups */

/* rmdir: 1 removed, 0 gone already, -1 busy (processes or children), dies on other failures. */
static int rmdir_cgroup(const char *dir)
{
    if (rmdir(dir) == 0)
        return 1;
    if (errno == ENOENT)
        return 0;
    if (errno == EBUSY || errno == ENOTEMPTY || errno == EEXIST)
        return -1;
    die("removing cgroup %s: %s", dir, strerror(errno));
}

/* Freezer.set for one directory: writes the state and waits until the kernel reports it. */
static int set_frozen(const char *dir, int frozen, int timeout_ms)
{
    char *v2 = path_join(dir, "cgroup.freeze"), *v1 = path_join(dir, "freezer.state");
    long long deadline = now_ms() + timeout_ms;
    int any = 1;
    if (exists(v2)) {
        if (write_string(v2, frozen ? "1" : "0") < 0)
            die("writing %s: %s", v2, strerror(errno));
        char *events = path_join(dir, "cgroup.events");
        for (;;) {
            char *e = read_file(events, NULL);
            char *line = e ? strstr(e, "frozen ") : NULL;
            int now = line && line[7] == '1';
            free(e);
            if (now == frozen || now_ms() > deadline)
                break;
            sleep_ms(1);
        }
        free(events);
    } else if (exists(v1)) {
        if (write_string(v1, frozen ? "FROZEN" : "THAWED") < 0)
            die("writing %s: %s", v1, strerror(errno));
        for (;;) {
            char *s = read_trimmed(v1);
            int reached = s && strcmp(s, frozen ? "FROZEN" : "THAWED") == 0;
            free(s);
            if (reached || now_ms() > deadline)
                break;
            sleep_ms(1);
        }
    } else {
        any = 0;
    }
    free(v1);
    free(v2);
    return any;
}

/*
 * Kills every process in dirs and waits until none is left (Stragglers.kill): v2 writes
 * cgroup.kill; v1 freezes the freezer cgroup among them (if any), sends SIGKILL through pidfds
 * opened while each pid was listed and still listed after, and thaws.
 */
static void kill_all(char **dirs, const char *freezer, const char *kill_file)
{
    long long deadline = now_ms() + KILL_TIMEOUT_MS;
    for (;;) {
        int *pids;
        int n = listed(dirs, &pids);
        if (n == 0) {
            free(pids);
            return;
        }
        if (now_ms() > deadline)
            die("%d processes (the first %d) were still in %s %d s after they were killed", n, pids[0], dirs[0],
                KILL_TIMEOUT_MS / 1000);
        int *fds = malloc(sizeof(int) * (size_t)n);
        if (kill_file) {
            for (int i = 0; i < n; i++)
                fds[i] = pidfd_open(pids[i]);
            if (write_string(kill_file, "1") < 0)
                die("writing %s: %s", kill_file, strerror(errno));
        } else {
            if (freezer)
                set_frozen(freezer, 1, FREEZE_TIMEOUT_MS);
            for (int i = 0; i < n; i++)
                fds[i] = pidfd_open(pids[i]);
            int *still;
            int m = listed(dirs, &still);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < m; j++)
                    if (fds[i] >= 0 && still[j] == pids[i])
                        pidfd_send_signal(fds[i], SIGKILL);
            free(still);
            if (freezer)
                set_frozen(freezer, 0, SETTLE_TIMEOUT_MS);
        }
        for (int i = 0; i < n; i++) {
            if (fds[i] >= 0) {
                long long left = deadline - now_ms();
                await_exit(fds[i], left > 0 ? (int)left : 0);
                close(fds[i]);
            }
        }
        free(fds);
        free(pids);
    }
}

static void rmdir_parents(char **parents)
{
    for (char **p = parents; *p; p++)
        rmdir_cgroup(*p);
}

/*
 * The parent of a devices cgroup with rules of its own (DevicesCgroupV1.CUSTOM_PARENT), removed
 * with its last child; while another container's devices cgroup is in it, rmdir fails and it stays.
 */
static void remove_custom_devices_parent(const char *devices)
{
    static const char parent_name[] = "/mdocker-rules/";
    const char *slash = strrchr(devices, '/');
    size_t n = strlen(parent_name);

    if (slash == NULL || (size_t)(slash - devices) + 1 < n
        || strncmp(slash + 1 - n, parent_name, n) != 0)
        return;
    char *parent = strndup(devices, (size_t)(slash - devices));
    if (parent) {
        rmdir(parent);
        free(parent);
    }
}

/* ContainerCgroups.removeRecorded, then the v1 devices cgroup. */
static void remove_cgroups(const struct state *st)
{
    char **v1 = cgroup_dirs(st, "cgroup.", "v1 "), **v2 = cgroup_dirs(st, "cgroup.", "v2 ");
    char **v1p = cgroup_dirs(st, "cgroupParent.", "v1 "), **v2p = cgroup_dirs(st, "cgroupParent.", "v2 ");
    char **busy = calloc((size_t)st->ncg + 1, sizeof(char *));
    int nbusy = 0;
    const char *freezer = NULL;
    for (char **d = v1; *d; d++) {
        char *f = path_join(*d, "freezer.state");
        int has_freezer = exists(f);
        free(f);
        if (rmdir_cgroup(*d) < 0) {
            busy[nbusy++] = *d;
            if (has_freezer)
                freezer = *d;
        }
    }
    if (nbusy > 0) {
        kill_all(busy, freezer, NULL);
        for (int i = 0; i < nbusy; i++)
            if (rmdir_cgroup(busy[i]) < 0)
                die("removing cgroup %s: %s", busy[i], strerror(EBUSY));
    }
    rmdir_parents(v1p);
    for (char **d = v2; *d; d++) {
        if (rmdir_cgroup(*d) < 0) {
            char *kill_file = path_join(*d, "cgroup.kill");
            char *one[] = { *d, NULL };
            kill_all(one, NULL, exists(kill_file) ? kill_file : NULL);
            if (rmdir_cgroup(*d) < 0)
                die("removing cgroup %s: %s", *d, strerror(EBUSY));
            free(kill_file);
        }
        rmdir_parents(v2p);
    }
    for (int i = 0; i < st->ncg; i++)
        if (strcmp(st->cg_k[i], "devices") == 0) {
            if (rmdir(st->cg_v[i]) < 0 && errno != ENOENT)
                die("removing %s: %s", st->cg_v[i], strerror(errno));
            remove_custom_devices_parent(st->cg_v[i]);
        }
}

/* Removes dir and what is in it (the state directory: files, no deeper tree expected). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return;
        die("removing %s: %s", dir, strerror(errno));
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = path_join(dir, e->d_name);
        if (unlink(p) < 0) {
            if (errno == EISDIR || errno == EPERM)
                remove_tree(p);
            else if (errno != ENOENT)
                die("removing %s: %s", p, strerror(errno));
        }
        free(p);
    }
    closedir(d);
    if (rmdir(dir) < 0 && errno != ENOENT)
        die("removing %s: %s", dir, strerror(errno));
}

/* ---------------------------------------------------------------------------------------- */
/* a verb's own flags (RuntimeMain.parse's rules) */

struct flags {
    const char *names[8], *values[8];
    int n;
    char **pos;
    int npos;
};

/* with_value and boolean: space-separated flag names without dashes. */
static int in_list(const char *list, const char *name, size_t len)
{
    for (const char *p = list; *p; ) {
        const char *end = strchr(p, ' ');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        if (l == len && strncmp(p, name, len) == 0)
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

static void parse(const char *verb, char **args, int argc, const char *with_value, const char *boolean, struct flags *f)
{
    memset(f, 0, sizeof *f);
    f->pos = calloc((size_t)argc + 1, sizeof(char *));
    for (int i = 0; i < argc; i++) {
        char *a = args[i];
        if (strcmp(a, "--") == 0) {
            while (++i < argc)
                f->pos[f->npos++] = args[i];
            break;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            f->pos[f->npos++] = a;
            continue;
        }
        const char *name = a + (a[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t len = eq && eq > name ? (size_t)(eq - name) : strlen(name);
        const char *value = eq && eq > name ? eq + 1 : NULL;
        if (in_list(with_value, name, len)) {
            if (!value && i + 1 >= argc)
                die("%s needs a value", a);
            value = value ? value : args[++i];
        } else if (in_list(boolean, name, len)) {
            value = value ? value : "true";
        } else {
            die("%s: unknown flag '%s'", verb, a);
        }
        if (f->n < 8) {
            f->names[f->n] = strndup(name, len);
            f->values[f->n++] = value;
        }
    }
}

static const char *flag(const struct flags *f, const char *a, const char *b)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->names[i], a) == 0 || (b && strcmp(f->names[i], b) == 0))
            return f->values[i];
    return NULL;
}

static const char *id_of(const char *verb, const struct flags *f)
{
    if (f->npos == 0)
        die("%s: no container id given", verb);
    check_id(f->pos[0]);
    return f->pos[0];
}

/* ---------------------------------------------------------------------------------------- */
/* the verbs */

static int state_verb(char **args, int argc)
{
    struct flags f;
    struct state st;
    parse("state", args, argc, "", "", &f);
    read_state_or_die(id_of("state", &f), &st);
    state_json(stdout, &st, status_of(&st, cgroup_dirs(&st, "cgroup.", NULL)), 1);
    fputc('\n', stdout);
    return 0;
}

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

static int kill_verb(char **args, int argc)
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
    if (all) {
        int *pids;
        int n = listed(dirs, &pids);
        for (int i = 0; i < n; i++) {
            int pfd = pidfd_open(pids[i]);
            if (pfd >= 0) {
                pidfd_send_signal(pfd, sig);
                close(pfd);
            }
        }
    }
    if (pidfd_send_signal(fd, sig) < 0 && errno != ESRCH)
        die("kill %s (pid %d) with signal %d: %s", id, st.pid, sig, strerror(errno));
    return 0;
}

static void start_container(const char *id)
{
    struct state st;
    read_state_or_die(id, &st);
    enum status s = status_of(&st, cgroup_dirs(&st, "cgroup.", NULL));
    if (s != CREATED)
        die("cannot start container %s: it is %s, not created", id, STATUS[s]);
    run_hooks(&st, "startContainer", s, 1);
    /* Opening the exec fifo for reading lets pid 1 open it for writing, write its byte and exec;
       non-blocking, then poll, so that a pid 1 that died meanwhile is noticed. */
    char *fifo = path_join(st.dir, "exec.fifo");
    int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        die("opening %s: %s", fifo, strerror(errno));
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        char b;
        if (poll(&p, 1, 100) > 0 && (p.revents & POLLIN) && read(fd, &b, 1) == 1)
            break;
        if (!is_running(st.pid, st.start_time))
            die("container %s exited before it was started", id);
        if (p.revents & POLLHUP)
            sleep_ms(10); /* a writer came and went without its byte: only pid 1's end tells */
    }
    close(fd);
    if (unlink(fifo) < 0 && errno != ENOENT)
        die("removing %s: %s", fifo, strerror(errno));
    run_hooks(&st, "poststart", RUNNING, 0);
}

static int start_verb(char **args, int argc)
{
    struct flags f;
    parse("start", args, argc, "", "", &f);
    start_container(id_of("start", &f));
    return 0;
}

static int delete_verb(char **args, int argc)
{
    struct flags f;
    struct state st;
    parse("delete", args, argc, "", "force f", &f);
    const char *id = id_of("delete", &f);
    int force = flag(&f, "force", "f") != NULL;
    if (read_state(id, &st) < 0) {
        if (force)
            return 0;
        die("container %s does not exist", id);
    }
    char **dirs = cgroup_dirs(&st, "cgroup.", NULL);
    enum status s = status_of(&st, dirs);
    if ((s == RUNNING || s == PAUSED) && !force)
        die("cannot delete container %s: it is %s (stop it first, or delete --force)", id, STATUS[s]);
    /* What still runs is thawed and killed, and its process's end awaited, before the cgroups go. */
    int fd = open_process(&st);
    if (fd >= 0) {
        for (char **d = dirs; *d; d++)
            set_frozen(*d, 0, SETTLE_TIMEOUT_MS);
        int *pids;
        int n = listed(dirs, &pids);
        for (int i = 0; i < n; i++) {
            int pfd = pidfd_open(pids[i]);
            if (pfd >= 0) {
                pidfd_send_signal(pfd, SIGKILL);
                close(pfd);
            }
        }
        pidfd_send_signal(fd, SIGKILL);
        await_exit(fd, KILL_TIMEOUT_MS);
        close(fd);
    }
    remove_cgroups(&st);
    run_hooks(&st, "poststop", STOPPED, 0);
    remove_tree(st.dir);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int list_verb(char **args, int argc)
{
    struct flags f;
    parse("list", args, argc, "format f", "quiet q", &f);
    if (f.npos > 0)
        die("list: unexpected argument '%s'", f.pos[0]);
    const char *fmt = flag(&f, "format", "f");
    fmt = fmt ? fmt : "table";
    int quiet = flag(&f, "quiet", "q") != NULL;
    if (!quiet && strcmp(fmt, "json") != 0 && strcmp(fmt, "table") != 0)
        die("list: --format '%s' (expected table or json)", fmt);
    struct dirent **names = NULL;
    int n = scandir(root, &names, NULL, by_name);
    if (n < 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            die("listing %s: %s", root, strerror(errno));
        n = 0;
    }
    if (!quiet && strcmp(fmt, "table") == 0)
        printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
    if (!quiet && strcmp(fmt, "json") == 0)
        fputc('[', stdout);
    int first = 1;
    for (int i = 0; i < n; i++) {
        struct state st;
        const char *id = names[i]->d_name;
        if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
            continue;
        char *dir = path_join(root, id), *file = path_join(dir, "state");
        int has = exists(file);
        free(file);
        free(dir);
        if (!has || read_state(id, &st) < 0)
            continue;
        enum status s = status_of(&st, cgroup_dirs(&st, "cgroup.", NULL));
        if (quiet) {
            printf("%s\n", id);
        } else if (strcmp(fmt, "json") == 0) {
            if (!first)
                fputc(',', stdout);
            state_json(stdout, &st, s, 0);
        } else {
            printf("%-20s %-8d %-10s %-40s %-30s %s\n", id, s == STOPPED ? 0 : st.pid, STATUS[s], st.bundle, st.created,
                   "root");
        }
        first = 0;
    }
    if (!quiet && strcmp(fmt, "json") == 0)
        fputs("]\n", stdout);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* main */

static char **jvm; /* the JVM's command line, then the runtime's arguments, NULL-terminated */

__attribute__((noreturn)) static void exec_jvm(void)
{
    fflush(NULL);
    execv(jvm[0], jvm);
    die("starting the JVM %s: %s", jvm[0], strerror(errno));
}

/*
 * run --detach: the JVM's create (this process waits for it), then the start here. Its
 * arguments are run's without --detach/-d; the container's process is left, as by create, to
 * the caller's subreaper.
 */
static int run_detached(int njvm, int nglobal, char **args, int argc, const char *id)
{
    char **argv = calloc((size_t)(njvm + nglobal + argc + 2), sizeof(char *));
    int k = 0;
    for (int i = 0; i < njvm + nglobal; i++)
        argv[k++] = jvm[i];
    argv[k++] = "create";
    for (int i = 0; i < argc; i++) {
        if (strcmp(args[i], "--") == 0) {
            while (i < argc)
                argv[k++] = args[i++];
            break;
        }
        const char *a = args[i];
        const char *name = a + (a[0] == '-' ? (a[1] == '-' ? 2 : 1) : 0);
        size_t len = strcspn(name, "=");
        if (a[0] == '-' && in_list("detach d", name, len))
            continue;
        argv[k++] = args[i];
    }
    argv[k] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        execv(argv[0], argv);
        die("starting the JVM %s: %s", argv[0], strerror(errno));
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0) {
        if (errno != EINTR)
            die("waiting for create: %s", strerror(errno));
    }
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
        return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    start_container(id);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || atoi(argv[1]) < 1 || atoi(argv[1]) > argc - 2) {
        fprintf(stderr, "mdocker-runtime: oci-front: usage: oci-front N JAVA JVM-ARG... RUNTIME-ARG... (started by the "
                        "mdocker-runtime launcher)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int njvm = atoi(argv[1]);
    jvm = argv + 2;
    char **args = jvm + njvm;
    int nargs = argc - 2 - njvm, i = 0;
    /* the global flags up to the verb (RuntimeMain.globals); what is not known here, the JVM answers */
    for (; i < nargs; i++) {
        char *a = args[i];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const char *value = eq ? eq + 1 : NULL;
#define IS(name) (len == strlen(name) && strncmp(a, name, len) == 0)
        if (IS("--root") || IS("--log") || IS("--log-format")) {
            if (!value && i + 1 >= nargs)
                exec_jvm();
            value = value ? value : args[++i];
            if (IS("--root"))
                root = value;
            else if (IS("--log"))
                log_file = value;
            else if (strcmp(value, "json") == 0 || strcmp(value, "text") == 0)
                json_log = strcmp(value, "json") == 0;
            else
                exec_jvm();
        } else if (IS("--debug")) {
            debug_on = 1;
        } else if (IS("--systemd-cgroup")) {
            /* accepted: no systemd cgroup driver; the JVM's create refuses a systemd cgroupsPath */
        } else if (IS("--rootless")) {
            if (value && strcmp(value, "false") != 0 && strcmp(value, "auto") != 0)
                exec_jvm();
            if (!value)
                exec_jvm();
        } else {
            break;
        }
#undef IS
    }
    if (i >= nargs)
        exec_jvm();
    const char *verb = args[i];
    char **rest = args + i + 1;
    int nrest = nargs - i - 1;
    if (debug_on) {
        char *line = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&line, &len);
        fputs("mdocker-runtime", m);
        for (int k = 0; k < nargs; k++)
            fprintf(m, " %s", args[k]);
        fclose(m);
        log_line("debug", line);
        free(line);
    }
    if (strcmp(verb, "state") == 0)
        return state_verb(rest, nrest);
    if (strcmp(verb, "kill") == 0)
        return kill_verb(rest, nrest);
    if (strcmp(verb, "start") == 0)
        return start_verb(rest, nrest);
    if (strcmp(verb, "delete") == 0)
        return delete_verb(rest, nrest);
    if (strcmp(verb, "list") == 0)
        return list_verb(rest, nrest);
    if (strcmp(verb, "run") == 0) {
        struct flags f;
        parse("run", rest, nrest, "bundle b pid-file console-socket preserve-fds",
              "no-pivot no-new-keyring detach d keep", &f);
        if (flag(&f, "detach", "d"))
            return run_detached(njvm, i, rest, nrest, id_of("run", &f));
    }
    exec_jvm();
}
