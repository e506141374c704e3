/*
 * The verbs that only read (oci-front): state, the spec's state JSON of one container, and
 * list, every state file under --root with its status (a table, JSON, or the ids alone).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"

int state_verb(char **args, int argc)
{
    struct flags f;
    struct state st;
    parse("state", args, argc, "", "", &f);
    read_state_or_die(id_of("state", &f), &st);
    state_json(stdout, &st, status_of(&st, cgroup_dirs(&st, "cgroup.", NULL)), 1);
    fputc('\n', stdout);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int list_verb(char **args, int argc)
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
