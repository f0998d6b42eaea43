/* bind_core.c - the native module "hh.core": hh.generate, hh.status and
 * hh.wait as yielding C functions over the loop, plus spawn, park/wake,
 * sleep, configuration and counters. Host specifics (URLs, field names,
 * status words, local validation) come from the Lua host profile installed
 * with core.set_profile; this file only moves bytes and schedules. Calls into
 * the profile use lua_call: they run inside a job, whose lua_resume is the
 * protection, and every transfer is freed (push_outcome) before such a call. */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <yaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "canonical_json.h"
#include "loop.h"
#include "reach.h"
#include "version.h"
#include "xfer.h"

static char profile_key;

static struct loop *upvalue_loop(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* The running job, or an error that says why a wait is impossible here. */
static struct job *require_job(lua_State *L, const char *fn)
{
    struct job *job = loop_job(L);
    if (!job)
        luaL_error(L, "%s: must run inside an hh job (the script itself or a function given to hh.spawn), "
                      "not in a coroutine of your own", fn);
    if (!lua_isyieldable(L))
        luaL_error(L, "%s: cannot wait inside a function called from C (a table.sort comparator, a string.gsub "
                      "callback); call it from the job's own code", fn);
    return job;
}

static void push_profile_fn(lua_State *L, const char *name)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &profile_key);  /* profile */
    if (!lua_istable(L, -1))
        luaL_error(L, "hh: no host profile is installed");
    lua_getfield(L, -1, name);                        /* profile fn */
    if (!lua_isfunction(L, -1))
        luaL_error(L, "hh: the host profile has no function %s", name);
    lua_remove(L, -2);                                /* fn */
}

static const char *const result_names[] = {
    [XR_ANSWERED] = "answered", [XR_NOT_SENT] = "not_sent", [XR_UNKNOWN] = "unknown", [XR_FAILED] = "failed",
    [XR_TOO_LARGE] = "too_large", [XR_REFUSED] = "refused", [XR_BAD_FILE] = "bad_file",
};

/* Pushes what happened to a transfer as a table and frees the transfer,
 * so no Lua error after this point can leak it. */
static void push_outcome(lua_State *L, struct xfer *x)
{
    lua_createtable(L, 0, 8);
    lua_pushstring(L, result_names[x->result]);
    lua_setfield(L, -2, "result");
    lua_pushinteger(L, x->code);
    lua_setfield(L, -2, "code");
    lua_pushlstring(L, x->answer ? x->answer : "", x->answer_len);
    lua_setfield(L, -2, "answer");
    lua_pushstring(L, x->error);
    lua_setfield(L, -2, "error");
    lua_pushinteger(L, x->attempts);
    lua_setfield(L, -2, "attempts");
    lua_pushnumber(L, x->finished_at - x->queued_at);
    lua_setfield(L, -2, "seconds");
    if (x->kind == XFER_DOWNLOAD) {
        lua_pushinteger(L, (lua_Integer)x->offset);
        lua_setfield(L, -2, "bytes");
    }
    xfer_free(x);
}

static struct xfer *take_xfer(struct job *job)
{
    struct xfer *x = job->xfer;
    job->xfer = NULL;
    return x;
}

static int refused(lua_State *L, struct loop *lp)
{
    lua_pushnil(L);
    lua_pushfstring(L, lp->interrupted ? "not submitted: %s" : "not submitted: new submissions stopped after: %s",
                    lp->stop_reason);
    lua_pushstring(L, lp->interrupted ? "interrupted" : "stopped");
    return 3;
}

/* An answer that means the account cannot go on (401, 402, 403) stops new
 * submissions for the whole run, with one message. */
static void stop_on_refusal(lua_State *L, struct loop *lp, long code, int msg_index)
{
    if (code != 401 && code != 402 && code != 403)
        return;
    if (lp->stop_submissions)
        return;
    const char *msg = lua_tostring(L, msg_index);
    char why[400];
    snprintf(why, sizeof why, "%s", msg ? msg : "the API refused the account");
    loop_stop_submissions(lp, why);
    fprintf(stderr, "hh: stopping new submissions: %s\n", why);
}

/* --- hh.generate ---------------------------------------------------------- */

static int generate_k(lua_State *L, int status, lua_KContext ctx)
{
    struct loop *lp = (struct loop *)ctx;
    struct job *job = loop_job(L);
    struct xfer *x = take_xfer(job);
    long code = x->code;
    enum xfer_result result = x->result;
    (void)status;
    /* stack: params opts req */
    push_profile_fn(L, "finish_submit");   /* ... fn */
    lua_pushvalue(L, 3);                   /* ... fn req */
    push_outcome(L, x);                    /* ... fn req outcome */
    lua_call(L, 2, 3);                     /* ... handle|nil msg class */
    if (!lua_isnil(L, -3)) {
        lua_pop(L, 2);
        return 1;
    }
    if (result == XR_ANSWERED)
        stop_on_refusal(L, lp, code, -2);
    return 3;
}

static int l_generate(lua_State *L)
{
    struct loop *lp = upvalue_loop(L);
    struct job *job = require_job(L, "hh.generate");
    char err[512];
    luaL_checktype(L, 1, LUA_TTABLE);
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    if (!loop_api_key(lp, err, sizeof err))
        return luaL_error(L, "%s", err);
    push_profile_fn(L, "prepare_generate"); /* params opts fn */
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 1);                      /* params opts req */
    if (lp->stop_submissions)
        return refused(L, lp);
    lua_getfield(L, 3, "url");
    lua_getfield(L, 3, "body");
    lua_getfield(L, 3, "idempotency_key");  /* params opts req url body key */
    const char *url = luaL_checkstring(L, 4);
    size_t len;
    const char *body = luaL_checklstring(L, 5, &len);
    const char *key = lua_tostring(L, 6);
    if (xfer_url_allowed(url, lp->cfg.allow_http, err, sizeof err) != 0)
        return luaL_error(L, "hh.generate: %s: %s", url, err);
    char host[256];
    reach_host(url, host, sizeof host);
    const char *unreachable = reach_given_up(host);
    if (unreachable) { /* it never answered: fail now, not after waiting for a rate token */
        lua_pushnil(L);
        lua_pushfstring(L, "not submitted: %s (gave up: it never answered)", unreachable);
        lua_pushliteral(L, "not_sent");
        return 3;
    }
    struct xfer *x = xfer_new(lp, XFER_SUBMIT, url);
    if (!x || xfer_set_body(x, body, len, key) != 0) {
        xfer_free(x);
        return luaL_error(L, "out of memory");
    }
    if (lua_istable(L, 2)) {
        lua_getfield(L, 2, "on_send");          /* ... on_send */
        if (lua_isfunction(L, -1))
            x->on_send = luaL_ref(L, LUA_REGISTRYINDEX);
        else if (!lua_isnil(L, -1)) {
            xfer_free(x);
            return luaL_error(L, "hh.generate: on_send must be a function");
        } else
            lua_pop(L, 1);
    }
    lua_settop(L, 3);
    x->job = job;
    job->token++;
    loop_start(lp, x);
    return lua_yieldk(L, 0, (lua_KContext)lp, generate_k);
}

/* --- hh.status ------------------------------------------------------------ */

static void push_task_id(lua_State *L, int arg, const char *fn)
{
    if (lua_istable(L, arg)) {
        lua_getfield(L, arg, "id");
        if (!lua_isstring(L, -1))
            luaL_error(L, "%s: the task has no id", fn);
    } else if (lua_type(L, arg) == LUA_TSTRING) {
        lua_pushvalue(L, arg);
    } else {
        luaL_typeerror(L, arg, "task or task id");
    }
}

static int start_status(lua_State *L, struct loop *lp, struct job *job, int id_index)
{
    char err[256];
    push_profile_fn(L, "status_url");
    lua_pushvalue(L, id_index);
    lua_call(L, 1, 1);
    const char *url = luaL_checkstring(L, -1);
    if (xfer_url_allowed(url, lp->cfg.allow_http, err, sizeof err) != 0)
        return luaL_error(L, "hh.status: %s: %s", url, err);
    struct xfer *x = xfer_new(lp, XFER_API, url);
    lua_pop(L, 1);
    if (!x)
        return luaL_error(L, "out of memory");
    x->job = job;
    job->token++;
    loop_start(lp, x);
    return 0;
}

static int status_k(lua_State *L, int status, lua_KContext ctx)
{
    struct loop *lp = (struct loop *)ctx;
    struct xfer *x = take_xfer(loop_job(L));
    long code = x->code;
    (void)status;
    /* stack: task id */
    push_profile_fn(L, "parse_status");
    lua_pushvalue(L, 2);
    push_outcome(L, x);
    lua_call(L, 2, 3);                      /* result|nil msg class */
    if (lua_isnil(L, -3)) {
        stop_on_refusal(L, lp, code, -2);
        return 3;
    }
    lua_pop(L, 2);
    return 1;
}

static int l_status(lua_State *L)
{
    struct loop *lp = upvalue_loop(L);
    struct job *job = require_job(L, "hh.status");
    char err[512];
    lua_settop(L, 1);
    push_task_id(L, 1, "hh.status");        /* task id */
    if (!loop_api_key(lp, err, sizeof err))
        return luaL_error(L, "%s", err);
    start_status(L, lp, job, 2);
    return lua_yieldk(L, 0, (lua_KContext)lp, status_k);
}

/* --- hh.wait -------------------------------------------------------------- */

enum wait_phase { W_SLEEP, W_POLL_DUE, W_POLLING, W_DOWNLOADING, W_RECONSIDER };

struct wait_state {
    enum wait_phase phase;
    char kind[64];
    double submitted;        /* monotonic seconds; <0 unknown */
    double deadline;         /* absolute; 0 none */
    double last_interval;
    double not_found_grace;  /* 404s are tolerated this long after submission */
    int polls, errors, refreshes, observed;
    int poll_slot;           /* in the polling model while it waits, else -1 */
    enum poll_role role;
    int download;            /* the output path is the state's user value */
};

/* Stack while waiting: 1 task, 2 opts, 3 state, 4 id, 5 last result. */
enum { W_TASK = 1, W_OPTS, W_STATE, W_ID, W_RESULT };

static int wait_k(lua_State *L, int status, lua_KContext ctx);

static int wait_fail(lua_State *L, const char *msg, const char *cls)
{
    lua_pushnil(L);
    lua_pushstring(L, msg);
    lua_pushstring(L, cls);
    lua_pushvalue(L, W_RESULT);
    return 4;
}

static int wait_sleep_until(lua_State *L, struct loop *lp, struct wait_state *ws, double when)
{
    struct job *job = loop_job(L);
    job->token++;
    if (ws->deadline > 0 && when > ws->deadline)
        when = ws->deadline;
    ws->phase = W_POLL_DUE;
    loop_wake_at(lp, job, when);
    return lua_yieldk(L, 0, (lua_KContext)lp, wait_k);
}

static int wait_timed_out(lua_State *L, struct wait_state *ws)
{
    char msg[256];
    snprintf(msg, sizeof msg, "deadline passed: task %s is still running (it may still finish and be billed)",
             lua_tostring(L, W_ID));
    (void)ws;
    return wait_fail(L, msg, "timeout");
}

static int wait_step(lua_State *L, struct loop *lp)
{
    struct wait_state *ws = lua_touserdata(L, W_STATE);
    struct job *job = loop_job(L);
    for (;;) {
        double now = timer_now();
        switch (ws->phase) {
        case W_RECONSIDER:
            if (job->woken_by_timer) {
                ws->phase = W_POLL_DUE;
                continue;
            }
            /* fall through - woken because the model is ready */
        case W_SLEEP: {
            if (ws->deadline > 0 && now >= ws->deadline)
                return wait_timed_out(L, ws);
            double elapsed = ws->submitted >= 0 ? now - ws->submitted : 0;
            if (ws->submitted < 0) {
                /* A bare task id: nothing is known of it; poll now, then back off. */
                double delay = ws->polls == 0 ? 0 : ws->last_interval > 0
                    ? ws->last_interval * lp->cfg.poll.growth : lp->cfg.poll.min_interval;
                if (delay > lp->cfg.poll.max_interval)
                    delay = lp->cfg.poll.max_interval;
                ws->last_interval = delay;
                return wait_sleep_until(L, lp, ws, now + delay);
            }
            double delay = poll_next_delay(lp->poll, &lp->cfg.poll, ws->kind, elapsed, ws->last_interval, &ws->role);
            if (ws->role == POLL_PASSIVE) {
                /* Poll rarely until the model is ready; when it is, the key
                 * wakes this wait to plan afresh without a wasted poll. */
                struct job *j = loop_job(L);
                j->token++;
                ws->phase = W_RECONSIDER;
                ws->last_interval = delay;
                loop_wake_at_or_key(lp, j, now + delay, ws->kind);
                return lua_yieldk(L, 0, (lua_KContext)lp, wait_k);
            }
            ws->last_interval = delay;
            return wait_sleep_until(L, lp, ws, now + delay);
        }
        case W_POLL_DUE:
            if (ws->deadline > 0 && now >= ws->deadline)
                return wait_timed_out(L, ws);
            ws->phase = W_POLLING;
            start_status(L, lp, job, W_ID);
            return lua_yieldk(L, 0, (lua_KContext)lp, wait_k);
        case W_POLLING: {
            struct xfer *x = take_xfer(job);
            long code = x->code;
            ws->polls++;
            lua_settop(L, W_ID);
            push_profile_fn(L, "parse_status");
            lua_pushvalue(L, W_ID);
            push_outcome(L, x);
            lua_call(L, 2, 3);              /* ... result|nil msg class */
            if (lua_isnil(L, -3)) {
                char msg[512], cls[32];
                snprintf(msg, sizeof msg, "%s", lua_tostring(L, -2) ? lua_tostring(L, -2) : "status request failed");
                snprintf(cls, sizeof cls, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "failed");
                lua_settop(L, W_ID);
                lua_pushnil(L);             /* ... result=nil */
                if (strcmp(cls, "not_found") == 0 && ws->submitted >= 0 && now - ws->submitted < ws->not_found_grace) {
                    ws->phase = W_SLEEP;    /* some hosts know a task only moments after creating it */
                    continue;
                }
                /* Each request already retried max_retries times: a few
                 * more polls ride out a bad patch without giving up a paid task. */
                if ((strcmp(cls, "transient") == 0 || strcmp(cls, "transport") == 0) &&
                    ++ws->errors <= 4 * lp->cfg.max_retries) {
                    ws->phase = W_SLEEP;
                    continue;
                }
                lua_pushstring(L, msg);
                if (code == 401 || code == 403)
                    stop_on_refusal(L, lp, code, -1);
                lua_pop(L, 1);
                return wait_fail(L, msg, cls);
            }
            lua_pop(L, 2);                  /* ... result (now at W_RESULT) */
            ws->errors = 0;
            lua_getfield(L, W_RESULT, "status");
            const char *st = lua_tostring(L, -1);
            lua_pop(L, 1);
            if (!st || strcmp(st, "running") == 0 || strcmp(st, "unknown") == 0) {
                ws->phase = W_SLEEP;
                continue;
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
            lua_getfield(L, W_RESULT, "url");
            const char *url = lua_tostring(L, -1);
            char err[256];
            if (!url) {
                lua_pop(L, 1);
                return wait_fail(L, "the task succeeded but the host gave no result URL", "no_url");
            }
            if (xfer_url_allowed(url, lp->cfg.allow_http, err, sizeof err) != 0) {
                char msg[700];
                snprintf(msg, sizeof msg, "result URL refused: %s", err);
                lua_pop(L, 1);
                return wait_fail(L, msg, "bad_url");
            }
            if (!ws->download) {
                lua_pop(L, 1);
                lua_pushvalue(L, W_RESULT);
                return 1;
            }
            struct xfer *d = xfer_new(lp, XFER_DOWNLOAD, url);
            lua_pop(L, 1);
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
        case W_DOWNLOADING: {
            struct xfer *x = take_xfer(job);
            enum xfer_result r = x->result;
            long code = x->code;
            int committed = r == XR_ANSWERED && (code == 200 || code == 206);
            lua_settop(L, W_RESULT);
            push_outcome(L, x);             /* ... outcome */
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
                ws->phase = W_POLL_DUE;
                lua_pop(L, 1);
                continue;
            }
            lua_getfield(L, -1, "error");
            char msg[700];
            snprintf(msg, sizeof msg, "download of task %s failed: %s", lua_tostring(L, W_ID), lua_tostring(L, -1));
            lua_pop(L, 2);
            return wait_fail(L, msg, r == XR_TOO_LARGE ? "too_large" : r == XR_BAD_FILE ? "bad_file"
                                     : r == XR_REFUSED ? "bad_url" : "download");
        }
        }
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
    struct loop *lp = upvalue_loop(L);
    char err[512];
    require_job(L, "hh.wait");
    lua_settop(L, 2);
    if (!lua_isnil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    struct wait_state *ws = lua_newuserdatauv(L, sizeof *ws, 1); /* task opts state */
    memset(ws, 0, sizeof *ws);
    push_task_id(L, 1, "hh.wait");                                 /* task opts state id */
    lua_pushnil(L);                                                /* task opts state id result */
    if (!loop_api_key(lp, err, sizeof err))
        return luaL_error(L, "%s", err);
    ws->phase = W_SLEEP;
    ws->submitted = -1;
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
        lua_pop(L, 2);
    }
    double timeout = opt_number(L, W_OPTS, "deadline", 0);
    if (timeout < 0)
        return luaL_error(L, "hh.wait: deadline must be 0 or more seconds");
    ws->deadline = timeout > 0 ? timer_now() + timeout : 0;
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

/* --- jobs, time, configuration ------------------------------------------- */

static int l_run(lua_State *L)
{
    struct loop *lp = upvalue_loop(L);
    if (loop_job(L))
        return luaL_error(L, "hh.core.run: already running");
    luaL_checktype(L, 1, LUA_TFUNCTION);
    loop_spawn(lp, L, lua_gettop(L) - 1);
    int rc = loop_run(lp);
    lua_pushinteger(L, lp->failed_jobs);
    lua_pushboolean(L, rc < 0 && lp->interrupted >= 2);
    lua_pushinteger(L, lp->interrupted);
    return 3;
}

static int l_spawn(lua_State *L)
{
    struct loop *lp = upvalue_loop(L);
    luaL_checktype(L, 1, LUA_TFUNCTION);
    struct job *job = loop_spawn(lp, L, lua_gettop(L) - 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, job->ref);
    return 1;
}

static int l_park(lua_State *L)
{
    struct loop *lp = upvalue_loop(L);
    struct job *job = require_job(L, "hh.core.park");
    job->token++;
    job->state = JOB_PARKED;
    lp->parked_jobs++;
    return lua_yield(L, 0);
}

static int l_wake(lua_State *L)
{
    struct loop *lp = upvalue_loop(L);
    lua_State *co = lua_tothread(L, 1);
    luaL_argcheck(L, co != NULL, 1, "coroutine expected");
    struct job *job = loop_job(co);
    if (job && job->state == JOB_PARKED)
        loop_ready(lp, job);
    return 0;
}

static int sleep_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)L;
    (void)status;
    (void)ctx;
    return 0;
}

static int l_sleep(lua_State *L)
{
    struct loop *lp = upvalue_loop(L);
    struct job *job = require_job(L, "hh.sleep");
    double s = luaL_checknumber(L, 1);
    luaL_argcheck(L, s >= 0 && s == s, 1, "seconds must be 0 or more");
    job->token++;
    loop_wake_at(lp, job, timer_now() + s);
    return lua_yieldk(L, 0, 0, sleep_k);
}

static int l_now(lua_State *L)
{
    lua_pushnumber(L, timer_now());
    return 1;
}

static int l_set_profile(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushvalue(L, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &profile_key);
    return 0;
}

static int l_job_failed(lua_State *L)
{
    upvalue_loop(L)->failed_jobs++;
    return 0;
}

static int l_stopped(lua_State *L)
{
    struct loop *lp = upvalue_loop(L);
    if (!lp->stop_submissions)
        return 0;
    lua_pushstring(L, lp->stop_reason);
    lua_pushboolean(L, lp->interrupted > 0);
    return 2;
}

static int l_stop(lua_State *L)
{
    loop_stop_submissions(upvalue_loop(L), luaL_checkstring(L, 1));
    return 0;
}

static int l_check_key(lua_State *L)
{
    char err[512];
    if (loop_api_key(upvalue_loop(L), err, sizeof err)) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushnil(L);
    lua_pushstring(L, err);
    return 2;
}

static int l_stats(lua_State *L)
{
    struct loop *lp = upvalue_loop(L);
    lua_createtable(L, 0, 8);
    lua_pushinteger(L, lp->requests[XFER_SUBMIT]);
    lua_setfield(L, -2, "submit_requests");
    lua_pushinteger(L, lp->requests[XFER_API]);
    lua_setfield(L, -2, "status_requests");
    lua_pushinteger(L, lp->requests[XFER_DOWNLOAD]);
    lua_setfield(L, -2, "download_requests");
    lua_pushinteger(L, lp->retries);
    lua_setfield(L, -2, "retries");
    lua_pushinteger(L, (lua_Integer)lp->active);
    lua_setfield(L, -2, "active");
    lua_pushinteger(L, (lua_Integer)lp->live_jobs);
    lua_setfield(L, -2, "jobs");
    lua_pushnumber(L, lp->rate.rate);
    lua_setfield(L, -2, "rate");
    return 1;
}

static int l_poll_model(lua_State *L)
{
    struct loop *lp = upvalue_loop(L);
    double median, sigma;
    int n = poll_samples(lp->poll, luaL_checkstring(L, 1), &median, &sigma);
    lua_pushinteger(L, n);
    lua_pushnumber(L, median);
    lua_pushnumber(L, sigma);
    return 3;
}

static int l_versions(lua_State *L)
{
    lua_createtable(L, 0, 5);
    lua_pushstring(L, HH_VERSION);
    lua_setfield(L, -2, "hh");
    lua_pushstring(L, LUA_RELEASE);
    lua_setfield(L, -2, "lua");
    lua_pushstring(L, curl_version_info(CURLVERSION_NOW)->version);
    lua_setfield(L, -2, "libcurl");
    lua_pushstring(L, yaml_get_version_string());
    lua_setfield(L, -2, "libyaml");
    lua_pushstring(L, sqlite3_libversion());
    lua_setfield(L, -2, "sqlite");
    return 1;
}

/* SHA-256 as lowercase hex, into hex[65]; 0 on failure. */
static int sha256_hex(const char *data, size_t len, char hex[65])
{
    /* Fetched once: OpenSSL 3 looks the algorithm up on every EVP_sha256(). */
    static EVP_MD *sha256;
    static EVP_MD_CTX *ctx;
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (!sha256)
        sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!ctx)
        ctx = EVP_MD_CTX_new();
    if (!sha256 || !ctx || !EVP_DigestInit_ex(ctx, sha256, NULL) || !EVP_DigestUpdate(ctx, data, len) ||
        !EVP_DigestFinal_ex(ctx, md, &mdlen))
        return 0;
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = 0;
    return 1;
}

static int l_sha256(lua_State *L)
{
    size_t len;
    const char *data = luaL_checklstring(L, 1, &len);
    char hex[65];
    if (!sha256_hex(data, len, hex))
        return luaL_error(L, "sha256 failed");
    lua_pushlstring(L, hex, 64);
    return 1;
}

/* core.digest(prefix, n, ...) -> prefix .. the first n hex digits of the
 * SHA-256 of the other arguments joined (strings as they are, anything else
 * as canonical JSON); or nil and a message. Job and cell ids, one call each. */
static int l_digest(lua_State *L)
{
    size_t prefix_len, len;
    const char *prefix = luaL_checklstring(L, 1, &prefix_len);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, prefix_len <= 64, 1, "at most 64 bytes");
    luaL_argcheck(L, n >= 1 && n <= 64, 2, "1 to 64 hex digits");
    const char *err;
    const char *bytes = canonical_join(L, 3, lua_gettop(L), &len, &err);
    if (!bytes) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    char id[64 + 65];
    if (!sha256_hex(bytes, len, id + prefix_len))
        return luaL_error(L, "sha256 failed");
    memcpy(id, prefix, prefix_len);
    lua_pushlstring(L, id, prefix_len + (size_t)n);
    return 1;
}

/* Random hex from the kernel, for per-run nonces. */
static int l_random_hex(lua_State *L)
{
    int n = (int)luaL_optinteger(L, 1, 16);
    luaL_argcheck(L, n > 0 && n <= 64, 1, "1 to 64 bytes");
    unsigned char buf[64];
    char hex[129];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(buf, 1, (size_t)n, f) : 0;
    if (f)
        fclose(f);
    if (got != (size_t)n)
        for (int i = 0; i < n; i++)
            buf[i] = (unsigned char)(retry_random() >> 24);
    for (int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", buf[i]);
    lua_pushlstring(L, hex, (size_t)(2 * n));
    return 1;
}

/* core.merge(t1, t2, ...) -> a new table with the keys of every table
 * argument, later ones winning; nil arguments are skipped. Sized once:
 * building a job's request from recipe, cell and variant this way is several
 * times cheaper than copying key by key in Lua, which regrows the table. */
static int l_merge(lua_State *L)
{
    int n = lua_gettop(L);
    int keys = 0;
    for (int i = 1; i <= n; i++) {
        if (lua_isnil(L, i))
            continue;
        luaL_checktype(L, i, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, i)) {
            lua_pop(L, 1);
            keys++;
        }
    }
    lua_createtable(L, 0, keys);
    for (int i = 1; i <= n; i++) {
        if (lua_isnil(L, i))
            continue;
        lua_pushnil(L);
        while (lua_next(L, i)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, n + 1);
        }
    }
    return 1;
}

/* core.canonical(value) -> canonical JSON text, or nil and a message. */
static int l_canonical(lua_State *L)
{
    luaL_checkany(L, 1);
    return canonical_json(L, 1);
}

static const luaL_Reg core_functions[] = {
    {"canonical", l_canonical},
    {"versions", l_versions},
    {"sha256", l_sha256},
    {"digest", l_digest},
    {"merge", l_merge},
    {"random_hex", l_random_hex},
    {"generate", l_generate},
    {"status", l_status},
    {"run", l_run},
    {"spawn", l_spawn},
    {"park", l_park},
    {"wake", l_wake},
    {"sleep", l_sleep},
    {"now", l_now},
    {"set_profile", l_set_profile},
    {"configure", bind_configure},
    {"job_failed", l_job_failed},
    {"stopped", l_stopped},
    {"stop", l_stop},
    {"check_key", l_check_key},
    {"stats", l_stats},
    {"poll_model", l_poll_model},
    {NULL, NULL},
};

int luaopen_hh_core(lua_State *L)
{
    struct loop *lp = lua_touserdata(L, lua_upvalueindex(1));
    luaL_newlibtable(L, core_functions);
    lua_pushlightuserdata(L, lp);
    luaL_setfuncs(L, core_functions, 1);
    /* hh.wait carries the metatable of its state as a second upvalue. */
    lua_pushlightuserdata(L, lp);
    lua_createtable(L, 0, 1);
    lua_pushlightuserdata(L, lp);
    lua_pushcclosure(L, wait_gc, 1);
    lua_setfield(L, -2, "__gc");
    lua_pushcclosure(L, l_wait, 2);
    lua_setfield(L, -2, "wait");
    return 1;
}
