/*
 * oci-front's internal header: the options the global flags set, the state file's records as
 * read, a verb's own flags, and the functions one file of the front end calls in another,
 * grouped by the file that defines them. File-local helpers stay static in their file.
 */
#ifndef MDOCKER_OCI_FRONT_H
#define MDOCKER_OCI_FRONT_H

#include <stddef.h>
#include <stdio.h>

#define KILL_TIMEOUT_MS 10000
#define FREEZE_TIMEOUT_MS 1000
#define SETTLE_TIMEOUT_MS 5000

/* set by the global flags (cmdline.c) */
extern const char *root;
extern const char *log_file;
extern int json_log, debug_on;

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
extern const char *const STATUS[];

/* a verb's own flags (RuntimeMain.parse's rules) */
struct flags {
    const char *names[8], *values[8];
    int n;
    char **pos;
    int npos;
};

/* log.c: logging and the call's error */
void log_line(const char *level, const char *msg);
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void warn(const char *fmt, ...);

/* files.c */
char *read_file(const char *path, size_t *len_out);
char *read_trimmed(const char *path);
int exists(const char *path);
char *path_join(const char *a, const char *b);

/* statefile.c: the state file, read, and the status read now */
void check_id(const char *id);
int read_state(const char *id, struct state *st);
void read_state_or_die(const char *id, struct state *st);
char **cgroup_dirs(const struct state *st, const char *key, const char *only);
enum status status_of(const struct state *st, char **dirs);

/* json.c: JSON output */
void json_string(FILE *f, const char *s);
void state_json(FILE *f, const struct state *st, enum status s, int pretty);

/* process.c: pidfds, start times, waiting, and the clock the waits use */
long long now_ms(void);
void sleep_ms(int ms);
int pidfd_open(int pid);
int pidfd_send_signal(int fd, int sig);
int is_running(int pid, long long start_time);
int open_process(const struct state *st);
int await_exit(int fd, int ms);
int listed(char **dirs, int **out);
void signal_listed(char **dirs, int sig);

/* hooks.c */
void run_hooks(const struct state *st, const char *kind, enum status s, int fatal);

/* cgroups.c: freezing and removing a container's cgroups */
int set_frozen(const char *dir, int frozen, int timeout_ms);
void remove_cgroups(const struct state *st);

/* cmdline.c: the global flags, a verb's flags */
int global_flags(char **args, int nargs);
int in_list(const char *list, const char *name, size_t len);
void parse(const char *verb, char **args, int argc, const char *with_value, const char *boolean, struct flags *f);
const char *flag(const struct flags *f, const char *a, const char *b);
const char *id_of(const char *verb, const struct flags *f);

/* the verbs answered here: verb-state.c (state, list), verb-kill.c, verb-start.c, verb-delete.c */
int state_verb(char **args, int argc);
int list_verb(char **args, int argc);
int kill_verb(char **args, int argc);
void start_container(const char *id);
int start_verb(char **args, int argc);
int delete_verb(char **args, int argc);

/* jvm.c: the hand-over to the JVM */
extern char **jvm;
__attribute__((noreturn)) void exec_jvm(void);
int run_detached(int njvm, int nglobal, char **args, int argc, const char *id);

#endif
