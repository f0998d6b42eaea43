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

/* The values from stack index first to last joined - strings as they are,
 * anything else as canonical JSON - in memory this module keeps until its
 * next call (*len bytes); or NULL with *err set. Saves building a Lua string
 * only to hash it. */
const char *canonical_join(lua_State *L, int first, int last, size_t *len, const char **err);

#endif
