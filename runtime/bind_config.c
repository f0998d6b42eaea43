/* bind_config.c - core.configure: the settings of the loop that a script or
 * the command line may change (hh.config in Lua maps its friendlier names
 * here). Unknown names and wrong types are errors that name the setting. */
#include <lauxlib.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bind.h"
#include "loop.h"

enum setting_type { T_NUMBER, T_INT, T_BOOL, T_STRING };

struct setting {
    const char *name;
    enum setting_type type;
    size_t offset;
    double min, max;
};

#define CFG(field) offsetof(struct loop_config, field)

static const struct setting settings[] = {
    {"base_url", T_STRING, CFG(base_url), 0, 0},
    {"max_transfers", T_INT, CFG(max_transfers), 1, 4096},
    {"rate", T_NUMBER, CFG(rate), 0, 1e6},
    {"rate_burst", T_NUMBER, CFG(rate_burst), 0, 1e6},
    {"rate_default", T_NUMBER, CFG(rate_default), 0, 1e6},
    {"rate_share", T_INT, CFG(rate_share), 1, 1024},
    {"connect_timeout", T_NUMBER, CFG(connect_timeout), 0.001, 3600},
    {"request_timeout", T_NUMBER, CFG(request_timeout), 0.001, 86400},
    {"stall_timeout", T_NUMBER, CFG(stall_timeout), 1, 86400},
    {"max_retry_after", T_NUMBER, CFG(max_retry_after), 0, 86400},
    {"max_retries", T_INT, CFG(max_retries), 0, 1000},
    {"backoff_base", T_NUMBER, CFG(backoff_base), 0, 3600},
    {"backoff_cap", T_NUMBER, CFG(backoff_cap), 0, 86400},
    {"retry_budget", T_NUMBER, CFG(retry_budget), 0, 1e9},
    {"max_download", T_NUMBER, CFG(max_download), 1, 1e15},
    {"allow_http", T_BOOL, CFG(allow_http), 0, 0},
    {"idempotent_host", T_BOOL, CFG(idempotent_host), 0, 0},
    {"max_conn_age", T_INT, CFG(max_conn_age), 1, 86400},
    {"wait_deadline_min", T_NUMBER, CFG(wait_deadline_min), 0.001, 1e7},
    {"wait_deadline_max", T_NUMBER, CFG(wait_deadline_max), 0.001, 1e7},
    {"interrupt_grace", T_NUMBER, CFG(interrupt_grace), 0, 86400},
    {"recipe_instructions", T_NUMBER, CFG(recipe_instructions), 1000, 1e15},
    {"recipe_memory", T_NUMBER, CFG(recipe_memory), 1 << 20, 1e15},
    {"poll_min_interval", T_NUMBER, CFG(poll.min_interval), 0.001, 86400},
    {"poll_max_interval", T_NUMBER, CFG(poll.max_interval), 0.001, 86400},
    {"poll_growth", T_NUMBER, CFG(poll.growth), 1, 10},
    {"poll_precision", T_NUMBER, CFG(poll.precision), 0.001, 10},
    {"poll_min_samples", T_INT, CFG(poll.min_samples), 2, 1e9},
    {"poll_scouts", T_INT, CFG(poll.scouts), 1, 1e9},
    {"poll_fixed_interval", T_NUMBER, CFG(poll.fixed), 0, 86400},
};

#define NSETTINGS (sizeof settings / sizeof *settings)

static void push_setting(lua_State *L, const struct loop_config *cfg, const struct setting *s)
{
    const char *p = (const char *)cfg + s->offset;
    switch (s->type) {
    case T_NUMBER:
        if (strcmp(s->name, "max_download") == 0)
            lua_pushinteger(L, *(const long long *)(const void *)p);
        else
            lua_pushnumber(L, *(const double *)(const void *)p);
        break;
    case T_INT:
        if (strcmp(s->name, "max_transfers") == 0 || strcmp(s->name, "max_conn_age") == 0)
            lua_pushinteger(L, *(const long *)(const void *)p);
        else
            lua_pushinteger(L, *(const int *)(const void *)p);
        break;
    case T_BOOL:
        lua_pushboolean(L, *(const int *)(const void *)p);
        break;
    case T_STRING:
        lua_pushstring(L, p);
        break;
    }
}

static void set_setting(lua_State *L, struct loop_config *cfg, const struct setting *s, int value)
{
    char *p = (char *)cfg + s->offset;
    if (s->type == T_BOOL) {
        if (!lua_isboolean(L, value))
            luaL_error(L, "hh.config: %s must be true or false", s->name);
        *(int *)(void *)p = lua_toboolean(L, value);
        return;
    }
    if (s->type == T_STRING) {
        size_t len;
        const char *v = lua_tolstring(L, value, &len);
        if (!v || lua_type(L, value) != LUA_TSTRING)
            luaL_error(L, "hh.config: %s must be a string", s->name);
        if (len >= sizeof cfg->base_url)
            luaL_error(L, "hh.config: %s is too long", s->name);
        while (len > 0 && v[len - 1] == '/')
            len--; /* paths are appended with their own slash */
        memcpy(p, v, len);
        p[len] = '\0';
        return;
    }
    if (!lua_isnumber(L, value))
        luaL_error(L, "hh.config: %s must be a number", s->name);
    double v = lua_tonumber(L, value);
    if (!(v >= s->min && v <= s->max)) {
        char range[96];
        snprintf(range, sizeof range, "from %g to %g", s->min, s->max);
        luaL_error(L, "hh.config: %s must be %s", s->name, range);
    }
    if (s->type == T_INT && v != (double)(long)v)
        luaL_error(L, "hh.config: %s must be a whole number", s->name);
    if (strcmp(s->name, "max_download") == 0)
        *(long long *)(void *)p = (long long)v;
    else if (s->type == T_NUMBER)
        *(double *)(void *)p = v;
    else if (strcmp(s->name, "max_transfers") == 0 || strcmp(s->name, "max_conn_age") == 0)
        *(long *)(void *)p = (long)v;
    else
        *(int *)(void *)p = (int)v;
}

int bind_configure(lua_State *L)
{
    struct loop *lp = lua_touserdata(L, lua_upvalueindex(1));
    if (!lua_isnoneornil(L, 1)) {
        luaL_checktype(L, 1, LUA_TTABLE);
        int rate_changed = 0;
        lua_pushnil(L);
        while (lua_next(L, 1)) {                /* tbl key value */
            const char *name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
            size_t i;
            for (i = 0; name && i < NSETTINGS; i++)
                if (strcmp(settings[i].name, name) == 0)
                    break;
            if (!name || i == NSETTINGS)
                return luaL_error(L, "hh.config: unknown setting '%s'", name ? name : "?");
            set_setting(L, &lp->cfg, &settings[i], -1);
            rate_changed |= strcmp(name, "rate") == 0 || strcmp(name, "rate_burst") == 0;
            if (strcmp(name, "rate") == 0)
                lp->cfg.rate_set = 1;
            if (strcmp(name, "rate_default") == 0 && !lp->cfg.rate_set) {
                lp->cfg.rate = lp->cfg.rate_default;
                rate_changed = 1;
            }
            if (strcmp(name, "retry_budget") == 0)
                budget_init(&lp->budget, lp->cfg.retry_budget);
            lua_pop(L, 1);                      /* tbl key */
        }
        if (rate_changed)
            rate_init(&lp->rate, lp->cfg.rate, lp->cfg.rate_burst > 0 ? lp->cfg.rate_burst : lp->cfg.rate,
                      timer_now());
        rate_set_share(&lp->rate, (double)lp->cfg.rate_share);
        if (lp->cfg.poll.max_interval < lp->cfg.poll.min_interval)
            lp->cfg.poll.max_interval = lp->cfg.poll.min_interval;
        if (lp->cfg.wait_deadline_max < lp->cfg.wait_deadline_min)
            lp->cfg.wait_deadline_max = lp->cfg.wait_deadline_min;
        curl_multi_setopt(lp->multi, CURLMOPT_MAXCONNECTS, lp->cfg.max_transfers);
    }
    lua_createtable(L, 0, (int)NSETTINGS);
    for (size_t i = 0; i < NSETTINGS; i++) {
        push_setting(L, &lp->cfg, &settings[i]);
        lua_setfield(L, -2, settings[i].name);
    }
    return 1;
}
