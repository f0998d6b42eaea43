/* bind_yaml.c - the native module "hh.yaml": yaml.load(text, name [, limits])
 * reads one YAML document into Lua values and a table of positions
 * (yaml_load.c does the work), plus yaml.null and the default limits. Bad
 * YAML is an expected outcome (nil and a list of located messages); only
 * misuse of the function raises. */
#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>
#include <string.h>

#include "bind.h"
#include "yaml_load.h"

struct yaml_limit {
    const char *name;
    size_t offset;
    lua_Integer max;
};

static const struct yaml_limit yaml_limits[] = {
    {"max_bytes", offsetof(struct yload_limits, max_bytes), (lua_Integer)1 << 30},
    {"max_depth", offsetof(struct yload_limits, max_depth), YLOAD_DEPTH_CEILING},
    {"max_nodes", offsetof(struct yload_limits, max_nodes), (lua_Integer)1 << 30},
    {NULL, 0, 0},
};

/* Reads the limits table at idx over the defaults in lim. */
static void yaml_read_limits(lua_State *L, int idx, struct yload_limits *lim)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {                         /* key value */
        const struct yaml_limit *l = yaml_limits;
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        int isint;
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        while (key && l->name && strcmp(l->name, key) != 0)
            l++;
        if (!key || !l->name)
            luaL_error(L, "hh.yaml.load: unknown limit %s (max_bytes, max_depth, max_nodes)",
                       luaL_tolstring(L, -2, NULL));
        if (lua_type(L, -1) != LUA_TNUMBER || !isint || v < 1 || v > l->max)
            luaL_error(L, "hh.yaml.load: limits.%s must be a whole number from 1 to %I", key, l->max);
        *(lua_Integer *)(void *)((char *)lim + l->offset) = v;
        lua_pop(L, 1);                                 /* key */
    }
}

/* yaml.load(text [, name [, limits]]) -> doc, marks [, errors] | nil, errors
 * (doc with errors: entries left out, such as a duplicate key's second one) */
static int l_load(lua_State *L)
{
    struct yload_limits lim = {YLOAD_MAX_BYTES, YLOAD_MAX_DEPTH, YLOAD_MAX_NODES};
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    const char *name = luaL_optstring(L, 2, "(yaml)");
    if (!lua_isnoneornil(L, 3))
        yaml_read_limits(L, 3, &lim);
    lua_settop(L, 2);                                  /* text name: both stay alive */
    return yload_load(L, text, len, name, &lim);
}

static const luaL_Reg yaml_functions[] = {
    {"load", l_load},
    {NULL, NULL},
};

int luaopen_hh_yaml(lua_State *L)
{
    luaL_newlib(L, yaml_functions);
    yload_push_null(L);
    lua_setfield(L, -2, "null");
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, YLOAD_MAX_BYTES);
    lua_setfield(L, -2, "max_bytes");
    lua_pushinteger(L, YLOAD_MAX_DEPTH);
    lua_setfield(L, -2, "max_depth");
    lua_pushinteger(L, YLOAD_MAX_NODES);
    lua_setfield(L, -2, "max_nodes");
    lua_setfield(L, -2, "limits");
    return 1;
}
