/* fuzz_json.c - reads canonical JSON against the Lua value it should
 * encode, byte by byte and without building anything (see fuzz_json.h).
 * Independent of canonical_json.c on purpose: it states the rules again
 * from the JSON grammar, so the two can disagree. */
#include "fuzz_json.h"

#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_LIMIT 80

struct reader {
    lua_State *L;
    const char *s;
    size_t n, i;
    const char *err;
};

static int failed(struct reader *r, const char *why)
{
    if (!r->err)
        r->err = why;
    return -1;
}

static int peek(const struct reader *r)
{
    return r->i < r->n ? (unsigned char)r->s[r->i] : -1;
}

static int literal(struct reader *r, const char *word)
{
    size_t len = strlen(word);
    if (r->n - r->i < len || memcmp(r->s + r->i, word, len) != 0)
        return failed(r, "a bad literal");
    r->i += len;
    return 0;
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;                                         /* upper case is not canonical */
}

/* Reads a string into a Lua string pushed on the stack. */
static int string_value(struct reader *r)
{
    luaL_Buffer b;
    if (peek(r) != '"')
        return failed(r, "a string expected");
    r->i++;
    luaL_buffinit(r->L, &b);
    for (;;) {
        int c = peek(r);
        if (c < 0)
            return failed(r, "an unterminated string");
        r->i++;
        if (c == '"')
            break;
        if (c < 0x20 || c == 0x7f)
            return failed(r, "a control character left unescaped");
        if (c != '\\') {
            luaL_addchar(&b, (char)c);
            continue;
        }
        c = peek(r);
        r->i++;
        switch (c) {
        case '"': luaL_addchar(&b, '"'); break;
        case '\\': luaL_addchar(&b, '\\'); break;
        case 'n': luaL_addchar(&b, '\n'); break;
        case 'r': luaL_addchar(&b, '\r'); break;
        case 't': luaL_addchar(&b, '\t'); break;
        case 'b': luaL_addchar(&b, '\b'); break;
        case 'f': luaL_addchar(&b, '\f'); break;
        case 'u': {
            if (r->n - r->i < 4 || r->s[r->i] != '0' || r->s[r->i + 1] != '0')
                return failed(r, "a \\u escape of a character that needs none");
            int hi = hex_digit((unsigned char)r->s[r->i + 2]), lo = hex_digit((unsigned char)r->s[r->i + 3]);
            if (hi < 0 || lo < 0)
                return failed(r, "a bad \\u escape");
            int v = hi * 16 + lo;
            if ((v >= 0x20 && v != 0x7f) || v == '\n' || v == '\r' || v == '\t' || v == '\b' || v == '\f')
                return failed(r, "a \\u escape where none or a short one belongs");
            luaL_addchar(&b, (char)v);
            r->i += 4;
            break;
        }
        default:
            return failed(r, "an escape JSON does not have, or one canonical JSON does not use");
        }
    }
    luaL_pushresult(&b);
    return 0;
}

static int compare_number(struct reader *r, int idx)
{
    size_t start = r->i;
    int integral = 1;
    if (peek(r) == '-')
        r->i++;
    if (peek(r) == '0') {
        r->i++;
        if (peek(r) >= '0' && peek(r) <= '9')
            return failed(r, "a number with a leading zero");
    } else if (peek(r) >= '1' && peek(r) <= '9') {
        while (peek(r) >= '0' && peek(r) <= '9')
            r->i++;
    } else {
        return failed(r, "a bad number");
    }
    if (peek(r) == '.') {
        integral = 0;
        r->i++;
        if (!(peek(r) >= '0' && peek(r) <= '9'))
            return failed(r, "a fraction without digits");
        while (peek(r) >= '0' && peek(r) <= '9')
            r->i++;
    }
    if (peek(r) == 'e' || peek(r) == 'E') {
        integral = 0;
        r->i++;
        if (peek(r) == '+' || peek(r) == '-')
            r->i++;
        if (!(peek(r) >= '0' && peek(r) <= '9'))
            return failed(r, "an exponent without digits");
        while (peek(r) >= '0' && peek(r) <= '9')
            r->i++;
    }
    char text[64];
    size_t len = r->i - start;
    if (len >= sizeof text)
        return failed(r, "a number longer than any canonical one");
    memcpy(text, r->s + start, len);
    text[len] = '\0';
    if (strcmp(text, "-0") == 0)
        return failed(r, "-0");
    lua_State *L = r->L;
    if (lua_type(L, idx) != LUA_TNUMBER)
        return failed(r, "a number where the value is not one");
    if (lua_isinteger(L, idx)) {
        char want[32];
        lua_Integer v = lua_tointeger(L, idx);
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
        snprintf(want, sizeof want, "%s%llu", v < 0 ? "-" : "", u);
        return strcmp(text, want) == 0 ? 0 : failed(r, "an integer written differently");
    }
    double d = lua_tonumber(L, idx);
    if (strtod(text, NULL) != d)
        return failed(r, "a float that does not read back exactly");
    if (d == floor(d) && fabs(d) < 9007199254740992.0 && !integral)
        return failed(r, "a whole float with a fraction or an exponent");
    if (strlen(text) > 25)
        return failed(r, "a float longer than 17 digits need");
    return 0;
}

static int is_object_mt(lua_State *L, int idx)
{
    int yes = 0;
    if (lua_getmetatable(L, idx)) {
        lua_getfield(L, LUA_REGISTRYINDEX, "hh.json.object_mt");
        yes = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
    }
    return yes;
}

static lua_Integer entries(lua_State *L, int idx)
{
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        n++;
    }
    return n;
}

static int compare(struct reader *r, int idx, int depth);

static int compare_array(struct reader *r, int idx, int depth)
{
    lua_State *L = r->L;
    lua_Integer n = 0;
    r->i++;
    if (peek(r) == ']') {
        r->i++;
        if (entries(L, idx) != 0 || is_object_mt(L, idx))
            return failed(r, "[] for a table that is not an empty list");
        return 0;
    }
    for (;;) {
        lua_rawgeti(L, idx, ++n);
        if (lua_isnil(L, -1))
            return failed(r, "an array longer than the table's list");
        int rc = compare(r, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
        if (rc)
            return rc;
        if (peek(r) == ']')
            break;
        if (peek(r) != ',')
            return failed(r, "',' or ']' expected");
        r->i++;
    }
    r->i++;
    return entries(L, idx) == n ? 0 : failed(r, "an array for a table that is not exactly 1..n");
}

static int compare_object(struct reader *r, int idx, int depth)
{
    lua_State *L = r->L;
    lua_Integer n = 0;
    r->i++;
    if (peek(r) == '}') {
        r->i++;
        if (entries(L, idx) != 0 || !is_object_mt(L, idx))
            return failed(r, "{} for a table that is not an empty object");
        return 0;
    }
    lua_pushnil(L);                                    /* the previous key */
    for (;;) {
        if (string_value(r))
            return -1;                                 /* prev key */
        size_t plen, klen;
        const char *prev = lua_tolstring(L, -2, &plen), *key = lua_tolstring(L, -1, &klen);
        if (prev) {
            int c = memcmp(prev, key, plen < klen ? plen : klen);
            if (c > 0 || (c == 0 && plen >= klen))
                return failed(r, "object keys not in strictly increasing byte order");
        }
        lua_remove(L, -2);                             /* key */
        if (peek(r) != ':')
            return failed(r, "':' expected");
        r->i++;
        lua_pushvalue(L, -1);
        if (lua_rawget(L, idx) == LUA_TNIL)            /* key value */
            return failed(r, "a key the table does not have");
        n++;
        int rc = compare(r, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
        if (rc)
            return rc;
        if (peek(r) == '}')
            break;
        if (peek(r) != ',')
            return failed(r, "',' or '}' expected");
        r->i++;
    }
    lua_pop(L, 1);
    r->i++;
    return entries(L, idx) == n ? 0 : failed(r, "an object without some of the table's keys");
}

static int compare(struct reader *r, int idx, int depth)
{
    lua_State *L = r->L;
    if (depth > DEPTH_LIMIT || !lua_checkstack(L, 8))
        return failed(r, "nested deeper than the encoder allows");
    switch (peek(r)) {
    case 'n':
        if (!lua_isnil(L, idx) && !(lua_islightuserdata(L, idx) && lua_touserdata(L, idx) == NULL))
            return failed(r, "null for a value that is not nil or null");
        return literal(r, "null");
    case 't':
    case 'f':
        if (!lua_isboolean(L, idx) || lua_toboolean(L, idx) != (peek(r) == 't'))
            return failed(r, "a boolean for another value");
        return literal(r, peek(r) == 't' ? "true" : "false");
    case '"': {
        size_t a, b;
        if (lua_type(L, idx) != LUA_TSTRING)
            return failed(r, "a string for a value that is not one");
        if (string_value(r))
            return -1;
        const char *got = lua_tolstring(L, -1, &a), *want = lua_tolstring(L, idx, &b);
        int same = a == b && memcmp(got, want, a) == 0;
        lua_pop(L, 1);
        return same ? 0 : failed(r, "a string that differs from the value");
    }
    case '[':
        if (!lua_istable(L, idx))
            return failed(r, "an array for a value that is not a table");
        return compare_array(r, idx, depth);
    case '{':
        if (!lua_istable(L, idx))
            return failed(r, "an object for a value that is not a table");
        return compare_object(r, idx, depth);
    default:
        return compare_number(r, idx);
    }
}

const char *fuzz_json_check(lua_State *L, const char *text, size_t len, int idx)
{
    struct reader r = {L, text, len, 0, NULL};
    int top = lua_gettop(L);
    if (compare(&r, lua_absindex(L, idx), 0) == 0 && r.i != r.n)
        failed(&r, "text after the value");
    lua_settop(L, top);
    return r.err;
}
