/* proc.h - child processes run for the event loop (media checks with the
 * FFmpeg tools): each in its own process group, with a memory and CPU
 * limit, stdin from /dev/null, stdout collected up to a limit and the tail
 * of stderr kept. Nothing here blocks: the loop polls the pipes, and a child
 * past its wall-clock deadline is killed. At most max_running run at once;
 * the others wait in a queue. */
#ifndef HH_PROC_H
#define HH_PROC_H

#include <curl/curl.h>
#include <stddef.h>
#include <sys/types.h>

enum proc_end { PROC_EXITED, PROC_SIGNALLED, PROC_TIMED_OUT, PROC_OVERFLOW, PROC_INTERRUPTED, PROC_NOT_STARTED };

struct proc_limits {
    double seconds;        /* wall clock, also the CPU limit (rounded up) */
    size_t memory;         /* bytes of address space; 0 = none */
    size_t output;         /* bytes of stdout kept; more kills the child */
};

struct proc_buf {
    char *data;
    size_t len, cap;
};

struct proc {
    pid_t pid;
    int out_fd, err_fd;    /* -1 once at end of file */
    struct proc_buf out;
    char err[2048];        /* the last bytes of stderr */
    size_t err_len;
    int err_wrapped;
    double deadline;
    enum proc_end end;
    int killed;            /* why it was killed, as an enum proc_end, 0 none */
    int status;            /* exit status or signal number */
    char start_error[160]; /* why it could not be started */
    char **argv;
    struct proc_limits lim;
    void (*done)(struct proc *p, void *arg);
    void *arg;
    struct proc *next;
};

struct proc_table {
    struct proc *running;
    struct proc *finished;   /* ended, until procs_release takes them */
    struct proc *queue_head, *queue_tail;
    int nrunning, max_running;
};

void procs_init(struct proc_table *t, int max_running);
/* A child to run argv (argv[0] is looked up in PATH); NULL on no memory.
 * `done` is called once it has ended, from procs_service or procs_stop. */
struct proc *proc_new(const char *const *argv, const struct proc_limits *lim,
                      void (*done)(struct proc *p, void *arg), void *arg);
void proc_free(struct proc *p);
void procs_start(struct proc_table *t, struct proc *p, double now);
/* The pipes to poll; returns how many were written (at most max). */
size_t procs_waitfds(const struct proc_table *t, struct curl_waitfd *fds, size_t max);
/* Reads what is ready, reaps children that ended, kills those past their
 * deadline, starts queued ones. */
void procs_service(struct proc_table *t, double now);
/* When procs_service should run again at the latest (a deadline, or soon
 * after a child closed its pipes); negative when nothing is due. */
double procs_next_wake(const struct proc_table *t, double now);
/* Kills every child (an interrupt): each ends as PROC_INTERRUPTED, queued
 * ones without starting. */
void procs_stop(struct proc_table *t, double now);
/* Takes an ended child out of the table (then proc_free it). */
void procs_release(struct proc_table *t, struct proc *p);
/* Kills and reaps what is left, without calling `done`, and frees every
 * child still in the table: the loop's end. */
void procs_free(struct proc_table *t);
int procs_busy(const struct proc_table *t);
/* Is `name` an executable found in PATH (or a path to one)? */
int proc_findable(const char *name);

#endif
