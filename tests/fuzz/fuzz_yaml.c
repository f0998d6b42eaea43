/* fuzz_yaml.c - libFuzzer harness for the YAML loader (runtime/yaml_load.c):
 * any bytes are loaded under the limits hh.yaml uses by default, in a Lua
 * state with hh's allocator. The result must be what yaml_load.h promises:
 * a document whose every table has its marks record, within the nesting and
 * node limits, or a list of "NAME:..." messages. Anything else aborts, as do
 * crashes, sanitizer reports and leaks. */
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "yaml_load.h"

#define NAME "fuzz.yaml"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;

struct input {
    const char *text;
    size_t len;
    lua_Integer lines;          /* an upper bound of the text's lines */
};

static void fail(const char *what, const struct input *in)
{
    fprintf(stderr, "fuzz_yaml: %s (input of %zu bytes)\n", what, in->len);
    abort();
}

/* Integer field k of the table at idx, or -1. */
static lua_Integer int_field(int idx, const char *k)
{
    lua_Integer v = -1;
    if (lua_getfield(L, idx, k) == LUA_TNUMBER && lua_isinteger(L, -1))
        v = lua_tointeger(L, -1);
    lua_pop(L, 1);
    return v;
}

/* A position record {line =, col =} at idx must point inside the text, or
 * just past it: libyaml ends the stream on a line of its own. */
static void check_pos(int idx, const char *line, const char *col, const struct input *in)
{
    if (!lua_istable(L, idx))
        fail("a position is not a table", in);
    lua_Integer l = int_field(idx, line), c = int_field(idx, col);
    if (l < 1 || l > in->lines + 1 || c < 1 || c > (lua_Integer)in->len + 1)
        fail("a position is outside the text", in);
}

static lua_Integer nodes;

/* Walks the value at idx (depth: collections around it); marks at `marks`. */
static void walk(int idx, int marks, int depth, const struct input *in)
{
    idx = lua_absindex(L, idx);
    if (++nodes > YLOAD_MAX_NODES)
        fail("more nodes than max_nodes", in);
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
    case LUA_TNUMBER:
    case LUA_TBOOLEAN:
        return;
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) != NULL)
            fail("a light userdata that is not null", in);
        return;
    case LUA_TTABLE:
        break;
    default:
        fail("a value of an unexpected type", in);
    }
    if (depth + 1 > YLOAD_MAX_DEPTH)
        fail("nested deeper than max_depth", in);
    if (!lua_checkstack(L, 8))
        fail("no stack", in);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, marks) != LUA_TTABLE)            /* rec */
        fail("a table without its marks record", in);
    int rec = lua_gettop(L);
    check_pos(rec, "line", "col", in);
    lua_getfield(L, rec, "kind");
    const char *kind = lua_tostring(L, -1);
    int is_map = kind && strcmp(kind, "map") == 0;
    if (!kind || (!is_map && strcmp(kind, "seq") != 0))
        fail("a marks record of an unknown kind", in);
    lua_pop(L, 1);
    lua_Integer n = 0;
    if (is_map) {
        lua_getfield(L, rec, "order");                 /* rec order */
        lua_getfield(L, rec, "keys");                  /* rec order keys */
        if (!lua_istable(L, -2) || !lua_istable(L, -1))
            fail("a mapping's record without order or keys", in);
        lua_pushnil(L);
        while (lua_next(L, idx)) {                     /* rec order keys k v */
            if (lua_type(L, -2) != LUA_TSTRING)
                fail("a mapping key that is not a string", in);
            n++;
            nodes++;                                   /* the key is a node too */
            lua_pushvalue(L, -2);
            lua_rawget(L, -4);                         /* ... k v pos */
            check_pos(-1, "line", "col", in);
            check_pos(-1, "vline", "vcol", in);
            lua_pop(L, 1);
            walk(-1, marks, depth + 1, in);
            lua_pop(L, 1);
        }
        if ((lua_Integer)lua_rawlen(L, -2) != n)
            fail("a mapping's order does not list its keys", in);
        for (lua_Integer i = 1; i <= n; i++) {
            if (lua_rawgeti(L, -2, i) != LUA_TSTRING)
                fail("a mapping's order holds a non-string", in);
            if (lua_rawget(L, idx) == LUA_TNIL)
                fail("a mapping's order names a key it does not have", in);
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    } else {
        lua_getfield(L, rec, "items");                 /* rec items */
        if (!lua_istable(L, -1))
            fail("a sequence's record without items", in);
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            lua_pop(L, 1);
            n++;
        }
        if ((lua_Integer)lua_rawlen(L, idx) != n)
            fail("a sequence that is not 1..n", in);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            check_pos(-1, "line", "col", in);
            lua_pop(L, 1);
            lua_rawgeti(L, idx, i);
            walk(-1, marks, depth + 1, in);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* The error messages at the top of the stack: a list, each naming the file. */
static void check_messages(lua_State *L1, const struct input *in)
{
    lua_Integer n = (lua_Integer)lua_rawlen(L1, -1);
    if (!lua_istable(L1, -1) || n < 1)
        fail("an error without messages", in);
    for (lua_Integer i = 1; i <= n; i++) {
        size_t len;
        lua_rawgeti(L1, -1, i);
        const char *msg = lua_tolstring(L1, -1, &len);
        if (!msg || len <= strlen(NAME) + 2 || strncmp(msg, NAME ":", strlen(NAME) + 1) != 0)
            fail("a message that does not start with the file's name", in);
        lua_pop(L1, 1);
    }
}

static int load_and_check(lua_State *L1)
{
    const struct input *in = lua_touserdata(L1, 1);
    const struct yload_limits lim = {YLOAD_MAX_BYTES, YLOAD_MAX_DEPTH, YLOAD_MAX_NODES};
    /* nil and errors; a document and its marks; or those and what was left out of it */
    int results = yload_load(L1, in->text, in->len, NAME, &lim);
    if (results != 2 && results != 3)
        fail("yload_load did not return two or three values", in);
    if (results == 3) {
        check_messages(L1, in);
        lua_pop(L1, 1);
    }
    if (lua_isnil(L1, -2)) {
        if (results == 3)
            fail("errors twice and no document", in);
        check_messages(L1, in);
        return 0;
    }
    int marks = lua_gettop(L1);
    if (!lua_istable(L1, marks))
        fail("a document without marks", in);
    lua_getfield(L1, marks, "root");
    check_pos(-1, "line", "col", in);
    lua_pop(L1, 1);
    nodes = 0;
    walk(marks - 1, marks, 0, in);
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    L = lua_newstate(limits_alloc, NULL);
    if (!L)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {(const char *)data, size, 1};
    for (size_t i = 0; i < size; i++)         /* every kind of line break counts at most once a byte */
        in.lines += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xa8 || data[i] == 0xa9;
    lua_pushcfunction(L, load_and_check);
    lua_pushlightuserdata(L, &in);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        /* Only running out of memory may raise. */
        const char *msg = lua_tostring(L, -1);
        if (!msg || !strstr(msg, "memory"))
            fprintf(stderr, "fuzz_yaml: raised: %s\n", msg ? msg : "(not a string)"), abort();
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
    return 0;
}
