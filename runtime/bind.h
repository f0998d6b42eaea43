/* bind.h - the native modules hh's Lua library is built on. Each takes the
 * loop as its first upvalue (see main.c). */
#ifndef HH_BIND_H
#define HH_BIND_H

#include <lua.h>

int luaopen_hh_core(lua_State *L);
int luaopen_hh_yaml(lua_State *L);   /* hh.yaml: YAML with positions, no loop */
/* "hh.fs": mkdirs, beneath (no symlinks below a run directory), size, write_atomic. */
int luaopen_hh_fs(lua_State *L);
/* "hh.sqlite": open, exec, run, rows, stats, close (for the run journal). */
int luaopen_hh_sqlite(lua_State *L);
/* "hh.pg": connect, exec, rows, run, stats, close (for the team store). */
int luaopen_hh_pg(lua_State *L);
/* "hh.host": check_base_url, allowed, unreachable (bind_host.c). */
int luaopen_hh_host(lua_State *L);
/* core.configure{...}: changes loop settings; returns them all as a table. */
int bind_configure(lua_State *L);

#endif
