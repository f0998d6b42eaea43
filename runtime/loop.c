/* loop.c - the run loop: resumes ready jobs, feeds queued transfers to
 * libcurl within the concurrency and rate limits, drains finished
 * transfers, fires timers, and sleeps in curl_multi_poll until the next
 * deadline. Signals only bump a counter and write to a pipe the poll
 * watches; the loop acts on them between turns. */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apikey.h"
#include "interrupt.h"
#include "visible.h"
#include "xfer.h"

static const char *key_of(void *owner, char *err, size_t errlen)
{
    return loop_api_key(owner, err, errlen);
}

int loop_init(struct loop *lp, lua_State *L)
{
    memset(lp, 0, sizeof *lp);
    lp->L = L;
    lp->wake_fd[0] = lp->wake_fd[1] = -1;
    struct loop_config *c = &lp->cfg;
    snprintf(c->base_url, sizeof c->base_url, "https://happyhorse.app");
    c->max_transfers = 32;
    c->rate = 0;
    c->rate_burst = 0;
    c->rate_share = 1;
    c->connect_timeout = 10;
    c->request_timeout = 60;
    c->stall_timeout = 30;
    c->max_retry_after = 120;
    c->max_retries = 8;
    c->backoff_base = 0.5;
    c->backoff_cap = 20;
    c->retry_budget = 500;
    c->max_download = 2LL << 30;
    c->max_answer = 4 << 20;
    c->max_conn_age = 30;
    c->wait_deadline_min = 300;
    c->wait_deadline_max = 3600;
    c->interrupt_grace = 10;
    c->recipe_instructions = 5e8;
    c->recipe_memory = 256 << 20;
    c->poll = (struct poll_config){.min_interval = 1, .max_interval = 15, .growth = 1.5, .precision = 0.1,
                                   .min_samples = 4, .scouts = 32, .fixed = 0};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    procs_init(&lp->procs, cores > 0 ? (int)cores : 1);
    lp->multi = curl_multi_init();
    lp->poll = poll_model_new();
    if (!lp->multi || !lp->poll || pipe2(lp->wake_fd, O_NONBLOCK | O_CLOEXEC) != 0)
        return -1;
    interrupt_install(lp->wake_fd[1]);
    rate_init(&lp->rate, c->rate, c->rate_burst, timer_now());
    budget_init(&lp->budget, c->retry_budget);
    const char *t = getenv("HH_TRACE");
    lp->trace = t && *t && strcmp(t, "0") != 0;
    lp->xenv = (struct xfer_env){.cfg = &lp->cfg, .rate = &lp->rate, .budget = &lp->budget, .retries = &lp->retries,
                                 .trace = lp->trace, .L = L, .api_key = key_of, .owner = lp};

    *(struct job **)lua_getextraspace(L) = NULL;
    return 0;
}

static struct xfer *dequeue(struct xfer **head, struct xfer **tail);

static void free_job(struct job *job)
{
    struct loop *lp = job->loop;
    if (job->all_prev)
        job->all_prev->all_next = job->all_next;
    else
        lp->jobs = job->all_next;
    if (job->all_next)
        job->all_next->all_prev = job->all_prev;
    free(job);
}

void loop_drop_transfers(struct loop *lp)
{
    /* Transfers still queued or running belong to jobs that never ended
     * (a second Ctrl-C); let them go with the loop. */
    while (lp->queue_head || lp->dl_head) {
        struct xfer *x = lp->queue_head ? dequeue(&lp->queue_head, &lp->queue_tail)
                                        : dequeue(&lp->dl_head, &lp->dl_tail);
        if (x->job)
            x->job->xfer = NULL;
        xfer_free(x);
    }
    while (lp->running) {
        struct xfer *x = lp->running;
        lp->running = x->run_next;
        curl_multi_remove_handle(lp->multi, x->easy);
        if (x->job)
            x->job->xfer = NULL;
        xfer_free(x);
    }
    /* One waiting for its retry timer is owned by its job. */
    for (struct job *job = lp->jobs; job; job = job->all_next) {
        xfer_free(job->xfer);
        job->xfer = NULL;
    }
}

void loop_free(struct loop *lp)
{
    loop_drop_transfers(lp);
    procs_free(&lp->procs);
    if (lp->multi)
        curl_multi_cleanup(lp->multi);
    /* Timers may still name jobs (holds); free them once. */
    struct timer t;
    while (timer_pop_due(&lp->timers, 1e300, &t))
        ;
    timer_free(&lp->timers);
    free(lp->keyed);
    while (lp->jobs)
        free_job(lp->jobs);
    poll_model_free(lp->poll);
    if (lp->api_key) {
        memset(lp->api_key, 0, strlen(lp->api_key));
        free(lp->api_key);
    }
    if (lp->wake_fd[0] >= 0)
        close(lp->wake_fd[0]);
    if (lp->wake_fd[1] >= 0)
        close(lp->wake_fd[1]);
    interrupt_install(-1); /* the handlers stay; they write to no pipe */
}

struct job *loop_job(lua_State *L)
{
    return *(struct job **)lua_getextraspace(L);
}

void loop_ready(struct loop *lp, struct job *job)
{
    if (job->state == JOB_READY || job->state == JOB_DONE)
        return;
    if (job->state == JOB_PARKED)
        lp->parked_jobs--;
    job->state = JOB_READY;
    job->next = NULL;
    if (lp->ready_tail)
        lp->ready_tail->next = job;
    else
        lp->ready_head = job;
    lp->ready_tail = job;
}

struct job *loop_spawn(struct loop *lp, lua_State *L, int nargs)
{
    struct job *job = calloc(1, sizeof *job);
    if (!job)
        luaL_error(L, "out of memory");
    lua_State *co = lua_newthread(L);            /* fn args... co */
    lua_sethook(co, NULL, 0, 0);                 /* a job is hh's: a recipe's limits are not inherited */
    lua_insert(L, -(nargs + 2));                 /* co fn args... */
    lua_xmove(L, co, nargs + 1);                 /* co */
    job->ref = luaL_ref(L, LUA_REGISTRYINDEX);   /* (empty) */
    job->co = co;
    job->loop = lp;
    job->all_next = lp->jobs;
    if (lp->jobs)
        lp->jobs->all_prev = job;
    lp->jobs = job;
    job->id = ++lp->next_job_id;
    job->state = JOB_WAITING;
    job->start_args = nargs;
    *(struct job **)lua_getextraspace(co) = job;
    lp->live_jobs++;
    loop_ready(lp, job);
    return job;
}

static void wake_timer(void *arg, uint64_t token)
{
    struct job *job = arg;
    job->holds--;
    if (job->state == JOB_DONE) {
        if (job->holds == 0)
            free_job(job);
        return;
    }
    if (job->token == token && job->state == JOB_WAITING) {
        job->woken_by_timer = 1;
        loop_ready(job->loop, job);
    }
}

void loop_wake_at(struct loop *lp, struct job *job, double when)
{
    job->state = JOB_WAITING;
    job->woken_by_timer = 0;
    if (timer_add(&lp->timers, when, wake_timer, job, job->token) == 0)
        job->holds++;
    else
        loop_ready(lp, job); /* out of memory: better early than never */
}

void loop_wake_at_or_key(struct loop *lp, struct job *job, double when, const char *key)
{
    loop_wake_at(lp, job, when);
    if (lp->nkeyed == lp->cap_keyed) {
        size_t cap = lp->cap_keyed ? lp->cap_keyed * 2 : 64;
        struct keyed_wait *k = realloc(lp->keyed, cap * sizeof *k);
        if (!k)
            return; /* the timer still wakes it */
        lp->keyed = k;
        lp->cap_keyed = cap;
    }
    struct keyed_wait *w = &lp->keyed[lp->nkeyed++];
    w->job = job;
    w->token = job->token;
    snprintf(w->key, sizeof w->key, "%s", key);
    job->holds++;
}

/* Wakes every job waiting on `key` (whose wait is still the same one) and
 * drops entries that are stale, so the list never grows without bound. */
void loop_wake_key(struct loop *lp, const char *key)
{
    size_t kept = 0;
    for (size_t i = 0; i < lp->nkeyed; i++) {
        struct keyed_wait *w = &lp->keyed[i];
        int live = w->job->state != JOB_DONE && w->job->token == w->token;
        if (live && strcmp(w->key, key) != 0) {
            lp->keyed[kept++] = *w;
            continue;
        }
        if (live && w->job->state == JOB_WAITING)
            loop_ready(lp, w->job);
        if (--w->job->holds == 0 && w->job->state == JOB_DONE)
            free_job(w->job);
    }
    lp->nkeyed = kept;
}

static void xfer_done(struct loop *lp, struct xfer *x);

/* A submission that a stop keeps from being sent (again): final at once.
 * Its outcome is unknown if an earlier attempt may have reached the host. */
static void cancel_submission(struct loop *lp, struct xfer *x)
{
    x->cancelled = 1;
    x->result = x->maybe_received ? XR_UNKNOWN : XR_NOT_SENT;
    snprintf(x->error, sizeof x->error, x->maybe_received
             ? "an earlier attempt may have reached the host; not sent again after new submissions stopped"
             : "not sent: new submissions stopped");
    xfer_done(lp, x);
}

void loop_stop_submissions(struct loop *lp, const char *why)
{
    if (lp->stop_submissions)
        return;
    lp->stop_submissions = 1;
    snprintf(lp->stop_reason, sizeof lp->stop_reason, "%s", why);
    /* Submissions still waiting for a slot or a rate token are not sent. */
    struct xfer **link = &lp->queue_head, *last = NULL;
    while (*link) {
        struct xfer *x = *link;
        if (x->kind != XFER_SUBMIT) {
            last = x;
            link = &x->next;
            continue;
        }
        *link = x->next;
        x->next = NULL;
        cancel_submission(lp, x);
    }
    lp->queue_tail = last;
}

double loop_wait_limit(const struct loop *lp, double deadline)
{
    if (lp->grace_until > 0 && (deadline <= 0 || lp->grace_until < deadline))
        return lp->grace_until;
    return deadline;
}

/* --- the API key --------------------------------------------------------- */

const char *loop_api_key(struct loop *lp, char *err, size_t errlen)
{
    if (!lp->api_key)
        lp->api_key = apikey_load(err, errlen);
    return lp->api_key;
}

/* --- transfers ------------------------------------------------------------ */

static void enqueue(struct loop *lp, struct xfer *x)
{
    struct xfer **head = x->kind == XFER_DOWNLOAD ? &lp->dl_head : &lp->queue_head;
    struct xfer **tail = x->kind == XFER_DOWNLOAD ? &lp->dl_tail : &lp->queue_tail;
    x->next = NULL;
    if (*tail)
        (*tail)->next = x;
    else
        *head = x;
    *tail = x;
}

static struct xfer *dequeue(struct xfer **head, struct xfer **tail)
{
    struct xfer *x = *head;
    *head = x->next;
    if (!*head)
        *tail = NULL;
    x->next = NULL;
    return x;
}

void loop_start(struct loop *lp, struct xfer *x)
{
    x->queued_at = timer_now();
    x->job->state = JOB_WAITING;
    x->job->xfer = x;
    enqueue(lp, x);
}

static void xfer_done(struct loop *lp, struct xfer *x)
{
    x->finished_at = timer_now();
    loop_ready(lp, x->job);
}

static void pump_timer(void *arg, uint64_t token)
{
    struct loop *lp = arg;
    (void)token;
    lp->pump_armed = 0;
}

/* A submission's on_send hook (the journal's intent) runs before its first
 * byte; if it fails, the request is not sent. Called from the loop, never
 * from a libcurl callback. */
static int run_on_send(struct loop *lp, struct xfer *x)
{
    if (x->on_send == LUA_NOREF)
        return 0;
    lua_State *L = lp->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, x->on_send);
    if (lua_pcall(L, 0, 0, 0) == LUA_OK)
        return 0;
    snprintf(x->error, sizeof x->error, "not sent: %s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "on_send failed");
    lua_pop(L, 1);
    return -1;
}

static void start_transfer(struct loop *lp, struct xfer *x, double now)
{
    if (x->kind == XFER_SUBMIT && lp->stop_submissions) {
        cancel_submission(lp, x); /* a retry due after a stop */
        return;
    }
    /* The intent is journaled once per submission: its retries (provably
     * unsent, 429, or the same key to an idempotent host) are one attempt. */
    if (x->kind == XFER_SUBMIT && x->attempts == 0 && run_on_send(lp, x) != 0) {
        x->result = XR_NOT_SENT;
        xfer_done(lp, x);
        return;
    }
    if (xfer_prepare(x) != 0) {
        if (!x->error[0])
            snprintf(x->error, sizeof x->error, "cannot set up the request");
        x->result = XR_FAILED;
        xfer_done(lp, x);
        return;
    }
    CURLMcode mc = curl_multi_add_handle(lp->multi, x->easy);
    if (mc != CURLM_OK) {
        snprintf(x->error, sizeof x->error, "libcurl: %s", curl_multi_strerror(mc));
        x->result = XR_FAILED;
        xfer_done(lp, x);
        return;
    }
    x->in_multi = 1;
    x->run_prev = NULL;
    x->run_next = lp->running;
    if (lp->running)
        lp->running->run_prev = x;
    lp->running = x;
    x->started_at = now;
    lp->active++;
    lp->requests[x->kind]++;
}

/* Hands queued transfers to libcurl while slots allow: downloads first (they
 * finish paid work and spend no API rate), then API requests while the rate
 * limiter has tokens. Both queues are FIFO; a blocked head costs O(1). */
static void pump(struct loop *lp)
{
    double now = timer_now();
    while (lp->dl_head && lp->active < (size_t)lp->cfg.max_transfers)
        start_transfer(lp, dequeue(&lp->dl_head, &lp->dl_tail), now);
    while (lp->queue_head && lp->active < (size_t)lp->cfg.max_transfers) {
        double wait = rate_acquire(&lp->rate, now);
        if (wait > 0) {
            if (!lp->pump_armed && timer_add(&lp->timers, now + wait, pump_timer, lp, 0) == 0)
                lp->pump_armed = 1;
            return;
        }
        start_transfer(lp, dequeue(&lp->queue_head, &lp->queue_tail), now);
    }
}

static void retry_timer(void *arg, uint64_t token)
{
    struct xfer *x = arg;
    (void)token;
    enqueue(x->env->owner, x);
}

static void drain_finished(struct loop *lp)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(lp->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct xfer *x = NULL;
        CURLcode code = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        curl_multi_remove_handle(lp->multi, msg->easy_handle);
        x->in_multi = 0;
        if (x->run_prev)
            x->run_prev->run_next = x->run_next;
        else
            lp->running = x->run_next;
        if (x->run_next)
            x->run_next->run_prev = x->run_prev;
        lp->active--;
        double delay = xfer_finished(x, code);
        if (delay < 0) {
            if (x->result == XR_ANSWERED && x->code < 400)
                budget_success(&lp->budget);
            if (x->kind != XFER_DOWNLOAD && x->result == XR_ANSWERED && x->code != 429)
                rate_succeeded(&lp->rate);
            xfer_done(lp, x);
        } else if (delay == 0) {
            enqueue(lp, x);
        } else if (timer_add(&lp->timers, timer_now() + delay, retry_timer, x, 0) != 0) {
            enqueue(lp, x);
        }
    }
}

/* --- running jobs --------------------------------------------------------- */

/* Is `msg` placed in one of hh's own Lua files ("lua/hh/engine.lua:12: ")? */
static int own_error(const char *msg)
{
    const char *colon = strchr(msg, ':');
    return strncmp(msg, "lua/hh/", 7) == 0 && colon && colon[1] >= '0' && colon[1] <= '9';
}

/* A script's error is shown with its traceback; one of hh's own in one line
 * (without a position that means nothing to a user) unless HH_TRACE is set. */
static void report_error(struct loop *lp, struct job *job)
{
    lua_State *co = job->co;
    const char *msg = luaL_tolstring(co, -1, NULL);  /* err msg */
    /* The message may carry a recipe's or a host's text: made visible. */
    fputs("hh: error: ", stderr);
    if (own_error(msg) && !lp->trace) {
        const char *text = strchr(strchr(msg, ':') + 1, ':');
        text = text ? text + (text[1] == ' ' ? 2 : 1) : msg;
        visible_fwrite(stderr, text, strlen(text), 1);
    } else {
        luaL_traceback(lp->L, co, msg, 0);          /* L: traceback */
        size_t len;
        const char *tb = lua_tolstring(lp->L, -1, &len);
        visible_fwrite(stderr, tb, len, 1);
        lua_pop(lp->L, 1);
    }
    fputc('\n', stderr);
    lua_pop(co, 2);
    lp->failed_jobs++;
}

static void finish_job(struct loop *lp, struct job *job)
{
    job->state = JOB_DONE;
    lp->live_jobs--;
#if LUA_VERSION_RELEASE_NUM >= 50406
    lua_closethread(job->co, lp->L);
#else
    lua_resetthread(job->co);
#endif
    *(struct job **)lua_getextraspace(job->co) = NULL;
    luaL_unref(lp->L, LUA_REGISTRYINDEX, job->ref);
    if (job->holds == 0)
        free_job(job);
}

static void resume(struct loop *lp, struct job *job)
{
    int nres, nargs = job->started ? 0 : job->start_args;
    job->started = 1;
    job->state = JOB_RUNNING;
    job->wait_sleeping = 0;
    int status = lua_resume(job->co, lp->L, nargs, &nres);
    if (status == LUA_YIELD) {
        lua_pop(job->co, nres);
        /* A plain coroutine.yield in a job: it lets the other jobs run once. */
        if (job->state == JOB_RUNNING)
            loop_ready(lp, job);
        return;
    }
    if (status != LUA_OK)
        report_error(lp, job);
    finish_job(lp, job);
}

static int run_turns(struct loop *lp);

int loop_run(struct loop *lp)
{
    interrupt_enter(1);
    int rc = run_turns(lp);
    interrupt_enter(0);
    if (loop_signals > lp->interrupted)
        loop_handle_signals(lp); /* one that came while a recipe's own code was busy */
    return rc;
}

static int run_turns(struct loop *lp)
{
    double turn_began = timer_now(), began = turn_began;
    while (lp->live_jobs > 0) {
        loop_handle_signals(lp);
        if (lp->interrupted >= 2)
            return -1;
        struct job *batch = lp->ready_head;
        lp->ready_head = lp->ready_tail = NULL;
        while (batch) {
            struct job *job = batch;
            batch = job->next;
            job->next = NULL;
            if (job->state == JOB_READY)
                resume(lp, job);
        }
        if (lp->live_jobs == 0)
            break;

        pump(lp);
        int running;
        CURLMcode mc = curl_multi_perform(lp->multi, &running);
        if (mc != CURLM_OK) {
            fprintf(stderr, "hh: libcurl: %s\n", curl_multi_strerror(mc));
            return -1;
        }
        drain_finished(lp);

        double now = timer_now();
        procs_service(&lp->procs, now);
        double procs_took = timer_now() - now;
        if (procs_took > lp->max_procs_work)
            lp->max_procs_work = procs_took;
        struct timer t;
        while (timer_pop_due(&lp->timers, now, &t))
            t.fire(t.arg, t.token);
        if (lp->ready_head)
            continue;
        pump(lp);

        if (!lp->active && !lp->queue_head && !lp->dl_head && !lp->timers.len && !procs_busy(&lp->procs) &&
            lp->live_jobs == lp->parked_jobs) {
            fprintf(stderr, "hh: error: %zu job(s) wait for each other and nothing can wake them\n", lp->live_jobs);
            lp->failed_jobs += (int)lp->live_jobs;
            return -1;
        }
        long timeout = 1000, curl_timeout = -1;
        double next = timer_next(&lp->timers);
        if (next >= 0) {
            double ms = (next - timer_now()) * 1000.0;
            timeout = ms <= 0 ? 0 : ms < 1000 ? (long)ms + 1 : 1000;
        }
        double proc_next = procs_next_wake(&lp->procs, now);
        if (proc_next >= 0) {
            double ms = (proc_next - timer_now()) * 1000.0;
            if (ms < timeout)
                timeout = ms <= 0 ? 0 : (long)ms + 1;
        }
        curl_multi_timeout(lp->multi, &curl_timeout);
        if (curl_timeout >= 0 && curl_timeout < timeout)
            timeout = curl_timeout;
        struct curl_waitfd fds[1 + 2 * 64];
        fds[0] = (struct curl_waitfd){lp->wake_fd[0], CURL_WAIT_POLLIN, 0};
        unsigned nfds = 1 + (unsigned)procs_waitfds(&lp->procs, fds + 1, 2 * 64);
        double stall = timer_now() - turn_began;
        if (stall > 0.05)
            lp->long_stalls++;
        if (procs_busy(&lp->procs) && stall > lp->max_stall_procs)
            lp->max_stall_procs = stall;
        if (stall > lp->max_stall) {
            lp->max_stall = stall;
            lp->max_stall_at = timer_now() - began;
        }
        mc = curl_multi_poll(lp->multi, fds, nfds, (int)timeout, NULL);
        turn_began = timer_now();
        if (mc != CURLM_OK) {
            fprintf(stderr, "hh: libcurl: %s\n", curl_multi_strerror(mc));
            return -1;
        }
    }
    return lp->failed_jobs;
}
