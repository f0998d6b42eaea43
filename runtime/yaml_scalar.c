/* yaml_scalar.c - YAML 1.2 core-schema scalars as Lua values: null, bools,
 * ints (decimal, 0o, 0x; a float when too big), floats (.inf, .nan), for
 * plain scalars and for the !!str/!!int/... tags (yaml_load.c). */
#include "yaml_scalar.h"

#include <lua.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "yaml_load.h"

int yscalar_is(const char *s, size_t len, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == len && memcmp(s, *words, len) == 0)
            return 1;
    return 0;
}

static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
static const char *const trues[] = {"true", "True", "TRUE", NULL};
static const char *const falses[] = {"false", "False", "FALSE", NULL};
static const char *const infs[] = {".inf", ".Inf", ".INF", NULL};
static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};

static int digits(const char *s, size_t len, const char *set)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!s[i] || !strchr(set, s[i]))
            return 0;
    return 1;
}

/* Pushes a 0o / 0x number: an integer, or a float when it does not fit. */
static void push_radix(lua_State *L, const char *s, size_t len, unsigned base)
{
    uint64_t u = 0;
    double d = 0;
    int big = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        unsigned v = c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
        if (big || u > ((uint64_t)INT64_MAX - v) / base)
            big = 1;
        else
            u = u * base + v;
        d = d * base + v;
    }
    if (big)
        lua_pushnumber(L, (lua_Number)d);
    else
        lua_pushinteger(L, (lua_Integer)u);
}

/* Core-schema int: [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+. Pushes it. */
static int core_int(lua_State *L, const char *s, size_t len)
{
    size_t sign = len > 0 && (s[0] == '-' || s[0] == '+');
    if (len > 2 && s[0] == '0' && s[1] == 'o' && digits(s + 2, len - 2, "01234567")) {
        push_radix(L, s + 2, len - 2, 8);
        return 1;
    }
    if (len > 2 && s[0] == '0' && s[1] == 'x' && digits(s + 2, len - 2, "0123456789abcdefABCDEF")) {
        push_radix(L, s + 2, len - 2, 16);
        return 1;
    }
    /* Lua reads decimal integers exactly, and as a float on overflow. */
    return digits(s + sign, len - sign, "0123456789") && lua_stringtonumber(L, s) != 0;
}

/* Core-schema float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?,
 * [-+]?\.inf, \.nan (three spellings each). Pushes it. */
static int core_float(lua_State *L, const char *s, size_t len)
{
    size_t i = len > 0 && (s[0] == '-' || s[0] == '+'), intd = 0, fracd = 0;
    if (yscalar_is(s + i, len - i, infs)) {
        lua_pushnumber(L, s[0] == '-' ? -HUGE_VAL : HUGE_VAL);
        return 1;
    }
    if (yscalar_is(s, len, nans)) {
        lua_pushnumber(L, (lua_Number)NAN);
        return 1;
    }
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, intd++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, fracd++;
        if (intd == 0 && fracd == 0)
            return 0;
    } else if (intd == 0) {
        return 0;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        if (!digits(s + i, len - i, "0123456789"))
            return 0;
        i = len;
    }
    if (i != len || lua_stringtonumber(L, s) == 0)
        return 0;
    if (lua_isinteger(L, -1)) {                 /* digits alone, under !!float */
        lua_pushnumber(L, (lua_Number)lua_tointeger(L, -1));
        lua_remove(L, -2);
    }
    return 1;
}

/* Pushes a plain, untagged scalar resolved by the YAML 1.2 core schema. */
void yscalar_resolve(lua_State *L, const char *s, size_t len)
{
    if (len == 0 || yscalar_is(s, len, nulls))
        yload_push_null(L);
    else if (yscalar_is(s, len, trues))
        lua_pushboolean(L, 1);
    else if (yscalar_is(s, len, falses))
        lua_pushboolean(L, 0);
    else if (!core_int(L, s, len) && !core_float(L, s, len))
        lua_pushlstring(L, s, len);
}

/* Pushes a scalar with a core-schema tag; 0 (nothing pushed) when the text
 * is not of that type. */
int yscalar_tagged(lua_State *L, const char *type, const char *s, size_t len)
{
    if (strcmp(type, "str") == 0)
        lua_pushlstring(L, s, len);
    else if (strcmp(type, "null") == 0 && (len == 0 || yscalar_is(s, len, nulls)))
        yload_push_null(L);
    else if (strcmp(type, "bool") == 0 && (yscalar_is(s, len, trues) || yscalar_is(s, len, falses)))
        lua_pushboolean(L, yscalar_is(s, len, trues));
    else if (strcmp(type, "int") == 0 && core_int(L, s, len))
        ;
    else if (strcmp(type, "float") == 0 && core_float(L, s, len))
        ;
    else if (strcmp(type, "float") == 0 && core_int(L, s, len)) {
        lua_pushnumber(L, lua_tonumber(L, -1));
        lua_remove(L, -2);
    } else
        return 0;
    return 1;
}
