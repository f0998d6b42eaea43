/* bind_sqlite.c - the native module "hh.sqlite": a small SQLite binding for
 * the run journal (lua/hh/journal.lua holds the schema and the rules).
 *   db = sqlite.open(path)          -- nil, message on failure
 *   db:exec(sql)                    -- several statements, no parameters
 *   db:run(sql, ...)                -- one statement with ? parameters; returns changes
 *   db:rows(sql, ...)               -- array of row tables (column name -> value)
 *   db:stats()                      -- {statements = n, seconds = s}: exec, run and rows
 *                                      calls and the time inside them
 *   db:close()
 * Prepared statements are cached per SQL text. Errors raise "sqlite: msg". */
#include <lauxlib.h>
#include <lua.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "timer.h"

#define DB_META "hh.sqlite.db"
#define CACHE_SIZE 32

struct cached {
    char *sql;
    sqlite3_stmt *stmt;
};

struct db {
    sqlite3 *handle;
    struct cached cache[CACHE_SIZE];
    int ncache;
    lua_Integer statements; /* for db:stats(), to compare stores */
    double seconds;
};

static struct db *check_db(lua_State *L)
{
    struct db *d = luaL_checkudata(L, 1, DB_META);
    if (!d->handle)
        luaL_error(L, "sqlite: the database is closed");
    return d;
}

static void finalize_all(struct db *d)
{
    for (int i = 0; i < d->ncache; i++) {
        sqlite3_finalize(d->cache[i].stmt);
        free(d->cache[i].sql);
    }
    d->ncache = 0;
}

static int l_open(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct db *d = lua_newuserdatauv(L, sizeof *d, 0);
    memset(d, 0, sizeof *d);
    luaL_setmetatable(L, DB_META);
    int rc = sqlite3_open_v2(path, &d->handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK) {
        lua_pushnil(L);
        lua_pushfstring(L, "cannot open %s: %s", path, d->handle ? sqlite3_errmsg(d->handle) : sqlite3_errstr(rc));
        sqlite3_close(d->handle);
        d->handle = NULL;
        return 2;
    }
    sqlite3_extended_result_codes(d->handle, 1);
    return 1;
}

static int l_close(lua_State *L)
{
    struct db *d = luaL_checkudata(L, 1, DB_META);
    if (d->handle) {
        finalize_all(d);
        sqlite3_close(d->handle);
        d->handle = NULL;
    }
    return 0;
}

static int l_exec(lua_State *L)
{
    struct db *d = check_db(L);
    const char *sql = luaL_checkstring(L, 2);
    char *err = NULL;
    double t0 = timer_now();
    d->statements++;
    int rc = sqlite3_exec(d->handle, sql, NULL, NULL, &err);
    d->seconds += timer_now() - t0;
    if (rc != SQLITE_OK) {
        lua_pushfstring(L, "sqlite: %s", err ? err : sqlite3_errmsg(d->handle));
        sqlite3_free(err);
        return lua_error(L);
    }
    return 0;
}

/* The prepared statement for sql, reset and bound to the arguments from 3. */
static sqlite3_stmt *prepare(lua_State *L, struct db *d)
{
    const char *sql = luaL_checkstring(L, 2);
    sqlite3_stmt *stmt = NULL;
    for (int i = 0; i < d->ncache; i++)
        if (strcmp(d->cache[i].sql, sql) == 0) {
            stmt = d->cache[i].stmt;
            break;
        }
    if (!stmt) {
        if (sqlite3_prepare_v2(d->handle, sql, -1, &stmt, NULL) != SQLITE_OK)
            luaL_error(L, "sqlite: %s", sqlite3_errmsg(d->handle));
        if (d->ncache == CACHE_SIZE) {
            sqlite3_finalize(d->cache[0].stmt);
            free(d->cache[0].sql);
            memmove(d->cache, d->cache + 1, sizeof d->cache[0] * (CACHE_SIZE - 1));
            d->ncache--;
        }
        char *copy = strdup(sql);
        if (!copy) {
            sqlite3_finalize(stmt);
            luaL_error(L, "out of memory");
        }
        d->cache[d->ncache].sql = copy;
        d->cache[d->ncache].stmt = stmt;
        d->ncache++;
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    int n = lua_gettop(L) - 2;
    if (n != sqlite3_bind_parameter_count(stmt))
        luaL_error(L, "sqlite: the statement takes %d parameters, got %d", sqlite3_bind_parameter_count(stmt), n);
    for (int i = 1; i <= n; i++) {
        int idx = i + 2, rc;
        switch (lua_type(L, idx)) {
        case LUA_TNIL: rc = sqlite3_bind_null(stmt, i); break;
        case LUA_TBOOLEAN: rc = sqlite3_bind_int(stmt, i, lua_toboolean(L, idx)); break;
        case LUA_TNUMBER:
            rc = lua_isinteger(L, idx) ? sqlite3_bind_int64(stmt, i, lua_tointeger(L, idx))
                                       : sqlite3_bind_double(stmt, i, lua_tonumber(L, idx));
            break;
        case LUA_TSTRING: {
            size_t len;
            const char *s = lua_tolstring(L, idx, &len);
            rc = sqlite3_bind_text(stmt, i, s, (int)len, SQLITE_TRANSIENT);
            break;
        }
        default:
            sqlite3_reset(stmt);
            return luaL_error(L, "sqlite: parameter %d: cannot store a %s", i, luaL_typename(L, idx)), NULL;
        }
        if (rc != SQLITE_OK)
            luaL_error(L, "sqlite: %s", sqlite3_errmsg(d->handle));
    }
    return stmt;
}

static int l_run(lua_State *L)
{
    struct db *d = check_db(L);
    double t0 = timer_now();
    d->statements++;
    sqlite3_stmt *stmt = prepare(L, d);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        ;
    sqlite3_reset(stmt);
    d->seconds += timer_now() - t0;
    if (rc != SQLITE_DONE)
        return luaL_error(L, "sqlite: %s", sqlite3_errmsg(d->handle));
    lua_pushinteger(L, sqlite3_changes(d->handle));
    return 1;
}

static int l_rows(lua_State *L)
{
    struct db *d = check_db(L);
    double t0 = timer_now();
    d->statements++;
    sqlite3_stmt *stmt = prepare(L, d);
    lua_newtable(L);
    int rc, n = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int cols = sqlite3_column_count(stmt);
        lua_createtable(L, 0, cols);
        for (int c = 0; c < cols; c++) {
            switch (sqlite3_column_type(stmt, c)) {
            case SQLITE_INTEGER: lua_pushinteger(L, sqlite3_column_int64(stmt, c)); break;
            case SQLITE_FLOAT: lua_pushnumber(L, sqlite3_column_double(stmt, c)); break;
            case SQLITE_NULL: lua_pushnil(L); break;
            default:
                lua_pushlstring(L, (const char *)sqlite3_column_text(stmt, c), (size_t)sqlite3_column_bytes(stmt, c));
                break;
            }
            lua_setfield(L, -2, sqlite3_column_name(stmt, c));
        }
        lua_rawseti(L, -2, ++n);
    }
    sqlite3_reset(stmt);
    d->seconds += timer_now() - t0;
    if (rc != SQLITE_DONE)
        return luaL_error(L, "sqlite: %s", sqlite3_errmsg(d->handle));
    return 1;
}

static int l_stats(lua_State *L)
{
    struct db *d = luaL_checkudata(L, 1, DB_META);
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, d->statements);
    lua_setfield(L, -2, "statements");
    lua_pushnumber(L, d->seconds);
    lua_setfield(L, -2, "seconds");
    return 1;
}

static const luaL_Reg db_methods[] = {
    {"exec", l_exec},
    {"run", l_run},
    {"rows", l_rows},
    {"stats", l_stats},
    {"close", l_close},
    {NULL, NULL},
};

static const luaL_Reg sqlite_functions[] = {
    {"open", l_open},
    {NULL, NULL},
};

int luaopen_hh_sqlite(lua_State *L)
{
    if (luaL_newmetatable(L, DB_META)) {
        luaL_newlib(L, db_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, l_close);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    luaL_newlib(L, sqlite_functions);
    lua_pushstring(L, sqlite3_libversion());
    lua_setfield(L, -2, "version");
    return 1;
}
