/* visible.h - text hh did not write (from a recipe, an API answer, a file)
 * made safe to print on a terminal: control characters are shown as
 * escapes, so such text cannot retitle the window, write the clipboard,
 * move the cursor or hide a line. The one definition; Lua reaches it as
 * hh.core.visible, wrapped by lua/hh/display.lua. */
#ifndef HH_VISIBLE_H
#define HH_VISIBLE_H

#include <lua.h>
#include <stddef.h>
#include <stdio.h>

/* Writes s[0..len) to f with every control character made visible: \e, \r,
 * \n, \t (newlines and tabs are kept as they are with keep_lines), \xNN for
 * the other C0 controls, DEL and bytes that are not UTF-8, \u{NN} for C1
 * controls and bidirectional overrides written in UTF-8. Everything else,
 * UTF-8 text and backslashes included, is unchanged. */
void visible_fwrite(FILE *f, const char *s, size_t len, int keep_lines);

/* core.visible(s [, keep_lines]) -> s made visible (s itself when nothing
 * needed it); a non-string is converted with tostring first. */
int visible_lua(lua_State *L);

#endif
