/*
 * testbox: the workloads the resource-limit tests run inside containers, as one static binary
 * with subcommands (the workload under test is a program, not a shell one-liner). Every
 * workload is bounded in size and time, so a test whose limit does not hold stays harmless.
 *
 *   testbox memhog MIB            allocate and touch MIB MiB, 1 MiB at a time; print
 *                                 "allocated N" every 8 MiB, then "survived"
 *   testbox hold MIB SECONDS      allocate and touch MIB MiB, print "ready", sleep SECONDS
 *   testbox forkbomb MAX SECONDS  fork up to MAX children, each sleeping SECONDS; print
 *                                 "forked N failed M errno E", wait for them all
 *   testbox spin SECONDS          busy-loop one thread for SECONDS of wall-clock time; print
 *                                 "cpu" with the process's CPU seconds
 *   testbox affinity              print the CPUs this process may run on, as "0-1,3"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void touch(char *p, size_t len)
{
    for (size_t i = 0; i < len; i += 4096)
        p[i] = 1;
}

static int memhog(long mib)
{
    for (long i = 1; i <= mib; i++) {
        char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            printf("mmap failed at %ld MiB: %s\n", i, strerror(errno));
            return 1;
        }
        touch(p, 1 << 20);
        if (i % 8 == 0) {
            printf("allocated %ld\n", i);
            fflush(stdout);
        }
    }
    printf("survived\n");
    return 0;
}

static int hold(long mib, long seconds)
{
    char *p = mmap(NULL, (size_t) mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        printf("mmap failed: %s\n", strerror(errno));
        return 1;
    }
    touch(p, (size_t) mib << 20);
    printf("ready\n");
    fflush(stdout);
    sleep((unsigned) seconds);
    return 0;
}

static int forkbomb(long max, long seconds)
{
    long forked = 0, failed = 0;
    int err = 0;

    for (long i = 0; i < max; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            sleep((unsigned) seconds);
            _exit(0);
        }
        if (pid < 0) {
            failed++;
            err = errno;
        } else {
            forked++;
        }
    }
    printf("forked %ld failed %ld errno %d\n", forked, failed, err);
    fflush(stdout);
    while (wait(NULL) > 0 || errno == EINTR)
        ;
    return 0;
}

static int spin(double seconds)
{
    double end = now(CLOCK_MONOTONIC) + seconds;
    volatile unsigned long n = 0;

    while (now(CLOCK_MONOTONIC) < end)
        for (int i = 0; i < 100000; i++)
            n++;
    printf("cpu %.3f\n", now(CLOCK_PROCESS_CPUTIME_ID));
    return 0;
}

static int affinity(void)
{
    cpu_set_t set;
    int first = 1;

    if (sched_getaffinity(0, sizeof set, &set) < 0) {
        perror("sched_getaffinity");
        return 1;
    }
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (!CPU_ISSET(i, &set))
            continue;
        int j = i;
        while (j + 1 < CPU_SETSIZE && CPU_ISSET(j + 1, &set))
            j++;
        printf(first ? "%d" : ",%d", i);
        if (j > i)
            printf("-%d", j);
        first = 0;
        i = j;
    }
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && strcmp(argv[1], "memhog") == 0)
        return memhog(atol(argv[2]));
    if (argc == 4 && strcmp(argv[1], "hold") == 0)
        return hold(atol(argv[2]), atol(argv[3]));
    if (argc == 4 && strcmp(argv[1], "forkbomb") == 0)
        return forkbomb(atol(argv[2]), atol(argv[3]));
    if (argc == 3 && strcmp(argv[1], "spin") == 0)
        return spin(atof(argv[2]));
    if (argc == 2 && strcmp(argv[1], "affinity") == 0)
        return affinity();
    fprintf(stderr, "usage: testbox memhog MIB | hold MIB SECONDS | forkbomb MAX SECONDS | spin SECONDS | affinity\n");
    return 2;
}
