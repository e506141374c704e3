/*
 * Hooks (oci-front): the startContainer, poststart and poststop hooks the state file records
 * (taken from config.json at create, as runc does), run in order with the state JSON on stdin.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "front.h"

static char *state_text(const struct state *st, enum status s, size_t *len)
{
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    state_json(m, st, s, 0);
    fclose(m);
    return buf;
}

/*
 * Runs the hooks of one kind in order, each with the state JSON on its stdin, its stdout
 * discarded, its stderr ours, only its own env, its timeout honoured (then SIGKILL). A failing
 * one fails the call when fatal (startContainer), else it is a warning (poststart, poststop).
 */
void run_hooks(const struct state *st, const char *kind, enum status s, int fatal)
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
