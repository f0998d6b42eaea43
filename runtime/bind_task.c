/* bind_task.c - hh.generate and hh.status as yielding C functions, and the
 * pieces hh.wait shares with them: finding the running job, calling the host
 * profile, turning a finished transfer into a Lua table. Host specifics
 * (URLs, field names, status words, local validation) come from the Lua host
 * profile installed with core.set_profile; this file only moves bytes. Calls
 * into the profile use lua_call: they run inside a job, whose lua_resume is
 * the protection, and every transfer is freed (task_push_outcome) first. */
#include "bind_task.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "loop.h"
#include "reach.h"
#include "visible.h"
#include "xfer.h"

static char profile_key;

struct loop *task_loop(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* The running job, or an error that says why a wait is impossible here. */
struct job *task_require_job(lua_State *L, const char *fn)
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

void task_push_profile_fn(lua_State *L, const char *name)
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
void task_push_outcome(lua_State *L, struct xfer *x)
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

struct xfer *task_take_xfer(struct job *job)
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
void task_stop_on_refusal(lua_State *L, struct loop *lp, long code, int msg_index)
{
    if (code != 401 && code != 402 && code != 403)
        return;
    if (lp->stop_submissions)
        return;
    const char *msg = lua_tostring(L, msg_index);
    char why[400];
    snprintf(why, sizeof why, "%s", msg ? msg : "the API refused the account");
    loop_stop_submissions(lp, why);
    fputs("hh: stopping new submissions: ", stderr);
    visible_fwrite(stderr, why, strlen(why), 0);     /* the host's words */
    fputc('\n', stderr);
}

/* --- hh.generate ---------------------------------------------------------- */

static int generate_k(lua_State *L, int status, lua_KContext ctx)
{
    struct loop *lp = (struct loop *)ctx;
    struct job *job = loop_job(L);
    struct xfer *x = task_take_xfer(job);
    long code = x->code;
    enum xfer_result result = x->result;
    (void)status;
    if (x->cancelled && result == XR_NOT_SENT) {
        xfer_free(x);
        return refused(L, lp);
    }
    /* stack: params opts req */
    task_push_profile_fn(L, "finish_submit");   /* ... fn */
    lua_pushvalue(L, 3);                   /* ... fn req */
    task_push_outcome(L, x);                    /* ... fn req outcome */
    lua_call(L, 2, 3);                     /* ... handle|nil msg class */
    if (!lua_isnil(L, -3)) {
        lua_pop(L, 2);
        return 1;
    }
    if (result == XR_ANSWERED)
        task_stop_on_refusal(L, lp, code, -2);
    return 3;
}

int task_generate(lua_State *L)
{
    struct loop *lp = task_loop(L);
    struct job *job = task_require_job(L, "hh.generate");
    char err[512];
    luaL_checktype(L, 1, LUA_TTABLE);
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    if (!loop_api_key(lp, err, sizeof err))
        return luaL_error(L, "%s", err);
    task_push_profile_fn(L, "prepare_generate"); /* params opts fn */
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
    struct xfer *x = xfer_new(&lp->xenv, XFER_SUBMIT, url);
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

void task_push_id(lua_State *L, int arg, const char *fn)
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

int task_start_status(lua_State *L, struct loop *lp, struct job *job, int id_index)
{
    char err[256];
    task_push_profile_fn(L, "status_url");
    lua_pushvalue(L, id_index);
    lua_call(L, 1, 1);
    const char *url = luaL_checkstring(L, -1);
    if (xfer_url_allowed(url, lp->cfg.allow_http, err, sizeof err) != 0)
        return luaL_error(L, "hh.status: %s: %s", url, err);
    struct xfer *x = xfer_new(&lp->xenv, XFER_API, url);
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
    struct xfer *x = task_take_xfer(loop_job(L));
    long code = x->code;
    (void)status;
    /* stack: task id */
    task_push_profile_fn(L, "parse_status");
    lua_pushvalue(L, 2);
    task_push_outcome(L, x);
    lua_call(L, 2, 3);                      /* result|nil msg class */
    if (lua_isnil(L, -3)) {
        task_stop_on_refusal(L, lp, code, -2);
        return 3;
    }
    lua_pop(L, 2);
    return 1;
}

int task_status(lua_State *L)
{
    struct loop *lp = task_loop(L);
    struct job *job = task_require_job(L, "hh.status");
    char err[512];
    lua_settop(L, 1);
    task_push_id(L, 1, "hh.status");        /* task id */
    if (!loop_api_key(lp, err, sizeof err))
        return luaL_error(L, "%s", err);
    task_start_status(L, lp, job, 2);
    return lua_yieldk(L, 0, (lua_KContext)lp, status_k);
}

/* --- hh.wait -------------------------------------------------------------- */

int task_set_profile(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushvalue(L, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &profile_key);
    return 0;
}
