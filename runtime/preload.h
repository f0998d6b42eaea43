/* preload.h - the libraries of hh's Lua state (preload.c): the standard
 * ones, and in package.preload the embedded Lua library and the native
 * modules. Shared by main.c and the fuzzing harnesses, which build their
 * state the way hh does. */
#ifndef HH_PRELOAD_H
#define HH_PRELOAD_H

#include <lua.h>

/* A lua_CFunction: run it under lua_pcall with the loop (a light userdata)
 * as its one argument. */
int preload_install(lua_State *L);

#endif
