/* bind_task.h - what the hh.core bindings share: the running job, the host
 * profile's functions, finished transfers as Lua tables, status requests.
 * Every function takes the loop as the caller's first upvalue. */
#ifndef HH_BIND_TASK_H
#define HH_BIND_TASK_H

#include <lua.h>

struct loop;
struct job;
struct xfer;

struct loop *task_loop(lua_State *L);
/* The running job, or a Lua error that says why `fn` cannot wait here. */
struct job *task_require_job(lua_State *L, const char *fn);
/* Pushes the host profile's function `name`. */
void task_push_profile_fn(lua_State *L, const char *name);
/* Pushes what happened to a transfer as a table, and frees the transfer. */
void task_push_outcome(lua_State *L, struct xfer *x);
struct xfer *task_take_xfer(struct job *job);
/* 401, 402 and 403 stop new submissions for the whole run, with one message. */
void task_stop_on_refusal(lua_State *L, struct loop *lp, long code, int msg_index);
/* Pushes the id of the task (a table with an id, or a string) at `arg`. */
void task_push_id(lua_State *L, int arg, const char *fn);
/* Queues a status request for the task id at `id_index`, for `job`. */
int task_start_status(lua_State *L, struct loop *lp, struct job *job, int id_index);

int task_generate(lua_State *L);   /* hh.generate */
int task_status(lua_State *L);     /* hh.status */
int task_set_profile(lua_State *L);
/* Sets field "wait" (hh.wait) of the table on top of the stack. */
void wait_register(lua_State *L, struct loop *lp);
/* core.process and core.findable (bind_proc.c). */
void proc_register(lua_State *L, struct loop *lp);

#endif
