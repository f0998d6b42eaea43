/* yaml_scalar.h - YAML 1.2 core-schema scalars as Lua values (yaml_scalar.c),
 * for the loader (yaml_load.c). */
#ifndef HH_YAML_SCALAR_H
#define HH_YAML_SCALAR_H

#include <lua.h>
#include <stddef.h>

/* Is s (len bytes) one of the NULL-ended words? */
int yscalar_is(const char *s, size_t len, const char *const *words);
/* Pushes a plain, untagged scalar resolved by the core schema. */
void yscalar_resolve(lua_State *L, const char *s, size_t len);
/* Pushes a scalar with a core-schema tag ("str", "int", "float", "bool",
 * "null"); 0 (nothing pushed) when the text is not of that type. */
int yscalar_tagged(lua_State *L, const char *type, const char *s, size_t len);

#endif
