/*
 * Logging and the call's error (oci-front). Errors are those of the JVM's verbs: one line
 * "mdocker-runtime: MSG" on stderr and, with --log, a logrus line (JSON with --log-format json);
 * exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "front.h"

/* One line into --log, as logrus writes it (text or JSON); without --log, all but errors on stderr. */
void log_line(const char *level, const char *msg)
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
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
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

__attribute__((format(printf, 1, 2))) void warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = format(fmt, ap);
    va_end(ap);
    log_line("warning", msg);
    free(msg);
}
