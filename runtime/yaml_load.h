/* yaml_load.h - YAML text to Lua values plus the position of every node
 * (yaml_load.c), for recipes and their located error messages. Relies on
 * libyaml's event parser; bounds what libyaml does not (size, nesting,
 * alias expansion). */
#ifndef HH_YAML_LOAD_H
#define HH_YAML_LOAD_H

#include <lua.h>

struct yload_limits {
    lua_Integer max_bytes;   /* the text's size */
    lua_Integer max_depth;   /* nested mappings and sequences; the root is level 1 */
    lua_Integer max_nodes;   /* nodes produced, each copy an alias makes included */
};

#define YLOAD_MAX_BYTES 1048576
#define YLOAD_MAX_DEPTH 64
#define YLOAD_MAX_NODES 100000
/* The largest max_depth a caller may ask for: values and alias copies are
 * built by recursion, so this bounds the C stack. */
#define YLOAD_DEPTH_CEILING 1000

/* Pushes the null sentinel (a NULL light userdata, the same value as
 * cjson.null). */
void yload_push_null(lua_State *L);

/* Parses one YAML document. Pushes the document and its marks table and
 * returns 2; for bad input pushes nil and a list of "NAME:LINE:COL: message"
 * strings. `text` must stay alive during the call. Raises only when Lua
 * runs out of memory, and then leaks nothing. */
int yload_load(lua_State *L, const char *text, size_t len, const char *name, const struct yload_limits *lim);

#endif
