/* main.c - the hh program: sets up libcurl, a Lua state with the embedded
 * library, the loop and the native modules (preload.c), then runs the
 * command line in Lua (hh.cli) under lua_pcall with a traceback handler.
 * Nothing else. */
#include <curl/curl.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "loop.h"
#include "preload.h"

/* hh.cli reports its own errors in one line; one that escapes it is shown
 * with where it came from only under HH_TRACE. */
static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    const char *trace = getenv("HH_TRACE");
    if (!msg)
        msg = luaL_tolstring(L, 1, NULL);
    if (trace && *trace && strcmp(trace, "0") != 0)
        luaL_traceback(L, L, msg, 1);
    else
        lua_pushstring(L, msg);
    return 1;
}

/* Outside every lua_pcall (which main runs everything under): say why. */
static int panic(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "hh: error: %s\n", msg ? msg : "unexpected Lua error");
    return 0;
}

/* Called by main through lua_pcall with a traceback handler: the lua_calls
 * below are protected by it. */
static int run_cli(lua_State *L)
{
    int argc = (int)lua_tointeger(L, 1);
    char **argv = lua_touserdata(L, 2);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "hh.cli");
    lua_call(L, 1, 1);                       /* cli */
    lua_getfield(L, -1, "main");             /* cli main */
    lua_createtable(L, argc, 0);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i);
    }
    lua_call(L, 1, 2);                       /* cli status leave */
    return 2;
}

int main(int argc, char **argv)
{
    static struct loop lp;
    /* static: when a command's state is left for the system to reclaim at
     * exit it stays reachable, not a leak, for valgrind and LeakSanitizer. */
    static lua_State *L;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fputs("hh: cannot initialise libcurl\n", stderr);
        return 1;
    }
    L = lua_newstate(limits_alloc, NULL);
    if (L)
        lua_atpanic(L, panic);
    limits_interrupts = &loop_signals;
    if (!L || loop_init(&lp, L) != 0) {
        fputs("hh: cannot start (out of memory)\n", stderr);
        return 1;
    }
    /* A sweep holds a coroutine per job: collect sooner than Lua's default
     * (pause 200) so ten thousand jobs in flight stay within ~64 MB. */
    lua_gc(L, LUA_GCINC, 120, 300, 0);
    int status = 1, leave = 0;
    lua_pushcfunction(L, traceback);
    lua_pushcfunction(L, preload_install);
    lua_pushlightuserdata(L, &lp);
    if (lua_pcall(L, 1, 0, 1) == LUA_OK) {
        lua_pushcfunction(L, run_cli);
        lua_pushinteger(L, argc);
        lua_pushlightuserdata(L, argv);
        if (lua_pcall(L, 2, 2, 1) == LUA_OK) {
            status = (int)lua_tointeger(L, -2);
            leave = lua_toboolean(L, -1);
        } else
            fprintf(stderr, "hh: error: %s\n", lua_tostring(L, -1));
    } else {
        fprintf(stderr, "hh: error: %s\n", lua_tostring(L, -1));
    }
    fflush(stdout);
    if (leave)
        return status; /* freeing a large plan object by object is slower than exit */
    /* Transfers a second Ctrl-C abandoned hold references into L; the
     * state's finalizers (hh.wait's) use the loop's polling model. */
    loop_drop_transfers(&lp);
    lua_close(L);
    loop_free(&lp);
    curl_global_cleanup();
    return status;
}
