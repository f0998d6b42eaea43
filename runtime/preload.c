/* preload.c - fills a new Lua state the way hh runs it: the standard
 * libraries, then package.preload entries for the embedded Lua library
 * (build/embedded.c) and the native modules, each native one given the loop
 * as its upvalue where it needs it. Nothing is loaded until required. */
#include "preload.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "embedded.h"

int luaopen_cjson(lua_State *L);

/* package.preload loader for an embedded module; with HH_LUA_PATH set, the
 * file of the same name under that directory is loaded instead. It runs
 * under require, itself inside a lua_pcall, so its lua_call is protected. */
static int load_embedded(lua_State *L)
{
    const struct embedded_module *m = lua_touserdata(L, lua_upvalueindex(1));
    const char *dir = getenv("HH_LUA_PATH");
    int rc;
    if (dir && *dir) {
        const char *rel = m->chunkname + strlen("@lua/");
        lua_pushfstring(L, "%s/%s", dir, rel);
        rc = luaL_loadfilex(L, lua_tostring(L, -1), "t");
        lua_remove(L, -2);
    } else {
        rc = luaL_loadbufferx(L, m->source, m->len, m->chunkname, "t");
    }
    if (rc != LUA_OK)
        return lua_error(L);
    lua_pushstring(L, m->name);
    lua_call(L, 1, 1);
    return 1;
}

int preload_install(lua_State *L)
{
    void *lp = lua_touserdata(L, 1);
    luaL_openlibs(L);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);   /* preload */
    for (const struct embedded_module *m = embedded_modules; m->name; m++) {
        lua_pushlightuserdata(L, (void *)m);
        lua_pushcclosure(L, load_embedded, 1);
        lua_setfield(L, -2, m->name);
    }
    lua_pushlightuserdata(L, lp);
    lua_pushcclosure(L, luaopen_hh_core, 1);
    lua_setfield(L, -2, "hh.core");
    lua_pushlightuserdata(L, lp);
    lua_pushcclosure(L, luaopen_hh_host, 1);
    lua_setfield(L, -2, "hh.host");
    lua_pushcfunction(L, luaopen_cjson);
    lua_setfield(L, -2, "cjson");
    lua_pushcfunction(L, luaopen_hh_yaml);
    lua_setfield(L, -2, "hh.yaml");
    lua_pushcfunction(L, luaopen_hh_fs);
    lua_setfield(L, -2, "hh.fs");
    lua_pushcfunction(L, luaopen_hh_sqlite);
    lua_setfield(L, -2, "hh.sqlite");
    lua_pushcfunction(L, luaopen_hh_pg);
    lua_setfield(L, -2, "hh.pg");
    return 0;
}
