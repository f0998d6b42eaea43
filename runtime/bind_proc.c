/* bind_proc.c - core.process(argv, opts): runs a program as a child of the
 * event loop (proc.c) and yields the job until it has ended. The result is
 * a table: exit (its status) or signal, out (stdout), err (the tail of
 * stderr), and timed_out / overflow / interrupted / not_started (with
 * error) when hh ended it or could not start it. core.findable(name) says
 * whether a program is in PATH. */
#include <lauxlib.h>
#include <lua.h>
#include <string.h>

#include "bind_task.h"
#include "loop.h"
#include "proc.h"
#include "timer.h"

static void proc_done(struct proc *p, void *arg)
{
    struct job *job = arg;
    loop_ready(job->loop, job);
    (void)p;
}

static int process_k(lua_State *L, int status, lua_KContext ctx)
{
    struct proc *p = (struct proc *)ctx;
    struct loop *lp = task_loop(L);
    (void)status;
    procs_release(&lp->procs, p);
    lua_createtable(L, 0, 6);
    lua_pushlstring(L, p->out.data ? p->out.data : "", p->out.len);
    lua_setfield(L, -2, "out");
    lua_pushlstring(L, p->err, p->err_len);
    lua_setfield(L, -2, "err");
    switch (p->end) {
    case PROC_EXITED:
        lua_pushinteger(L, p->status);
        lua_setfield(L, -2, "exit");
        break;
    case PROC_SIGNALLED:
        lua_pushinteger(L, p->status);
        lua_setfield(L, -2, "signal");
        break;
    case PROC_NOT_STARTED:
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "not_started");
        lua_pushstring(L, p->start_error);
        lua_setfield(L, -2, "error");
        break;
    default: {
        static const char *const why[] = {[PROC_TIMED_OUT] = "timed_out", [PROC_OVERFLOW] = "overflow",
                                          [PROC_INTERRUPTED] = "interrupted"};
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, why[p->end]);
    }
    }
    proc_free(p);
    return 1;
}

static double opt_number(lua_State *L, int t, const char *name, double dflt)
{
    lua_getfield(L, t, name);
    double v = lua_isnil(L, -1) ? dflt : luaL_checknumber(L, -1);
    lua_pop(L, 1);
    return v;
}

static int l_process(lua_State *L)
{
    struct loop *lp = task_loop(L);
    struct job *job = task_require_job(L, "hh.core.process");
    luaL_checktype(L, 1, LUA_TTABLE);
    int nopt = lua_istable(L, 2);
    lua_Integer n = luaL_len(L, 1);
    luaL_argcheck(L, n >= 1 && n < 256, 1, "a program and at most 255 arguments");
    const char *argv[257];
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        argv[i - 1] = luaL_checkstring(L, -1); /* anchored by the table */
        lua_pop(L, 1);
    }
    argv[n] = NULL;
    struct proc_limits lim = {.seconds = 60, .memory = (size_t)1 << 30, .output = (size_t)16 << 20};
    if (nopt) {
        lim.seconds = opt_number(L, 2, "timeout", lim.seconds);
        lim.memory = (size_t)opt_number(L, 2, "memory", (double)lim.memory);
        lim.output = (size_t)opt_number(L, 2, "output", (double)lim.output);
    }
    struct proc *p = proc_new(argv, &lim, proc_done, job);
    if (!p)
        return luaL_error(L, "out of memory");
    job->token++;
    job->state = JOB_WAITING;
    procs_start(&lp->procs, p, timer_now());
    if (lp->interrupted)
        procs_stop(&lp->procs, timer_now());
    return lua_yieldk(L, 0, (lua_KContext)p, process_k);
}

static int l_findable(lua_State *L)
{
    lua_pushboolean(L, proc_findable(luaL_checkstring(L, 1)));
    return 1;
}

void proc_register(lua_State *L, struct loop *lp)
{
    lua_pushlightuserdata(L, lp);
    lua_pushcclosure(L, l_process, 1);
    lua_setfield(L, -2, "process");
    lua_pushlightuserdata(L, lp);
    lua_pushcclosure(L, l_findable, 1);
    lua_setfield(L, -2, "findable");
}
