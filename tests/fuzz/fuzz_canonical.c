/* fuzz_canonical.c - libFuzzer harness for the canonical JSON encoder
 * (runtime/canonical_json.c). The first byte picks how the value is made:
 * even, the rest is JSON decoded by lua-cjson; odd, the rest is a program
 * building Lua values (nested tables, holes, shared and cyclic tables,
 * every kind of number, odd keys and types, metatables). Then: the encoder
 * fails exactly when a reference model says the value cannot be encoded,
 * with one of the reasons the model found; otherwise its text is strict
 * canonical JSON (fuzz_json.h) that reads back to an equal value, the same
 * bytes again, the same bytes for a copy built in another key order, and
 * canonical_join agrees with it. A broken rule aborts. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canonical_json.h"
#include "fuzz_json.h"
#include "limits.h"

#define MAX_DEPTH 64            /* canonical_json.c's */
#define BUILD_DEPTH 70          /* deep enough to pass it */
#define BUILD_NODES 4000

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int luaopen_cjson(lua_State *L);

static lua_State *L;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_canonical: %s\n", what);
    abort();
}

/* --- building values from bytes ------------------------------------------- */

struct reader {
    const uint8_t *p;
    size_t n;
    int nodes;
    int tables;                 /* stack index of the list of tables made */
};

static uint8_t byte(struct reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static uint64_t bytes8(struct reader *r)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | byte(r);
    return v;
}

static const double special[] = {
    0.0, -0.0, 0.5, -1.5, 1.0, 3.0, 1e15, 1e16, 1e17, 1e21, 1e300, 1e-300, 5e-324, 0.1, 1.0 / 3,
    9007199254740991.0, 9007199254740992.0, 9007199254740993.0, -9007199254740992.0,
    9223372036854775807.0, -9223372036854775808.0, 18446744073709551616.0, 123456789012345678.0,
    1.7976931348623157e308, 2.2250738585072014e-308, 4.9406564584124654e-324,
};
static const lua_Integer special_int[] = {
    0, 1, -1, 2, 9, 10, 99, 100, 9007199254740992, 9007199254740993,
    LUA_MAXINTEGER, LUA_MININTEGER, LUA_MININTEGER + 1,
};

static void build(struct reader *r, int depth);

/* Remembers the new table on top (for shared and cyclic references). */
static void remember(struct reader *r)
{
    lua_pushvalue(L, -1);
    lua_rawseti(L, r->tables, (lua_Integer)lua_rawlen(L, r->tables) + 1);
}

static void build_key(struct reader *r, int depth)
{
    uint8_t op = byte(r);
    switch (op % 8) {
    case 0: lua_pushinteger(L, (lua_Integer)(op >> 3) - 2); break;     /* an integer key, maybe 1..n */
    case 1: lua_pushnumber(L, (double)(op >> 3) + 0.5); break;
    case 2: lua_pushboolean(L, op & 8); break;
    case 3:                                            /* any value a key can be */
        build(r, depth);
        if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) != lua_tonumber(L, -1))) {
            lua_pop(L, 1);
            lua_pushliteral(L, "k");
        }
        break;
    default: {
        size_t len = byte(r) % 12;
        char key[16];
        for (size_t i = 0; i < len; i++)
            key[i] = (char)(op & 1 ? byte(r) : 'a' + byte(r) % 4);
        lua_pushlstring(L, key, len);
    }
    }
}

/* Pushes one value read from r. */
static void build(struct reader *r, int depth)
{
    uint8_t op = byte(r);
    if (++r->nodes > BUILD_NODES || !lua_checkstack(L, 8)) {
        lua_pushinteger(L, op);
        return;
    }
    switch (op % 16) {
    case 0: lua_pushnil(L); break;
    case 1: lua_pushboolean(L, op & 16); break;
    case 2: lua_pushinteger(L, (lua_Integer)bytes8(r)); break;
    case 3: lua_pushinteger(L, (lua_Integer)(int8_t)byte(r)); break;
    case 4: {
        uint64_t bits = bytes8(r);
        double d;
        memcpy(&d, &bits, sizeof d);                   /* nan, inf, subnormals, -0 */
        lua_pushnumber(L, d);
        break;
    }
    case 5: lua_pushnumber(L, special[byte(r) % (sizeof special / sizeof *special)] * (op & 16 ? -1 : 1)); break;
    case 6: lua_pushinteger(L, special_int[byte(r) % (sizeof special_int / sizeof *special_int)]); break;
    case 7: {
        size_t len = byte(r);
        if (len > r->n)
            len = r->n;
        lua_pushlstring(L, (const char *)r->p, len);
        r->p += len;
        r->n -= len;
        break;
    }
    case 8: lua_pushlightuserdata(L, NULL); break;     /* cjson.null */
    case 9:
    case 10: {                                         /* a list, maybe with holes */
        int count = byte(r) % 20;
        lua_createtable(L, op & 16 ? count : 0, 0);
        remember(r);
        lua_Integer i = 1;
        for (int k = 0; k < count && depth < BUILD_DEPTH; k++) {
            build(r, depth + 1);
            if (lua_isnil(L, -1) && (op & 32) == 0) {
                lua_pop(L, 1);
                continue;
            }
            lua_rawseti(L, -2, i++);
        }
        break;
    }
    case 11:
    case 12: {                                         /* a map */
        int count = byte(r) % 20;
        lua_createtable(L, 0, op & 16 ? count : 0);
        remember(r);
        for (int k = 0; k < count && depth < BUILD_DEPTH; k++) {
            build_key(r, depth + 1);
            build(r, depth + 1);
            lua_rawset(L, -3);
        }
        break;
    }
    case 13: {                                         /* a table made before: shared, or a cycle */
        lua_Integer n = (lua_Integer)lua_rawlen(L, r->tables);
        if (n == 0)
            lua_createtable(L, 0, 0);
        else
            lua_rawgeti(L, r->tables, 1 + byte(r) % n);
        break;
    }
    case 14:                                           /* empty tables with a metatable */
        lua_createtable(L, 0, 0);
        if (op & 16)
            lua_getfield(L, LUA_REGISTRYINDEX, "hh.json.object_mt");
        else
            luaL_getmetatable(L, "fuzz.other_mt");     /* with __index, __len and __pairs */
        lua_setmetatable(L, -2);
        if (op & 32) {
            remember(r);
            build(r, depth + 1);
            lua_rawseti(L, -2, 1);
        }
        break;
    default:                                           /* what JSON cannot hold */
        switch (byte(r) % 4) {
        case 0: lua_pushcfunction(L, luaopen_cjson); break;
        case 1: lua_pushlightuserdata(L, (void *)&L); break;
        case 2: lua_newuserdatauv(L, 1, 0); break;
        default: lua_newthread(L); break;
        }
    }
}

/* --- the reference model ---------------------------------------------------- */

enum { CANNOT_NUMBER = 1, CANNOT_DEPTH = 2, CANNOT_KEY = 4, CANNOT_TYPE = 8, TOO_MANY = 16 };

/* Tables shared many times over expand to more values than are worth
 * encoding: the model gives up past this many, and the input is skipped. */
#define MODEL_VISITS 20000
static long visits;

/* Is the table at idx an array of n >= 1 items, 0 when empty, -1 when neither? */
static lua_Integer model_array(int idx)
{
    lua_Integer count = 0, max = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
            lua_pop(L, 1);
            return -1;
        }
        if (lua_tointeger(L, -1) > max)
            max = lua_tointeger(L, -1);
        count++;
    }
    return count == max ? count : -1;
}

/* The reasons the value at idx cannot be encoded (0: it can). */
static int model(int idx, int depth)
{
    idx = lua_absindex(L, idx);
    if (++visits > MODEL_VISITS)
        return TOO_MANY;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
    case LUA_TBOOLEAN:
    case LUA_TSTRING:
        return 0;
    case LUA_TNUMBER:
        return lua_isinteger(L, idx) || isfinite(lua_tonumber(L, idx)) ? 0 : CANNOT_NUMBER;
    case LUA_TLIGHTUSERDATA:
        return lua_touserdata(L, idx) == NULL ? 0 : CANNOT_TYPE;
    case LUA_TTABLE:
        break;
    default:
        return CANNOT_TYPE;
    }
    if (depth > MAX_DEPTH)
        return CANNOT_DEPTH;
    if (!lua_checkstack(L, 4))
        fail("model: no stack");
    int why = 0;
    lua_Integer n = model_array(idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (n < 0 && lua_type(L, -2) != LUA_TSTRING)
            why |= CANNOT_KEY;
        why |= model(-1, depth + 1);
        lua_pop(L, 1);
        if (why & TOO_MANY) {
            lua_pop(L, 1);
            break;
        }
    }
    return why;
}

static int reason(const char *msg)
{
    if (strcmp(msg, "cannot encode inf or nan") == 0)
        return CANNOT_NUMBER;
    if (strcmp(msg, "nested too deeply") == 0)
        return CANNOT_DEPTH;
    if (strcmp(msg, "object keys must be strings") == 0)
        return CANNOT_KEY;
    if (strcmp(msg, "cannot encode this type") == 0)
        return CANNOT_TYPE;
    fprintf(stderr, "fuzz_canonical: unexpected message: %s\n", msg);
    abort();
}

/* --- a copy in another order -------------------------------------------------- */

/* Pushes a deep copy of the value at idx whose tables get their entries in
 * the reverse of lua_next's order (arrays from n down to 1, so their items
 * land in the hash part), with the same sharing and cycles. */
static void copy_reversed(int idx, int memo)
{
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx)) {
        lua_pushvalue(L, idx);
        return;
    }
    lua_pushvalue(L, idx);
    if (lua_rawget(L, memo) != LUA_TNIL)
        return;
    lua_pop(L, 1);
    if (!lua_checkstack(L, 8))
        fail("copy: no stack");
    int n = 0, base = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {                         /* k1 v1 ... k */
        lua_pushvalue(L, -2);
        n++;
        if (!lua_checkstack(L, 8))
            fail("copy: no stack");
    }                                                  /* k1 v1 k2 v2 ... kn vn */
    lua_createtable(L, 0, 0);
    int c = lua_gettop(L);
    if (lua_getmetatable(L, idx))
        lua_setmetatable(L, c);
    lua_pushvalue(L, idx);
    lua_pushvalue(L, c);
    lua_rawset(L, memo);
    for (int i = n - 1; i >= 0; i--) {
        copy_reversed(base + 1 + 2 * i, memo);
        copy_reversed(base + 2 + 2 * i, memo);
        lua_rawset(L, c);
    }
    lua_copy(L, c, base + 1);
    lua_settop(L, base + 1);
}

/* --- checks -------------------------------------------------------------------- */

static int check(lua_State *L1)
{
    (void)L1;
    int value = 1;
    visits = 0;
    int why = model(value, 0);
    if (why & TOO_MANY)
        return 0;
    if (canonical_json(L, value) == 2) {
        const char *msg = lua_tostring(L, -1);
        if (!why)
            fprintf(stderr, "fuzz_canonical: %s, for a value the model can encode\n", msg), abort();
        if (!(reason(msg) & why))
            fprintf(stderr, "fuzz_canonical: %s, not a reason the model found (%d)\n", msg, why), abort();
        lua_createtable(L, 0, 0);
        copy_reversed(value, lua_gettop(L));
        if (canonical_json(L, -1) != 2)
            fail("a copy in another order was encoded");
        return 0;
    }
    if (why)
        fprintf(stderr, "fuzz_canonical: encoded a value the model cannot (%d)\n", why), abort();
    size_t len, len2;
    const char *text = lua_tolstring(L, -1, &len);
    int first = lua_gettop(L);
    const char *err = fuzz_json_check(L, text, len, value);
    if (err)
        fprintf(stderr, "fuzz_canonical: %s in %.*s\n", err, (int)(len > 2000 ? 2000 : len), text), abort();

    canonical_json(L, value);
    const char *again = lua_tolstring(L, -1, &len2);
    if (len2 != len || memcmp(again, text, len) != 0)
        fail("encoding the same value twice gave different text");
    lua_pop(L, 1);

    lua_createtable(L, 0, 0);
    copy_reversed(value, lua_gettop(L));
    if (canonical_json(L, -1) != 1)
        fail("a copy in another order could not be encoded");
    again = lua_tolstring(L, -1, &len2);
    if (len2 != len || memcmp(again, text, len) != 0)
        fprintf(stderr, "fuzz_canonical: a copy in another order gave different text: %.*s / %.*s\n", (int)len, text, (int)len2, again), abort();
    lua_settop(L, first);

    /* canonical_join: "<" .. json .. ">", strings as they are. */
    const char *join_err;
    if (lua_type(L, value) == LUA_TSTRING)
        text = lua_tolstring(L, value, &len);
    lua_pushliteral(L, "<");
    lua_pushvalue(L, value);
    lua_pushliteral(L, ">");
    const char *joined = canonical_join(L, first + 1, first + 3, &len2, &join_err);
    if (!joined || len2 != len + 2 || joined[0] != '<' || memcmp(joined + 1, text, len) != 0 || joined[len + 1] != '>')
        fail("canonical_join disagrees with canonical_json");
    return 0;
}

static int make_and_check(lua_State *L1)
{
    struct reader *r = lua_touserdata(L1, 1);
    lua_settop(L, 0);
    if (r->n > 0 && (r->p[0] & 1) == 0) {
        lua_getfield(L, LUA_REGISTRYINDEX, "fuzz.decode");
        lua_pushlstring(L, (const char *)r->p + 1, r->n - 1);
        if (lua_pcall(L, 1, 1, 0) != LUA_OK)
            return 0;                                  /* not JSON cjson reads */
    } else {
        byte(r);
        lua_createtable(L, 0, 0);
        r->tables = 1;
        build(r, 0);
        lua_remove(L, 1);
    }
    lua_settop(L, 1);                                  /* value */
    lua_pushcfunction(L, check);
    lua_insert(L, 1);
    lua_call(L, 1, 0);
    return 0;
}

static int other_len(lua_State *L1)
{
    lua_pushinteger(L1, 3);
    return 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    L = lua_newstate(limits_alloc, NULL);
    if (!L)
        abort();
    luaL_openlibs(L);
    luaL_requiref(L, "cjson", luaopen_cjson, 0);
    lua_getfield(L, -1, "decode");
    lua_setfield(L, LUA_REGISTRYINDEX, "fuzz.decode");
    lua_pop(L, 1);
    lua_createtable(L, 0, 1);                          /* as hh.json makes it */
    lua_pushliteral(L, "hh.json.object");
    lua_setfield(L, -2, "__name");
    lua_setfield(L, LUA_REGISTRYINDEX, "hh.json.object_mt");
    luaL_newmetatable(L, "fuzz.other_mt");             /* the encoder must look past these */
    lua_pushcfunction(L, other_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, other_len);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, other_len);
    lua_setfield(L, -2, "__pairs");
    lua_pop(L, 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reader r = {data, size, 0, 0};
    lua_pushcfunction(L, make_and_check);
    lua_pushlightuserdata(L, &r);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        if (!msg || !strstr(msg, "memory"))
            fprintf(stderr, "fuzz_canonical: raised: %s\n", msg ? msg : "(not a string)"), abort();
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
    return 0;
}
