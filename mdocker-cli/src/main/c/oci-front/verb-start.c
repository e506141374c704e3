/*
 * start ID (oci-front): the startContainer hooks, then the exec fifo opened and pid 1's byte
 * read, which lets pid 1 exec the container's process, then the poststart hooks. Also the
 * start half of run --detach (jvm.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "front.h"

void start_container(const char *id)
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

int start_verb(char **args, int argc)
{
    struct flags f;
    parse("start", args, argc, "", "", &f);
    start_container(id_of("start", &f));
    return 0;
}
