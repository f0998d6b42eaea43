/* fuzz_json.h - a strict reader of canonical JSON for the fuzzing harnesses
 * (fuzz_json.c): checks that a text is exactly what canonical_json.c must
 * write for a Lua value. */
#ifndef HH_FUZZ_JSON_H
#define HH_FUZZ_JSON_H

#include <lua.h>
#include <stddef.h>

/* NULL when text is RFC 8259 JSON without whitespace, its object keys in
 * strictly increasing byte order, its strings escaped only where JSON must
 * be (short forms first, 0x7f too), its numbers in canonical form, and equal
 * to the value at stack index idx (read raw; nil and a NULL light userdata
 * are null; an empty table is [] unless its metatable is the registry's
 * "hh.json.object_mt"). Otherwise what is wrong. */
const char *fuzz_json_check(lua_State *L, const char *text, size_t len, int idx);

#endif
