/* bind_pg.c - the native module "hh.pg": a small libpq binding for a team
 * store on PostgreSQL. The calls are synchronous (the server is near).
 *   conn = pg.connect(conninfo)     -- a libpq string or URI; nil, message on failure
 *   conn:exec(sql)                  -- several statements, no parameters
 *   conn:rows(sql, ...)             -- array of row tables (column name -> value)
 *   conn:run(sql, ...)              -- one statement; returns the rows affected
 *   conn:last_sqlstate()            -- SQLSTATE of the last call's error, or nil
 *   conn:ok(), conn:reset()         -- true when connected; reconnect
 *   conn:stats()                    -- {round_trips = n, seconds = s}
 *   conn:close()                    -- also on __gc and __close
 * Parameters $1..$n go as text: nil is NULL, booleans t/f, integers in
 * decimal, floats %.17g, strings as they are (PostgreSQL text has no NUL,
 * so a string with one is refused). Values come back by column type: int2,
 * int4, int8 and oid as integers; float4, float8 and numeric as numbers
 * (an integral numeric as an integer); bool as a boolean; the rest as
 * strings; NULL leaves the key out. Errors raise "postgresql: message
 * (SQLSTATE xxxxx)", without the suffix when the server sent no code. */
#include <errno.h>
#include <lauxlib.h>
#include <libpq-fe.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "timer.h"

#define CONN_META "hh.pg.conn"
#define RESULT_META "hh.pg.result"
#define MAX_PARAMS 65535 /* the protocol's limit */

/* Type OIDs from the server's catalogue (pg_type.dat); they never change. */
enum { BOOLOID = 16, INT8OID = 20, INT2OID = 21, INT4OID = 23, OIDOID = 26,
       FLOAT4OID = 700, FLOAT8OID = 701, NUMERICOID = 1700 };

struct conn {
    PGconn *pg;
    char sqlstate[6];        /* empty when the last call did not fail with one */
    lua_Integer round_trips;
    double seconds;
};

static void no_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static struct conn *check_conn(lua_State *L)
{
    struct conn *c = luaL_checkudata(L, 1, CONN_META);
    if (!c->pg)
        luaL_error(L, "postgresql: the connection is closed");
    return c;
}

/* Pushes s without trailing newlines and spaces (libpq ends messages so). */
static void push_trimmed(lua_State *L, const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    lua_pushlstring(L, s, n);
}

/* Pushes msg with every quoted part replaced by "...": libpq quotes pieces
 * of a connection string it cannot parse, and one may be the password. */
static void push_unquoted(lua_State *L, const char *msg)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (const char *p = msg; *p && *p != '\n'; p++) {
        const char *end = *p == '"' ? strchr(p + 1, '"') : NULL;
        if (end) {
            luaL_addstring(&b, "\"...\"");
            p = end;
        } else {
            luaL_addchar(&b, *p);
        }
    }
    luaL_pushresult(&b);
}

static int l_connect(lua_State *L)
{
    const char *conninfo = luaL_checkstring(L, 1);
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    if (!opts) {
        lua_pushnil(L);
        lua_pushstring(L, "cannot connect to the store: the connection string is not valid: ");
        push_unquoted(L, perr ? perr : "out of memory");
        PQfreemem(perr);
        lua_concat(L, 2);
        return 2;
    }
    struct conn *c = lua_newuserdatauv(L, sizeof *c, 0);
    memset(c, 0, sizeof *c);
    luaL_setmetatable(L, CONN_META);
    c->pg = PQconnectdb(conninfo);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        const char *pw = NULL; /* the string's own password, scrubbed from the message */
        for (PQconninfoOption *o = opts; o->keyword; o++)
            if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
                pw = o->val;
        lua_pushnil(L);
        lua_pushstring(L, "cannot connect to the store: ");
        push_trimmed(L, c->pg ? PQerrorMessage(c->pg) : "out of memory");
        if (pw)
            luaL_gsub(L, lua_tostring(L, -1), pw, "***");
        PQconninfoFree(opts);
        PQfinish(c->pg);
        c->pg = NULL;
        if (pw)
            lua_remove(L, -2);
        lua_concat(L, 2);
        return 2;
    }
    PQconninfoFree(opts);
    PQsetNoticeProcessor(c->pg, no_notices, NULL); /* hh's output stays clean */
    return 1;
}

static int l_close(lua_State *L)
{
    struct conn *c = luaL_checkudata(L, 1, CONN_META);
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    return 0;
}

static int result_gc(lua_State *L)
{
    PGresult **box = luaL_checkudata(L, 1, RESULT_META);
    PQclear(*box);
    *box = NULL;
    return 0;
}

/* A result held by a userdata on the stack, so a Lua error cannot leak it. */
static PGresult **push_result_box(lua_State *L)
{
    PGresult **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    luaL_setmetatable(L, RESULT_META);
    return box;
}

/* After PQexec stopped in a COPY: ends it, so the connection stays usable. */
static void abandon_copy(PGconn *pg, PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COPY_IN)
        PQputCopyEnd(pg, "COPY is not supported here");
    if (st == PGRES_COPY_OUT) {
        char *buf;
        while (PQgetCopyData(pg, &buf, 0) > 0)
            PQfreemem(buf);
    }
    PGresult *r;
    while ((r = PQgetResult(pg)) != NULL)
        PQclear(r);
}

/* Raises the error of a failed call; the time spent counts. */
static int fail(lua_State *L, struct conn *c, PGresult **box, double t0)
{
    PGresult *res = *box;
    int copy = res && (PQresultStatus(res) == PGRES_COPY_IN || PQresultStatus(res) == PGRES_COPY_OUT);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    lua_pushstring(L, "postgresql: ");
    if (primary)
        lua_pushstring(L, primary);
    else if (copy)
        lua_pushstring(L, "COPY is not supported here");
    else
        push_trimmed(L, PQerrorMessage(c->pg));
    if (state && strlen(state) == 5) {
        memcpy(c->sqlstate, state, 6);
        lua_pushfstring(L, " (SQLSTATE %s)", state);
    } else {
        lua_pushliteral(L, "");
    }
    lua_concat(L, 3);
    if (copy)
        abandon_copy(c->pg, res);
    PQclear(res);
    *box = NULL;
    c->seconds += timer_now() - t0;
    return lua_error(L);
}

static int l_exec(lua_State *L)
{
    struct conn *c = check_conn(L);
    const char *sql = luaL_checkstring(L, 2);
    PGresult **box = push_result_box(L);
    double t0 = timer_now();
    c->sqlstate[0] = '\0';
    c->round_trips++;
    *box = PQexec(c->pg, sql);
    ExecStatusType st = PQresultStatus(*box);
    if (!*box || (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY))
        return fail(L, c, box, t0);
    PQclear(*box);
    *box = NULL;
    c->seconds += timer_now() - t0;
    return 0;
}

/* Runs sql (argument 2) with the arguments from 3 as $1..$n; the result is
 * in the box left on the stack, and t0 is when it was sent. */
static PGresult **query(lua_State *L, struct conn *c, double *t0)
{
    const char *sql = luaL_checkstring(L, 2);
    int n = lua_gettop(L) - 2;
    if (n > MAX_PARAMS)
        luaL_error(L, "postgresql: at most %d parameters, got %d", MAX_PARAMS, n);
    /* One block, owned by Lua: the value pointers, then the numbers' texts.
     * Text parameters end at their NUL (libpq ignores lengths for them). */
    char *block = lua_newuserdatauv(L, (sizeof(const char *) + 32) * (size_t)(n > 0 ? n : 1), 0);
    const char **values = (const char **)(void *)block;
    char *digits = block + sizeof(const char *) * (size_t)n;
    for (int i = 0; i < n; i++) {
        int idx = i + 3;
        char *num = digits + 32 * (size_t)i;
        switch (lua_type(L, idx)) {
        case LUA_TNIL: values[i] = NULL; break;
        case LUA_TBOOLEAN: values[i] = lua_toboolean(L, idx) ? "t" : "f"; break;
        case LUA_TNUMBER:
            if (lua_isinteger(L, idx))
                snprintf(num, 32, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
            else
                snprintf(num, 32, "%.17g", (double)lua_tonumber(L, idx));
            values[i] = num;
            break;
        case LUA_TSTRING: {
            size_t len;
            values[i] = lua_tolstring(L, idx, &len);
            if (memchr(values[i], '\0', len))
                luaL_error(L, "postgresql: parameter %d: a string with a NUL byte cannot be stored", i + 1);
            break;
        }
        default:
            luaL_error(L, "postgresql: parameter %d: cannot store a %s", i + 1, luaL_typename(L, idx));
        }
    }
    PGresult **box = push_result_box(L);
    *t0 = timer_now();
    c->sqlstate[0] = '\0';
    c->round_trips++;
    *box = PQexecParams(c->pg, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(*box);
    if (!*box || (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK))
        fail(L, c, box, *t0);
    return box;
}

/* Pushes the value at row r, column f of res by the column's type. */
static void push_value(lua_State *L, const PGresult *res, int r, int f)
{
    const char *s = PQgetvalue(res, r, f);
    char *end;
    lua_Integer v;
    switch (PQftype(res, f)) {
    case INT2OID: case INT4OID: case INT8OID: case OIDOID:
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno == 0 && *end == '\0' && end != s)
            lua_pushinteger(L, v);
        else
            lua_pushstring(L, s);
        return;
    case NUMERICOID:
        if (!strpbrk(s, ".eEIN")) { /* integral: no point, exponent, Infinity or NaN */
            errno = 0;
            v = strtoll(s, &end, 10);
            if (errno == 0 && *end == '\0' && end != s) {
                lua_pushinteger(L, v);
                return;
            }
        }
        lua_pushnumber(L, (lua_Number)strtod(s, NULL)); /* not integral, or too big */
        return;
    case FLOAT4OID: case FLOAT8OID:
        lua_pushnumber(L, (lua_Number)strtod(s, NULL));
        return;
    case BOOLOID:
        lua_pushboolean(L, s[0] == 't');
        return;
    default:
        lua_pushlstring(L, s, (size_t)PQgetlength(res, r, f));
    }
}

static int l_rows(lua_State *L)
{
    struct conn *c = check_conn(L);
    double t0;
    PGresult **box = query(L, c, &t0);
    PGresult *res = *box;
    int nrows = PQntuples(res), nf = PQnfields(res);
    lua_createtable(L, nrows, 0);
    for (int r = 0; r < nrows; r++) {
        lua_createtable(L, 0, nf);
        for (int f = 0; f < nf; f++) {
            if (PQgetisnull(res, r, f))
                continue;
            push_value(L, res, r, f);
            lua_setfield(L, -2, PQfname(res, f));
        }
        lua_rawseti(L, -2, r + 1);
    }
    PQclear(res);
    *box = NULL;
    c->seconds += timer_now() - t0;
    return 1;
}

static int l_run(lua_State *L)
{
    struct conn *c = check_conn(L);
    double t0;
    PGresult **box = query(L, c, &t0);
    const char *n = PQcmdTuples(*box);
    lua_Integer changes = *n ? (lua_Integer)strtoll(n, NULL, 10) : 0;
    PQclear(*box);
    *box = NULL;
    c->seconds += timer_now() - t0;
    lua_pushinteger(L, changes);
    return 1;
}

static int l_last_sqlstate(lua_State *L)
{
    struct conn *c = luaL_checkudata(L, 1, CONN_META);
    if (c->sqlstate[0])
        lua_pushstring(L, c->sqlstate);
    else
        lua_pushnil(L);
    return 1;
}

static int l_ok(lua_State *L)
{
    struct conn *c = luaL_checkudata(L, 1, CONN_META);
    lua_pushboolean(L, c->pg && PQstatus(c->pg) == CONNECTION_OK);
    return 1;
}

static int l_reset(lua_State *L)
{
    struct conn *c = check_conn(L);
    PQreset(c->pg); /* the notice processor survives a reset */
    lua_pushboolean(L, PQstatus(c->pg) == CONNECTION_OK);
    return 1;
}

static int l_stats(lua_State *L)
{
    struct conn *c = luaL_checkudata(L, 1, CONN_META);
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, c->round_trips);
    lua_setfield(L, -2, "round_trips");
    lua_pushnumber(L, c->seconds);
    lua_setfield(L, -2, "seconds");
    return 1;
}

static const luaL_Reg conn_methods[] = {
    {"exec", l_exec},
    {"rows", l_rows},
    {"run", l_run},
    {"last_sqlstate", l_last_sqlstate},
    {"ok", l_ok},
    {"reset", l_reset},
    {"stats", l_stats},
    {"close", l_close},
    {NULL, NULL},
};

static const luaL_Reg pg_functions[] = {
    {"connect", l_connect},
    {NULL, NULL},
};

int luaopen_hh_pg(lua_State *L)
{
    if (luaL_newmetatable(L, CONN_META)) {
        luaL_newlib(L, conn_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, l_close);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, RESULT_META)) {
        lua_pushcfunction(L, result_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    luaL_newlib(L, pg_functions);
    lua_pushinteger(L, PQlibVersion());
    lua_setfield(L, -2, "libpq_version");
    return 1;
}
