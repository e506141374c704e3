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
 * This file holds main, the call's steps; the rest is in one file per concern, declared in
 * front.h:
 *   log.c          logging (--log, --log-format) and the call's error (die)
 *   files.c        reading files, paths
 *   statefile.c    the state file read into struct state, its cgroup records, the status now
 *   json.c         JSON output: strings, the spec's state JSON
 *   process.c      pidfds, start times, waiting for a process, the pids cgroups list
 *   hooks.c        the recorded hooks, run with the state JSON on stdin
 *   cgroups.c      freezing, and the removal of a container's cgroups
 *   cmdline.c      the global flags, a verb's own flags and its container id
 *   verb-state.c   state, list
 *   verb-kill.c    kill, and signal names
 *   verb-start.c   start (and run --detach's start)
 *   verb-delete.c  delete
 *   jvm.c          the hand-over to the JVM, and run --detach's create
 *
 * Static, linked with musl (as mdocker-init): no dynamic loader, no libc start-up beyond musl's.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"

/* With --debug: the call, as one debug line in the log. */
static void log_call(char **args, int nargs)
{
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

int main(int argc, char **argv)
{
    /* 1. the JVM's command line (the N words after N) and the runtime's arguments */
    if (argc < 3 || atoi(argv[1]) < 1 || atoi(argv[1]) > argc - 2) {
        fprintf(stderr, "mdocker-runtime: oci-front: usage: oci-front N JAVA JVM-ARG... RUNTIME-ARG... (started by the "
                        "mdocker-runtime launcher)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int njvm = atoi(argv[1]);
    jvm = argv + 2;
    char **args = jvm + njvm;
    int nargs = argc - 2 - njvm;
    /* 2. the global flags up to the verb; what is not known here, the JVM answers */
    int i = global_flags(args, nargs);
    if (i >= nargs)
        exec_jvm();
    const char *verb = args[i];
    char **rest = args + i + 1;
    int nrest = nargs - i - 1;
    /* 3. with --debug, the call into the log */
    if (debug_on)
        log_call(args, nargs);
    /* 4. the verbs answered here, without a JVM */
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
    /* 5. run --detach: the JVM's create as a child, then the start here */
    if (strcmp(verb, "run") == 0) {
        struct flags f;
        parse("run", rest, nrest, "bundle b pid-file console-socket preserve-fds",
              "no-pivot no-new-keyring detach d keep", &f);
        if (flag(&f, "detach", "d"))
            return run_detached(njvm, i, rest, nrest, id_of("run", &f));
    }
    /* 6. everything else: the JVM, with the same arguments */
    exec_jvm();
}
