/* loop.h - hh's scheduler: one thread, one libcurl multi handle, a timer
 * heap, and the Lua coroutines ("jobs") that wait on them. A binding that
 * must wait arms a transfer or a timer for its job and yields; the loop
 * resumes the job when that is done. Nothing busy-waits, no thread sleeps. */
#ifndef HH_LOOP_H
#define HH_LOOP_H

#include <curl/curl.h>
#include <lua.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "poll.h"
#include "proc.h"
#include "retry.h"
#include "timer.h"
#include "xfer.h"

struct keyed_wait {
    struct job *job;
    uint64_t token;
    char key[64];
};

enum job_state { JOB_READY, JOB_RUNNING, JOB_WAITING, JOB_PARKED, JOB_DONE };

struct job {
    lua_State *co;
    int ref;               /* registry reference anchoring the coroutine */
    uint64_t id;
    enum job_state state;
    uint64_t token;        /* bumped at each wait; stale timers compare it */
    struct job *next;      /* ready queue */
    struct xfer *xfer;     /* the transfer this job waits on, if any */
    int woken_by_timer;
    int start_args;        /* arguments for the first resume */
    int started;
    int holds;             /* timers still naming this job: freed at zero once done */
    int wait_sleeping;     /* parked in hh.wait between polls: an interrupt's grace wakes it */
    struct loop *loop;
    struct job *all_prev, *all_next; /* every job not yet freed */
};

struct loop {
    lua_State *L;
    CURLM *multi;
    struct loop_config cfg;
    struct timer_heap timers;
    struct job *ready_head, *ready_tail;
    struct job *jobs;                   /* every job not yet freed */
    size_t live_jobs, parked_jobs;
    uint64_t next_job_id;
    size_t active;                      /* transfers inside libcurl */
    struct xfer *queue_head, *queue_tail; /* API requests waiting for a slot or a rate token */
    struct xfer *dl_head, *dl_tail;     /* downloads waiting for a slot (no rate token needed) */
    struct xfer *running;               /* transfers inside libcurl (list for cleanup) */
    struct keyed_wait *keyed;           /* jobs that a key may wake early */
    size_t nkeyed, cap_keyed;
    int pump_armed;
    struct rate_limiter rate;
    struct retry_budget budget;
    struct xfer_env xenv;               /* what its transfers see of it */
    struct poll_model *poll;
    struct proc_table procs;            /* child processes (media checks) */
    char *api_key;                      /* never printed, logged or handed to Lua */
    int key_error;                      /* why no key: see loop_key_problem */
    int stop_submissions;
    char stop_reason[512];
    int interrupted;                    /* interrupts handled so far (SIGTERM/SIGHUP count once) */
    int signal_number;                  /* the first signal that interrupted the run, 0 none */
    double grace_until;                 /* after an interrupt, waits end here; 0 none */
    int failed_jobs;                    /* jobs that raised an error */
    int trace;
    int wake_fd[2];
    /* Counters for `hh` to report and benchmarks to read. */
    long requests[3];
    long retries;
    double max_stall;                   /* longest turn between two polls, seconds */
    double max_stall_at;                /* when it ended, seconds after loop_run began */
    long long_stalls;                   /* turns over 50 ms */
    double max_stall_procs;             /* longest turn while child processes ran */
    double max_procs_work;              /* longest time one turn spent on child processes */
};

/* Interrupts asked for by signals: SIGINT counts each press, SIGTERM and
 * SIGHUP count only as a first one (they ask for a clean stop, never an
 * abrupt one). loop_first_signal is the first signal's number. */
extern volatile sig_atomic_t loop_signals;
extern volatile sig_atomic_t loop_first_signal;

int loop_init(struct loop *lp, lua_State *L);
/* Frees the transfers still queued or running (they hold references into
 * the Lua state): call it before lua_close, and loop_free after. */
void loop_drop_transfers(struct loop *lp);
void loop_free(struct loop *lp);

/* The job running in coroutine L, or NULL when L is not one of hh's jobs. */
struct job *loop_job(lua_State *L);
/* Makes a job of the function on top of L's stack plus nargs arguments below it
 * (they are moved to the new coroutine); it runs when the loop next turns. */
struct job *loop_spawn(struct loop *lp, lua_State *L, int nargs);
void loop_ready(struct loop *lp, struct job *job);
/* Wakes `job` at `when` unless it has waited on something else since. */
void loop_wake_at(struct loop *lp, struct job *job, double when);
/* Wakes `job` at `when`, or earlier when loop_wake_key(key) is called. */
void loop_wake_at_or_key(struct loop *lp, struct job *job, double when, const char *key);
void loop_wake_key(struct loop *lp, const char *key);
/* Runs until every job has ended; returns how many raised an error. */
int loop_run(struct loop *lp);

/* Queues a transfer; its job is made ready when the transfer is final. */
void loop_start(struct loop *lp, struct xfer *x);
/* The API key, loaded on first use; NULL with a message in `err`. */
const char *loop_api_key(struct loop *lp, char *err, size_t errlen);
/* No new submissions from now on; those still queued are not sent. */
void loop_stop_submissions(struct loop *lp, const char *why);
/* When a wait of `job` must end at the latest: its own deadline, or the
 * grace after an interrupt, whichever is first; 0 when none. */
double loop_wait_limit(const struct loop *lp, double deadline);

#endif
