/* canonical_json.h - canonical JSON for identities and request bodies. */
#ifndef HH_CANONICAL_JSON_H
#define HH_CANONICAL_JSON_H

#include <lua.h>
#include <stddef.h>

struct canonical_key {
    const char *s;
    size_t len;
};

/* Pushes the canonical JSON of the value at idx (1 result), or nil and a
 * message (2 results). */
int canonical_json(lua_State *L, int idx);

#endif
