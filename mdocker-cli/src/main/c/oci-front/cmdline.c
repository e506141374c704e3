/*
 * The command line (oci-front): runc's global flags up to the verb, which set the options
 * below, and a verb's own flags and its container id (RuntimeMain's rules). A global flag or
 * value not known here hands the whole call to the JVM (exec_jvm); a verb's unknown flag is the
 * call's error.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "front.h"

const char *root = "/run/mdocker-runtime";
const char *log_file;
int json_log, debug_on;

/*
 * The global flags up to the verb (RuntimeMain.globals): the index of the verb in args, nargs
 * when there is none. A flag or a value not known here goes to the JVM (exec_jvm).
 */
int global_flags(char **args, int nargs)
{
    int i = 0;
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
    return i;
}

/* ---------------------------------------------------------------------------------------- */
/* a verb's own flags (RuntimeMain.parse's rules) */

/* with_value and boolean: space-separated flag names without dashes. */
int in_list(const char *list, const char *name, size_t len)
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

void parse(const char *verb, char **args, int argc, const char *with_value, const char *boolean, struct flags *f)
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

const char *flag(const struct flags *f, const char *a, const char *b)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->names[i], a) == 0 || (b && strcmp(f->names[i], b) == 0))
            return f->values[i];
    return NULL;
}

const char *id_of(const char *verb, const struct flags *f)
{
    if (f->npos == 0)
        die("%s: no container id given", verb);
    check_id(f->pos[0]);
    return f->pos[0];
}
