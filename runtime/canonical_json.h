/* canonical_json.h - canonical JSON for identities and request bodies. */
#ifndef HH_CANONICAL_JSON_H
#define HH_CANONICAL_JSON_H

#include <lua.h>
#include <stddef.h>

struct canonical_key {
    const char *s;
    size_t len;
    int value; /* stack index of the key's value while encoding */
};

/* Pushes the canonical JSON of the value at idx (1 result), or nil and a
 * message (2 results). */
int canonical_json(lua_State *L, int idx);

/* Joins the values from stack index first to last - strings as they are,
 * anything else as canonical JSON - and hands the bytes to sink, whose
 * result count it returns; or pushes nil and a message (2 results). Saves
 * building a Lua string only to hash it. The sink may raise a Lua error:
 * the bytes live in memory this module keeps, so nothing leaks. */
typedef int (*canonical_sink)(lua_State *L, const char *bytes, size_t len, void *data);
int canonical_join(lua_State *L, int first, int last, canonical_sink sink, void *data);

#endif
