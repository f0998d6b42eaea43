/* visible.c - makes text from outside hh safe to print (see visible.h):
 * one pass over the bytes, decoding UTF-8 only to find what a terminal
 * would take as a control. Relies on nothing but the C library and, for
 * the binding, Lua's buffers. */
#include "visible.h"

#include <lauxlib.h>
#include <stdint.h>
#include <string.h>

typedef void (*visible_out)(void *arg, const char *s, size_t len);

/* The length of the UTF-8 sequence at s (at most n bytes) and its code
 * point, or 0 when it is not one: overlong forms, surrogates and values past
 * U+10FFFF are not. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, v = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, v = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, v = c & 0x07, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* A code point a terminal or a text renderer treats as a control: C1
 * (U+0080..U+009F, CSI and OSC among them) and the bidirectional
 * embeddings, overrides and isolates that reorder what follows them. */
static int hidden_code(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The escape for the byte or sequence at s, written into buf; its length,
 * or 0 when it is printed as it is. *used is how many bytes it covers. */
static size_t escape_at(const unsigned char *s, size_t n, int keep_lines, char *buf, size_t *used)
{
    unsigned char c = s[0];
    *used = 1;
    if (c >= 0x20 && c < 0x7f)
        return 0;
    if (c == '\n' || c == '\t') {
        if (keep_lines)
            return 0;
        return (size_t)snprintf(buf, 16, "\\%c", c == '\n' ? 'n' : 't');
    }
    if (c == 0x1b)
        return (size_t)snprintf(buf, 16, "\\e");
    if (c == '\r')
        return (size_t)snprintf(buf, 16, "\\r");
    if (c < 0x80)
        return (size_t)snprintf(buf, 16, "\\x%02x", c);
    uint32_t cp;
    size_t len = utf8_seq(s, n, &cp);
    if (len == 0)
        return (size_t)snprintf(buf, 16, "\\x%02x", c);
    *used = len;
    if (hidden_code(cp))
        return (size_t)snprintf(buf, 16, "\\u{%x}", (unsigned)cp);
    return 0;
}

/* Calls out() with the runs of bytes kept as they are and the escapes. */
static void visible_text(const char *text, size_t len, int keep_lines, visible_out out, void *arg)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t run = 0, i = 0;
    while (i < len) {
        char buf[16];
        size_t used;
        size_t n = escape_at(s + i, len - i, keep_lines, buf, &used);
        if (n == 0) {
            i += used;
            continue;
        }
        if (i > run)
            out(arg, text + run, i - run);
        out(arg, buf, n);
        i += used;
        run = i;
    }
    if (len > run)
        out(arg, text + run, len - run);
}

/* Does any byte of s need an escape? */
static int needs_escape(const char *text, size_t len, int keep_lines)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        char buf[16];
        size_t used;
        if (escape_at(s + i, len - i, keep_lines, buf, &used))
            return 1;
        i += used;
    }
    return 0;
}

static void to_file(void *arg, const char *s, size_t len)
{
    fwrite(s, 1, len, arg);
}

void visible_fwrite(FILE *f, const char *s, size_t len, int keep_lines)
{
    visible_text(s, len, keep_lines, to_file, f);
}

static void to_buffer(void *arg, const char *s, size_t len)
{
    luaL_addlstring(arg, s, len);
}

int visible_lua(lua_State *L)
{
    int keep = lua_toboolean(L, 2);
    lua_settop(L, 1);
    size_t len;
    const char *s = luaL_tolstring(L, 1, &len);   /* v s */
    if (!needs_escape(s, len, keep))
        return 1;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    visible_text(s, len, keep, to_buffer, &b);
    luaL_pushresult(&b);
    return 1;
}
