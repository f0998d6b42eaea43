/* bind_wait.c - hh.wait: polls a task until it is final and downloads its
 * result, as a yielding C function over a small state machine (plan the next
 * poll, poll, read the answer, download). Every wait ends by a limit: the
 * caller's deadline, else a default fixed from the polling model's fit, and
 * after an interrupt the end of its grace; past it the task is left to a
 * later run, still paid for and pending. A succeeded task whose URL is
 * missing or refused, or whose download fails, is asked for a fresh URL a
 * few times before the wait gives up: the result stays paid for either way,
 * so the caller keeps it pending delivery rather than failed. Once the host
 * has said a task succeeded, no deadline applies (only an interrupt's grace)
 * and whatever ends the wait, the caller is given that answer. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>

#include "bind_task.h"
#include "loop.h"
#include "xfer.h"

enum wait_phase { W_PLAN, W_RECONSIDER, W_POLL_DUE, W_POLLING, W_DOWNLOADING };

struct wait_state {
    enum wait_phase phase;
    char kind[64];
    double submitted;        /* monotonic seconds; <0 unknown (a bare task id) */
    double started;          /* when this wait began */
    double base;             /* when the task began, as far as known: deadlines count from it */
    double deadline;         /* the caller's, absolute; 0 none */
    double last_interval;
    double not_found_grace;  /* 404s are tolerated this long after submission */
    int polls, errors, refreshes, url_retries, observed;
    int succeeded;           /* the host said so: its answer is the state's second user value */
    char problem[700];       /* why the result is not in yet, once succeeded */
    char problem_class[16];
    int poll_slot;           /* in the polling model while it waits, else -1 */
    enum poll_role role;
    int download;            /* the output path is the state's user value */
};

/* Stack while waiting: 1 task, 2 opts, 3 state, 4 id, 5 last result. */
enum { W_TASK = 1, W_OPTS, W_STATE, W_ID, W_RESULT };

/* A phase function returns this to go on with the next phase; anything else
 * is what hh.wait returns (lua_yieldk never returns: it unwinds). */
#define W_CONTINUE (-1)
/* Fresh URLs asked for after a missing or refused URL or a failed download. */
#define URL_RETRIES 5
/* The default deadline: this many times the 99.9th percentile render time. */
#define DEADLINE_FACTOR 3.0

static int wait_k(lua_State *L, int status, lua_KContext ctx);

/* Ends the wait without a result: nil, why, its class, and the host's last
 * answer, which for a task once seen to succeed is that answer (a later
 * failed status request must not make a paid result look unfinished). */
static int wait_fail(lua_State *L, const char *msg, const char *cls)
{
    struct wait_state *ws = lua_touserdata(L, W_STATE);
    lua_pushnil(L);
    lua_pushstring(L, msg);
    lua_pushstring(L, cls);
    if (ws->succeeded)
        lua_getiuservalue(L, W_STATE, 2);
    else
        lua_pushvalue(L, W_RESULT);
    return 4;
}

/* The wait's own limit: the caller's deadline, else the default one,
 * counted from when the task began and never less than wait_deadline_min
 * from when this wait began (a task resumed long after it was submitted
 * still gets its polls). The default comes from the render times of the
 * kind's completed tasks (DEADLINE_FACTOR times their 99.9th percentile,
 * within wait_deadline_min..max); before there are enough, the maximum. */
static double own_limit(struct loop *lp, struct wait_state *ws)
{
    if (ws->succeeded)
        return 0; /* finished at the host: the URL retries are bounded on their own */
    if (ws->deadline > 0)
        return ws->deadline;
    double q, d = lp->cfg.wait_deadline_max, floor = ws->started + lp->cfg.wait_deadline_min;
    if (poll_quantile(lp->poll, &lp->cfg.poll, ws->kind, 3.090, &q)) {
        d = DEADLINE_FACTOR * q;
        if (d < lp->cfg.wait_deadline_min)
            d = lp->cfg.wait_deadline_min;
        if (d > lp->cfg.wait_deadline_max)
            d = lp->cfg.wait_deadline_max;
    }
    return ws->base + d > floor ? ws->base + d : floor;
}

static double limit_of(struct loop *lp, struct wait_state *ws)
{
    return loop_wait_limit(lp, own_limit(lp, ws));
}

static int timed_out(lua_State *L, struct loop *lp, struct wait_state *ws, double now)
{
    char msg[320];
    const char *id = lua_tostring(L, W_ID);
    double own = own_limit(lp, ws);
    if (ws->succeeded)
        return wait_fail(L, ws->problem, ws->problem_class); /* only an interrupt ends it early */
    if (lp->grace_until > 0 && lp->grace_until <= own) {
        snprintf(msg, sizeof msg, "interrupted while task %s was still running", id);
        return wait_fail(L, msg, "interrupted");
    }
    if (ws->deadline > 0)
        snprintf(msg, sizeof msg, "deadline passed: task %s is still running (it may still finish and be billed)", id);
    else
        snprintf(msg, sizeof msg, "task %s is still running after %.0f s, past its default deadline", id,
                 now - ws->base);
    return wait_fail(L, msg, "timeout");
}

/* Sleeps until `when` (never past the limit), then polls. */
static int sleep_until(lua_State *L, struct loop *lp, struct wait_state *ws, double when)
{
    struct job *job = loop_job(L);
    double limit = limit_of(lp, ws);
    job->token++;
    if (limit > 0 && when > limit)
        when = limit;
    ws->phase = W_POLL_DUE;
    loop_wake_at(lp, job, when);
    job->wait_sleeping = 1;
    return lua_yieldk(L, 0, (lua_KContext)lp, wait_k);
}

/* W_PLAN: when to poll next. */
static int plan(lua_State *L, struct loop *lp, struct wait_state *ws, double now)
{
    double limit = limit_of(lp, ws);
    if (limit > 0 && now >= limit)
        return timed_out(L, lp, ws, now);
    if (ws->submitted < 0) {
        /* A bare task id: nothing is known of it; poll now, then back off. */
        double delay = ws->polls == 0 ? 0 : ws->last_interval > 0
            ? ws->last_interval * lp->cfg.poll.growth : lp->cfg.poll.min_interval;
        if (delay > lp->cfg.poll.max_interval)
            delay = lp->cfg.poll.max_interval;
        ws->last_interval = delay;
        return sleep_until(L, lp, ws, now + delay);
    }
    double delay = poll_next_delay(lp->poll, &lp->cfg.poll, ws->kind, now - ws->submitted, ws->last_interval, &ws->role);
    ws->last_interval = delay;
    if (ws->role != POLL_PASSIVE)
        return sleep_until(L, lp, ws, now + delay);
    /* Poll rarely until the model is ready; when it is, the key wakes this
     * wait to plan afresh without a wasted poll. */
    struct job *job = loop_job(L);
    double when = now + delay;
    if (limit > 0 && when > limit)
        when = limit;
    job->token++;
    ws->phase = W_RECONSIDER;
    loop_wake_at_or_key(lp, job, when, ws->kind);
    job->wait_sleeping = 1;
    return lua_yieldk(L, 0, (lua_KContext)lp, wait_k);
}

/* A succeeded task without a usable result yet: ask again after a while. */
static int url_problem(lua_State *L, struct loop *lp, struct wait_state *ws, double now, const char *msg,
                       const char *cls)
{
    snprintf(ws->problem, sizeof ws->problem, "%s", msg);
    snprintf(ws->problem_class, sizeof ws->problem_class, "%s", cls);
    if (ws->url_retries >= URL_RETRIES)
        return wait_fail(L, msg, cls);
    double delay = lp->cfg.poll.min_interval * (double)(1 << ws->url_retries++);
    if (delay > lp->cfg.poll.max_interval)
        delay = lp->cfg.poll.max_interval;
    return sleep_until(L, lp, ws, now + delay);
}

static int start_download(lua_State *L, struct loop *lp, struct wait_state *ws, const char *url)
{
    struct job *job = loop_job(L);
    struct xfer *d = xfer_new(&lp->xenv, XFER_DOWNLOAD, url);
    lua_getiuservalue(L, W_STATE, 1);
    const char *output = lua_tostring(L, -1);
    int bad = !d || xfer_set_path(d, output) != 0;
    lua_pop(L, 1);
    if (bad) {
        xfer_free(d);
        return luaL_error(L, "out of memory");
    }
    d->job = job;
    job->token++;
    ws->phase = W_DOWNLOADING;
    loop_start(lp, d);
    return lua_yieldk(L, 0, (lua_KContext)lp, wait_k);
}

/* W_POLLING: a status answer (or its failure) is in. */
static int polled(lua_State *L, struct loop *lp, struct wait_state *ws, double now)
{
    struct xfer *x = task_take_xfer(loop_job(L));
    long code = x->code;
    ws->polls++;
    lua_settop(L, W_ID);
    task_push_profile_fn(L, "parse_status");
    lua_pushvalue(L, W_ID);
    task_push_outcome(L, x);
    lua_call(L, 2, 3);                      /* ... result|nil msg class */
    if (lua_isnil(L, -3)) {
        char msg[512], cls[32];
        snprintf(msg, sizeof msg, "%s", lua_tostring(L, -2) ? lua_tostring(L, -2) : "status request failed");
        snprintf(cls, sizeof cls, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "failed");
        lua_settop(L, W_ID);
        lua_pushnil(L);                     /* ... result=nil */
        if (strcmp(cls, "not_found") == 0 && ws->submitted >= 0 && now - ws->submitted < ws->not_found_grace) {
            ws->phase = W_PLAN;             /* some hosts know a task only moments after creating it */
            return W_CONTINUE;
        }
        /* Each request already retried max_retries times: a few more polls
         * ride out a bad patch without giving up a paid task. */
        if ((strcmp(cls, "transient") == 0 || strcmp(cls, "transport") == 0) &&
            ++ws->errors <= 4 * lp->cfg.max_retries) {
            ws->phase = W_PLAN;
            return W_CONTINUE;
        }
        lua_pushstring(L, msg);
        if (code == 401 || code == 403)
            task_stop_on_refusal(L, lp, code, -1);
        lua_pop(L, 1);
        return wait_fail(L, msg, cls);
    }
    lua_pop(L, 2);                          /* ... result (now at W_RESULT) */
    ws->errors = 0;
    lua_getfield(L, W_RESULT, "status");
    const char *st = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (!st || strcmp(st, "running") == 0 || strcmp(st, "unknown") == 0) {
        if (ws->succeeded) /* a host that takes its word back: ask again, a bounded number of times */
            return url_problem(L, lp, ws, now, ws->problem, ws->problem_class);
        ws->phase = W_PLAN;
        return W_CONTINUE;
    }
    if (!ws->observed && ws->submitted >= 0 && strcmp(st, "succeeded") == 0) {
        /* The task ended somewhere in the last interval: take its middle. */
        int was_ready = poll_ready(lp->poll, &lp->cfg.poll, ws->kind);
        ws->observed = 1;
        poll_observe(lp->poll, ws->kind, now - ws->submitted - ws->last_interval / 2);
        if (!was_ready && poll_ready(lp->poll, &lp->cfg.poll, ws->kind))
            loop_wake_key(lp, ws->kind);
    }
    lua_pushnumber(L, ws->polls);
    lua_setfield(L, W_RESULT, "polls");
    if (strcmp(st, "succeeded") != 0) {
        lua_getfield(L, W_RESULT, "error");
        const char *why = lua_tostring(L, -1);
        char msg[1024];
        snprintf(msg, sizeof msg, "task %s %s: %s", lua_tostring(L, W_ID), st, why ? why : "no reason given");
        lua_pop(L, 1);
        return wait_fail(L, msg, st);
    }
    ws->succeeded = 1;
    lua_pushvalue(L, W_RESULT);
    lua_setiuservalue(L, W_STATE, 2);
    lua_getfield(L, W_RESULT, "url");
    const char *url = lua_tostring(L, -1);
    char err[256];
    if (!url) {
        lua_pop(L, 1);
        return url_problem(L, lp, ws, now, "the task succeeded but the host gave no result URL", "no_url");
    }
    if (xfer_url_allowed(url, lp->cfg.allow_http, err, sizeof err) != 0) {
        char msg[700];
        snprintf(msg, sizeof msg, "result URL refused: %s", err);
        lua_pop(L, 1);
        return url_problem(L, lp, ws, now, msg, "bad_url");
    }
    if (!ws->download) {
        lua_pop(L, 1);
        lua_pushvalue(L, W_RESULT);
        return 1;
    }
    return start_download(L, lp, ws, url); /* the URL stays on the stack until the download is in */
}

/* W_DOWNLOADING: the download is over, one way or another. */
static int downloaded(lua_State *L, struct loop *lp, struct wait_state *ws, double now)
{
    struct xfer *x = task_take_xfer(loop_job(L));
    enum xfer_result r = x->result;
    long code = x->code;
    int committed = r == XR_ANSWERED && (code == 200 || code == 206);
    lua_settop(L, W_RESULT);
    task_push_outcome(L, x);                /* ... outcome */
    if (committed) {
        lua_getfield(L, -1, "bytes");
        lua_setfield(L, W_RESULT, "bytes");
        lua_getiuservalue(L, W_STATE, 1);
        lua_setfield(L, W_RESULT, "file");
        lua_pushvalue(L, W_RESULT);
        return 1;
    }
    if (r == XR_ANSWERED && (code == 403 || code == 404 || code == 410) && ws->refreshes < 5) {
        /* The URL expired: a new status answer carries a fresh one. */
        ws->refreshes++;
        snprintf(ws->problem, sizeof ws->problem, "download of task %s failed: its URL expired (HTTP %ld)",
                 lua_tostring(L, W_ID), code);
        snprintf(ws->problem_class, sizeof ws->problem_class, "download");
        ws->phase = W_POLL_DUE;
        lua_pop(L, 1);
        return W_CONTINUE;
    }
    lua_getfield(L, -1, "error");
    char msg[700];
    snprintf(msg, sizeof msg, "download of task %s failed: %s", lua_tostring(L, W_ID), lua_tostring(L, -1));
    lua_pop(L, 2);
    const char *cls = r == XR_TOO_LARGE ? "too_large" : r == XR_BAD_FILE ? "bad_file" : r == XR_REFUSED ? "bad_url"
                                                                                                  : "download";
    /* A refused redirect, a cut connection or a corrupt body may go another
     * way with a fresh URL; a file too large, or an expired URL after its
     * refreshes, would not. */
    if (r == XR_REFUSED || r == XR_FAILED || r == XR_BAD_FILE)
        return url_problem(L, lp, ws, now, msg, cls);
    return wait_fail(L, msg, cls);
}

static int wait_step(lua_State *L, struct loop *lp)
{
    struct wait_state *ws = lua_touserdata(L, W_STATE);
    struct job *job = loop_job(L);
    for (;;) {
        double now = timer_now();
        int n = W_CONTINUE;
        switch (ws->phase) {
        case W_RECONSIDER:
            /* Woken by the timer: its poll is due; by the key: plan afresh. */
            ws->phase = job->woken_by_timer ? W_POLL_DUE : W_PLAN;
            break;
        case W_PLAN:
            n = plan(L, lp, ws, now);
            break;
        case W_POLL_DUE: {
            double limit = limit_of(lp, ws);
            if (limit > 0 && now >= limit)
                return timed_out(L, lp, ws, now);
            ws->phase = W_POLLING;
            task_start_status(L, lp, job, W_ID);
            return lua_yieldk(L, 0, (lua_KContext)lp, wait_k);
        }
        case W_POLLING:
            n = polled(L, lp, ws, now);
            break;
        case W_DOWNLOADING:
            n = downloaded(L, lp, ws, now);
            break;
        }
        if (n != W_CONTINUE)
            return n;
    }
}

/* Leaves the polling model's set of running tasks once the wait is over. */
static void wait_done(struct loop *lp, struct wait_state *ws)
{
    if (ws->poll_slot >= 0) {
        poll_untrack(lp->poll, ws->kind, ws->poll_slot);
        ws->poll_slot = -1;
    }
    poll_leave(lp->poll, ws->kind, ws->role);
    ws->role = POLL_MODEL;
}

/* wait_step only returns when the wait is over (a yield unwinds past it). */
static int wait_step_tracked(lua_State *L, struct loop *lp)
{
    int n = wait_step(L, lp);
    wait_done(lp, lua_touserdata(L, W_STATE));
    return n;
}

static int wait_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    return wait_step_tracked(L, (struct loop *)ctx);
}

/* A wait abandoned by an error or a closed coroutine still leaves the model. */
static int wait_gc(lua_State *L)
{
    struct wait_state *ws = lua_touserdata(L, 1);
    struct loop *lp = lua_touserdata(L, lua_upvalueindex(1));
    wait_done(lp, ws);
    return 0;
}

static double opt_number(lua_State *L, int opts, const char *name, double dflt)
{
    if (lua_isnoneornil(L, opts))
        return dflt;
    lua_getfield(L, opts, name);
    double v = dflt;
    if (!lua_isnil(L, -1)) {
        if (!lua_isnumber(L, -1))
            luaL_error(L, "hh.wait: %s must be a number of seconds", name);
        v = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

static int l_wait(lua_State *L)
{
    struct loop *lp = task_loop(L);
    char err[512];
    task_require_job(L, "hh.wait");
    lua_settop(L, 2);
    if (!lua_isnil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    struct wait_state *ws = lua_newuserdatauv(L, sizeof *ws, 2); /* task opts state */
    memset(ws, 0, sizeof *ws);
    task_push_id(L, 1, "hh.wait");                                 /* task opts state id */
    lua_pushnil(L);                                                /* task opts state id result */
    if (!loop_api_key(lp, err, sizeof err))
        return luaL_error(L, "%s", err);
    ws->phase = W_PLAN;
    ws->submitted = -1;
    ws->started = timer_now();
    ws->poll_slot = -1;
    ws->role = POLL_NEW;
    snprintf(ws->kind, sizeof ws->kind, "?");
    if (lua_istable(L, W_TASK)) {
        lua_getfield(L, W_TASK, "submitted");
        if (lua_isnumber(L, -1))
            ws->submitted = lua_tonumber(L, -1);
        lua_getfield(L, W_TASK, "kind");
        if (lua_isstring(L, -1))
            snprintf(ws->kind, sizeof ws->kind, "%s", lua_tostring(L, -1));
        lua_getfield(L, W_TASK, "age"); /* a task from a journal: seconds it has existed */
        if (lua_isnumber(L, -1) && lua_tonumber(L, -1) > 0)
            ws->base = ws->started - lua_tonumber(L, -1);
        lua_pop(L, 3);
    }
    if (ws->submitted >= 0)
        ws->base = ws->submitted;
    else if (ws->base == 0)
        ws->base = ws->started;
    double timeout = opt_number(L, W_OPTS, "deadline", 0);
    if (timeout < 0)
        return luaL_error(L, "hh.wait: deadline must be 0 or more seconds");
    ws->deadline = timeout > 0 ? ws->started + timeout : 0;
    ws->not_found_grace = opt_number(L, W_OPTS, "not_found_grace", 30);
    if (!lua_isnil(L, W_OPTS)) {
        lua_getfield(L, W_OPTS, "output");
        if (!lua_isnil(L, -1)) {
            size_t len;
            if (lua_type(L, -1) != LUA_TSTRING || (lua_tolstring(L, -1, &len), len == 0 || len > 4000))
                return luaL_error(L, "hh.wait: output must be a file path");
            ws->download = 1;
            lua_setiuservalue(L, W_STATE, 1);
        } else {
            lua_pop(L, 1);
        }
    }
    if (ws->submitted >= 0)
        ws->poll_slot = poll_track(lp->poll, ws->kind, ws->submitted);
    lua_pushvalue(L, lua_upvalueindex(2));                         /* metatable with __gc */
    lua_setmetatable(L, W_STATE);
    return wait_step_tracked(L, lp);
}

void wait_register(lua_State *L, struct loop *lp)
{
    /* hh.wait carries the metatable of its state as a second upvalue. */
    lua_pushlightuserdata(L, lp);
    lua_createtable(L, 0, 1);
    lua_pushlightuserdata(L, lp);
    lua_pushcclosure(L, wait_gc, 1);
    lua_setfield(L, -2, "__gc");
    lua_pushcclosure(L, l_wait, 2);
    lua_setfield(L, -2, "wait");
}
