/* canonical_json.c - Lua values to canonical JSON: object keys sorted
 * bytewise, integral numbers without a fraction, other numbers in their
 * shortest round-trip form, strings with only the escapes JSON requires.
 * The same value always gives the same bytes, so its SHA-256 can name a job.
 * A table is an array when its keys are exactly 1..n; an empty table is []
 * unless it carries hh.json's object metatable; cjson.null (a NULL light
 * userdata) is null. */
#include "canonical_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_KEYS_ON_STACK 32

/* The output buffer: one for the process, grown as needed and kept (it
 * stops growing once it holds the largest request). luaL_Buffer would forbid
 * the stack use below; and as nothing here is freed, a Lua error raised
 * while a result is pushed leaks nothing. Encoding calls no Lua code, so the
 * buffer is never in use twice. */
static char *scratch;
static size_t scratch_cap;

struct out {
    size_t len;
    int oom;
};

static void out_grow_and_add(struct out *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    size_t cap = scratch_cap ? scratch_cap : 512;
    while (cap < o->len + n)
        cap *= 2;
    char *grown = realloc(scratch, cap);
    if (!grown) {
        o->oom = 1;
        return;
    }
    scratch = grown;
    scratch_cap = cap;
    memcpy(scratch + o->len, s, n);
    o->len += n;
}

static inline void out_add(struct out *o, const char *s, size_t n)
{
    if (o->len + n <= scratch_cap) {
        memcpy(scratch + o->len, s, n);
        o->len += n;
    } else {
        out_grow_and_add(o, s, n);
    }
}

#define luaL_Buffer struct out
#define luaL_addchar(o, c) do { char ch_ = (c); out_add((o), &ch_, 1); } while (0)
#define luaL_addstring(o, s) out_add((o), (s), strlen(s))

static void add_string(luaL_Buffer *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    luaL_addchar(b, '"');
    size_t run = 0; /* start of the bytes that need no escape, copied at once */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
            continue;
        out_add(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': luaL_addstring(b, "\\\""); break;
        case '\\': luaL_addstring(b, "\\\\"); break;
        case '\n': luaL_addstring(b, "\\n"); break;
        case '\r': luaL_addstring(b, "\\r"); break;
        case '\t': luaL_addstring(b, "\\t"); break;
        case '\b': luaL_addstring(b, "\\b"); break;
        case '\f': luaL_addstring(b, "\\f"); break;
        default: {
            char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            luaL_addstring(b, esc);
        }
        }
    }
    out_add(b, s + run, len - run);
    luaL_addchar(b, '"');
}

/* Integers are most numbers in a request; printf's machinery is slow for them. */
static void add_integer(luaL_Buffer *b, lua_Integer v)
{
    char buf[24], *end = buf + sizeof buf, *p = end;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    out_add(b, p, (size_t)(end - p));
}

static int add_number(lua_State *L, luaL_Buffer *b, int idx)
{
    char buf[40];
    if (lua_isinteger(L, idx)) {
        add_integer(b, lua_tointeger(L, idx));
        return 0;
    } else {
        double d = lua_tonumber(L, idx);
        if (!isfinite(d))
            return -1;
        if (d == floor(d) && fabs(d) < 9007199254740992.0) {
            snprintf(buf, sizeof buf, "%.0f", d);
            if (strcmp(buf, "-0") == 0)
                strcpy(buf, "0");
        } else {
            for (int prec = 15; prec <= 17; prec++) {
                snprintf(buf, sizeof buf, "%.*g", prec, d);
                if (strtod(buf, NULL) == d)
                    break;
            }
        }
    }
    luaL_addstring(b, buf);
    return 0;
}

static int compare_keys(const void *a, const void *b)
{
    const struct canonical_key *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Is the table at idx a sequence 1..n? Returns n, or -1 if not. */
static lua_Integer array_length(lua_State *L, int idx)
{
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1)) {
            lua_pop(L, 1);
            return -1;
        }
        lua_Integer k = lua_tointeger(L, -1);
        if (k < 1 || k > n) {
            lua_pop(L, 1);
            return -1;
        }
        count++;
    }
    return count == n ? n : -1;
}

static int encode(lua_State *L, luaL_Buffer *b, int idx, int depth, const char **err);

static int encode_table(lua_State *L, luaL_Buffer *b, int idx, int depth, const char **err)
{
    if (depth > MAX_DEPTH) {
        *err = "nested too deeply";
        return -1;
    }
    if (!lua_checkstack(L, 6)) {
        *err = "nested too deeply";
        return -1;
    }
    lua_Integer n = array_length(L, idx);
    if (n > 0) {
        luaL_addchar(b, '[');
        for (lua_Integer i = 1; i <= n; i++) {
            if (i > 1)
                luaL_addchar(b, ',');
            lua_rawgeti(L, idx, i);
            int rc = encode(L, b, lua_gettop(L), depth + 1, err);
            lua_pop(L, 1);
            if (rc != 0)
                return rc;
        }
        luaL_addchar(b, ']');
        return 0;
    }
    if (n == 0) {
        /* empty: [] unless marked as an object (hh.json.object()) */
        int is_object = 0;
        if (lua_getmetatable(L, idx)) {
            lua_getfield(L, LUA_REGISTRYINDEX, "hh.json.object_mt");
            is_object = lua_rawequal(L, -1, -2);
            lua_pop(L, 2);
        }
        luaL_addstring(b, is_object ? "{}" : "[]");
        return 0;
    }
    /* An object: collect the string keys, leaving each value on the stack
     * (lua_next's key goes back on top for the next step), sort, emit. */
    size_t count = 0, cap = MAX_KEYS_ON_STACK;
    struct canonical_key stack_keys[MAX_KEYS_ON_STACK], *keys = stack_keys;
    int base = lua_gettop(L);
    const char *failure = NULL;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            failure = "object keys must be strings";
        else if (!lua_checkstack(L, 4))
            failure = "too many keys";
        else if (count == cap) {
            size_t ncap = cap * 2;
            struct canonical_key *grown = keys == stack_keys ? malloc(ncap * sizeof *grown)
                                                             : realloc(keys, ncap * sizeof *grown);
            if (!grown)
                failure = "out of memory";
            else {
                if (keys == stack_keys)
                    memcpy(grown, stack_keys, sizeof stack_keys);
                keys = grown;
                cap = ncap;
            }
        }
        if (failure) {
            lua_settop(L, base);
            if (keys != stack_keys)
                free(keys);
            *err = failure;
            return -1;
        }
        /* The key string stays alive: it is still a key of the table. */
        keys[count].s = lua_tolstring(L, -2, &keys[count].len);
        keys[count].value = base + 1 + (int)count;
        count++;
        lua_insert(L, -2);
    }
    /* Requests have a handful of keys: insertion sort beats qsort's set-up. */
    if (count <= 16) {
        for (size_t i = 1; i < count; i++) {
            struct canonical_key k = keys[i];
            size_t j = i;
            for (; j > 0 && compare_keys(&keys[j - 1], &k) > 0; j--)
                keys[j] = keys[j - 1];
            keys[j] = k;
        }
    } else {
        qsort(keys, count, sizeof *keys, compare_keys);
    }
    luaL_addchar(b, '{');
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        if (i > 0)
            luaL_addchar(b, ',');
        add_string(b, keys[i].s, keys[i].len);
        luaL_addchar(b, ':');
        rc = encode(L, b, keys[i].value, depth + 1, err);
    }
    lua_settop(L, base);
    if (keys != stack_keys)
        free(keys);
    if (rc == 0)
        luaL_addchar(b, '}');
    return rc;
}

static int encode(lua_State *L, luaL_Buffer *b, int idx, int depth, const char **err)
{
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        luaL_addstring(b, "null");
        return 0;
    case LUA_TBOOLEAN:
        luaL_addstring(b, lua_toboolean(L, idx) ? "true" : "false");
        return 0;
    case LUA_TNUMBER:
        if (add_number(L, b, idx) != 0) {
            *err = "cannot encode inf or nan";
            return -1;
        }
        return 0;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        add_string(b, s, len);
        return 0;
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL) {
            luaL_addstring(b, "null");
            return 0;
        }
        break;
    case LUA_TTABLE:
        return encode_table(L, b, idx, depth, err);
    default:
        break;
    }
    *err = "cannot encode this type";
    return -1;
}

/* Appends the value's canonical JSON to b; 0, or -1 with *err set. */
static int encode_value(lua_State *L, luaL_Buffer *b, int idx, const char **err)
{
    int rc = encode(L, b, lua_absindex(L, idx), 0, err);
    if (rc == 0 && b->oom) {
        rc = -1;
        *err = "out of memory";
    }
    return rc;
}

int canonical_json(lua_State *L, int idx)
{
    const char *err = NULL;
    struct out b = {0, 0};
    if (encode_value(L, &b, idx, &err) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    lua_pushlstring(L, scratch, b.len);
    return 1;
}

const char *canonical_join(lua_State *L, int first, int last, size_t *len, const char **err)
{
    struct out b = {0, 0};
    *err = NULL;
    for (int i = first; i <= last && !*err; i++) {
        if (lua_type(L, i) == LUA_TSTRING) {
            size_t n;
            const char *s = lua_tolstring(L, i, &n);
            out_add(&b, s, n);
        } else {
            encode_value(L, &b, i, err);
        }
    }
    if (!*err && b.oom)
        *err = "out of memory";
    if (*err)
        return NULL;
    *len = b.len;
    return scratch ? scratch : "";
}
