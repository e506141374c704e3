/*
 * The hand-over to the JVM (oci-front): every verb, flag or value the front end does not answer
 * itself goes to the JVM, exec'd with the same arguments, which parses them anew; run --detach
 * runs the JVM's create as a child and then starts the container here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "front.h"

char **jvm; /* the JVM's command line, then the runtime's arguments, NULL-terminated */

__attribute__((noreturn)) void exec_jvm(void)
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
int run_detached(int njvm, int nglobal, char **args, int argc, const char *id)
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
