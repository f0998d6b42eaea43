/* yaml_load.c - one YAML document to Lua values and the position of every
 * node, for recipes. Walks libyaml's event API (no libyaml document tree),
 * resolves plain scalars by the YAML 1.2 core schema, copies aliases, and
 * bounds size, nesting and alias expansion, which libyaml does not. The
 * parser and its current event live in a userdata with __gc, so a Lua error
 * (out of memory) in the middle of a parse leaks nothing. */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "yaml_load.h"
#include "yaml_scalar.h"

#define YLOAD_PARSER_MT "hh.yaml.parser"
#define YLOAD_MAX_ERRORS 100
#define YLOAD_CORE "tag:yaml.org,2002:"
#define YLOAD_SHOWN_MAX 60      /* longest key or value quoted in a message */

/* The userdata: libyaml's state, released by yload_release or __gc. */
struct yload_parser {
    yaml_parser_t parser;
    yaml_event_t event;         /* the current event, or zeroed */
    int live;                   /* parser initialised, not yet deleted */
};

/* One load. Lives on the C stack: nothing here needs freeing. */
struct yload {
    lua_State *L;
    struct yload_parser *p;
    const char *name;
    const char *text;
    size_t len;
    const struct yload_limits *lim;
    lua_Integer nodes;          /* nodes produced so far, alias copies included */
    int aliased;                /* an alias has been expanded */
    int nerrors;
    int nkept;                  /* errors after which the document is still whole (an entry left out) */
    int stop;                   /* a fatal error: read no more events */
    int marks, errors, anchors; /* stack indices of the three tables */
};

/* What a node leaves beside its value on the stack. */
struct yload_node {
    yaml_mark_t mark;
    int height;                 /* 0 for a scalar, else 1 + its tallest child */
    const char *text;           /* a scalar's source text, NULL for a collection */
    size_t text_len;
};

enum yload_kind { YLOAD_SCALAR, YLOAD_SEQ, YLOAD_MAP };
static const char *const yload_kind_names[] = {"scalar", "sequence", "mapping"};

static void yload_value(struct yload *y, int depth, struct yload_node *node);

void yload_push_null(lua_State *L)
{
    lua_pushlightuserdata(L, NULL);
}

/* 1-based positions; libyaml's are 0-based. */
static lua_Integer yload_line(yaml_mark_t mark)
{
    return (lua_Integer)mark.line + 1;
}

static lua_Integer yload_col(yaml_mark_t mark)
{
    return (lua_Integer)mark.column + 1;
}

/* --- the parser userdata -------------------------------------------------- */

static void yload_release(struct yload_parser *p)
{
    if (p->live) {
        yaml_event_delete(&p->event);
        yaml_parser_delete(&p->parser);
        p->live = 0;
    }
}

static int yload_gc(lua_State *L)
{
    yload_release(luaL_checkudata(L, 1, YLOAD_PARSER_MT));
    return 0;
}

/* Pushes a parser reading text; its memory is libyaml's until released. */
static struct yload_parser *yload_open(lua_State *L, const char *text, size_t len)
{
    struct yload_parser *p = lua_newuserdatauv(L, sizeof *p, 0);
    memset(p, 0, sizeof *p);
    if (luaL_newmetatable(L, YLOAD_PARSER_MT)) {
        lua_pushcfunction(L, yload_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, yload_gc);
        lua_setfield(L, -2, "__close");
    }
    lua_setmetatable(L, -2);
    if (!yaml_parser_initialize(&p->parser))
        luaL_error(L, "hh.yaml: not enough memory");
    p->live = 1;
    yaml_parser_set_input_string(&p->parser, (const unsigned char *)text, len);
    return p;
}

/* --- messages ------------------------------------------------------------- */

/* Pushes s for a message: control bytes escaped, long text cut short. */
static const char *yload_push_shown(lua_State *L, const char *s, size_t len)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= YLOAD_SHOWN_MAX && (c & 0xc0) != 0x80) {   /* cut between characters */
            luaL_addstring(&b, "...");
            break;
        }
        if (c < 0x20 || c == 0x7f) {
            char hex[8];
            snprintf(hex, sizeof hex, "\\x%02x", c);
            luaL_addstring(&b, hex);
        } else {
            luaL_addchar(&b, (char)c);
        }
    }
    luaL_pushresult(&b);
    return lua_tostring(L, -1);
}

/* Pushes a tag as written: "!!int" for the core schema's, else unchanged. */
static const char *yload_push_tag(lua_State *L, const char *tag)
{
    size_t n = strlen(YLOAD_CORE);
    if (strncmp(tag, YLOAD_CORE, n) == 0) {
        lua_pushliteral(L, "!!");
        yload_push_shown(L, tag + n, strlen(tag + n));
        lua_concat(L, 2);
    } else {
        yload_push_shown(L, tag, strlen(tag));
    }
    return lua_tostring(L, -1);
}

static void yload_add(struct yload *y)  /* msg -- */
{
    lua_State *L = y->L;
    lua_rawseti(L, y->errors, ++y->nerrors);
    if (y->nerrors == YLOAD_MAX_ERRORS && !y->stop) {
        lua_pushfstring(L, "%s: too many errors; stopped after %d", y->name, YLOAD_MAX_ERRORS);
        lua_rawseti(L, y->errors, ++y->nerrors);
        y->stop = 1;
    }
}

/* Records "NAME:LINE:COL: message" at a libyaml mark (0-based). */
static void yload_error(struct yload *y, yaml_mark_t mark, const char *fmt, ...)
{
    lua_State *L = y->L;
    va_list ap;
    if (y->stop)
        return;
    lua_pushfstring(L, "%s:%I:%I: ", y->name, yload_line(mark), yload_col(mark));
    va_start(ap, fmt);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    lua_concat(L, 2);
    yload_add(y);
}

/* An error after which nothing more is read. */
#define yload_fatal(y, ...) (yload_error((y), __VA_ARGS__), (y)->stop = 1)

/* libyaml reports a reader error as a byte offset: count lines and
 * characters up to it the way libyaml's marks do. */
static yaml_mark_t yload_mark_at(const char *text, size_t offset)
{
    yaml_mark_t m = {offset, 0, 0};
    const unsigned char *s = (const unsigned char *)text;
    size_t bom = offset >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;   /* not a column */
    for (size_t i = bom; i < offset; i++) {
        int lf = s[i] == '\n' || (s[i] == '\r' && (i + 1 >= offset || s[i + 1] != '\n'))
                 || (s[i] == 0xc2 && i + 1 < offset && s[i + 1] == 0x85)
                 || (s[i] == 0xe2 && i + 2 < offset && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9));
        if (lf) {
            m.line++;
            m.column = 0;
            i += s[i] == 0xc2 ? 1 : s[i] == 0xe2 ? 2 : 0;
        } else if ((s[i] & 0xc0) != 0x80) {
            m.column++;
        }
    }
    return m;
}

/* The byte at a mark (whose index counts characters), or 0. */
static unsigned char yload_byte_at(const struct yload *y, yaml_mark_t mark)
{
    size_t chars = 0;
    for (size_t i = y->len >= 3 && memcmp(y->text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0; i < y->len; i++) {
        if (((unsigned char)y->text[i] & 0xc0) == 0x80)
            continue;
        if (chars++ == mark.index)
            return (unsigned char)y->text[i];
    }
    return 0;
}

/* libyaml's words for the commonest mistakes, said plainly and placed where
 * the thing left open began (libyaml notices them lines later). */
static const struct {
    const char *context, *problem, *said;
} yload_plain[] = {
    {"while scanning a quoted scalar", "found unexpected end of stream",
     "this quoted string is never closed: the file ends inside it"},
    {"while parsing a flow sequence", "did not find expected ',' or ']'",
     "this [ list is not closed with ] (or a ',' is missing between its items)"},
    {"while parsing a flow mapping", "did not find expected ',' or '}'",
     "this { mapping is not closed with } (or a ',' is missing between its entries)"},
    {"while scanning a simple key", "could not find expected ':'",
     "this key has no ':' after it (or a value goes on without being indented)"},
};

/* A plain restatement of libyaml's error, or NULL. */
static const char *yload_plain_words(const yaml_parser_t *p)
{
    for (size_t i = 0; p->context && p->problem && i < sizeof yload_plain / sizeof yload_plain[0]; i++)
        if (strcmp(p->context, yload_plain[i].context) == 0 && strcmp(p->problem, yload_plain[i].problem) == 0)
            return yload_plain[i].said;
    return NULL;
}

/* Records libyaml's error (the parse is over). */
static void yload_syntax_error(struct yload *y)
{
    yaml_parser_t *p = &y->p->parser;
    const char *hint = "", *plain = yload_plain_words(p);
    if (p->error == YAML_SCANNER_ERROR && yload_byte_at(y, p->problem_mark) == '\t' && !strstr(p->problem, "tab"))
        hint = "; YAML indents with spaces, not tabs";
    if (p->error == YAML_READER_ERROR) {
        char hex[24] = "";
        size_t at = p->problem_offset < y->len ? p->problem_offset : y->len;
        if (strstr(p->problem, "trailing")) {          /* at the bad octet: show its character */
            while (at > 0 && ((unsigned char)y->text[at - 1] & 0xc0) == 0x80)
                at--;
            at -= at > 0 && (unsigned char)y->text[at - 1] >= 0xc0;
        }
        if (p->problem_value != -1)
            snprintf(hex, sizeof hex, " (#x%X)", (unsigned)p->problem_value);
        yload_error(y, yload_mark_at(y->text, at), "%s%s", p->problem, hex);
    } else if (p->error == YAML_MEMORY_ERROR || !p->problem) {
        lua_pushfstring(y->L, "%s: the YAML parser ran out of memory", y->name);
        yload_add(y);
    } else if (plain && p->context_mark.index != p->problem_mark.index && !strstr(plain, "the file ends")) {
        yload_error(y, p->context_mark, "%s; noticed at line %I, column %I", plain, yload_line(p->problem_mark),
                    yload_col(p->problem_mark));
    } else if (plain) {
        yload_error(y, p->context_mark, "%s", plain);
    } else if (p->context && p->context_mark.index == p->problem_mark.index) {
        yload_error(y, p->problem_mark, "%s (%s)%s", p->problem, p->context, hint);
    } else if (p->context) {
        yload_error(y, p->problem_mark, "%s (%s at line %I, column %I)%s", p->problem, p->context,
                    yload_line(p->context_mark), yload_col(p->context_mark), hint);
    } else {
        yload_error(y, p->problem_mark, "%s%s", p->problem, hint);
    }
    y->stop = 1;
}

/* Makes the next event current; 0 (the parse is over) on a syntax error. */
static int yload_next(struct yload *y)
{
    struct yload_parser *p = y->p;
    if (y->stop)
        return 0;
    yaml_event_delete(&p->event);
    memset(&p->event, 0, sizeof p->event);
    if (!yaml_parser_parse(&p->parser, &p->event)) {
        yload_syntax_error(y);
        return 0;
    }
    return 1;
}

/* Counts n more nodes; 0 (fatal) past max_nodes. */
static int yload_count(struct yload *y, lua_Integer n, yaml_mark_t mark)
{
    if (n > y->lim->max_nodes - y->nodes) {
        if (y->aliased)
            yload_fatal(y, mark, "aliases expand to more than %I nodes", y->lim->max_nodes);
        else
            yload_fatal(y, mark, "the document has more than %I nodes", y->lim->max_nodes);
        return 0;
    }
    y->nodes += n;
    return 1;
}

/* --- small tables ----------------------------------------------------------- */

static void yload_set_int(lua_State *L, const char *field, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, field);
}

/* Pushes {line =, col =} for a mark. */
static void yload_push_pos(const struct yload *y, yaml_mark_t mark)
{
    lua_createtable(y->L, 0, 4);
    yload_set_int(y->L, "line", yload_line(mark));
    yload_set_int(y->L, "col", yload_col(mark));
}

/* Remembers the node on top of the stack under an anchor name (on the stack
 * at `name`): value, nodes it counts, height, and a scalar's text. */
static void yload_anchor(struct yload *y, int name, lua_Integer nodes, const struct yload_node *node)
{
    lua_State *L = y->L;
    lua_createtable(L, 0, 4);                   /* value rec */
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "v");
    lua_pushinteger(L, nodes);
    lua_setfield(L, -2, "n");
    lua_pushinteger(L, node->height);
    lua_setfield(L, -2, "h");
    if (node->text) {
        lua_pushlstring(L, node->text, node->text_len);
        lua_setfield(L, -2, "s");
    }
    lua_pushvalue(L, name);                     /* value rec name */
    lua_insert(L, -2);                          /* value name rec */
    lua_rawset(L, y->anchors);                  /* value */
}

/* --- scalars ---------------------------------------------------------------- */

/* Checks a node's tag against its kind; an error names the tag. Returns the
 * core type ("int", "seq"...), "" for none or "!", or NULL when unusable. */
static const char *yload_check_tag(struct yload *y, const char *tag, enum yload_kind kind, yaml_mark_t mark)
{
    static const char *const scalars[] = {"str", "int", "float", "bool", "null", NULL};
    size_t n = strlen(YLOAD_CORE);
    const char *type;
    if (!tag || strcmp(tag, "!") == 0)
        return "";
    type = tag + n;
    if (strncmp(tag, YLOAD_CORE, n) == 0
        && (yscalar_is(type, strlen(type), scalars) || strcmp(type, "seq") == 0 || strcmp(type, "map") == 0)) {
        int fits = kind == YLOAD_SCALAR ? yscalar_is(type, strlen(type), scalars)
                                        : strcmp(type, kind == YLOAD_SEQ ? "seq" : "map") == 0;
        if (fits)
            return type;
        yload_error(y, mark, "the tag %s does not apply to a %s", yload_push_tag(y->L, tag), yload_kind_names[kind]);
    } else {
        yload_error(y, mark, "the tag %s is not supported", yload_push_tag(y->L, tag));
    }
    lua_pop(y->L, 1);
    return NULL;
}

static void yload_scalar(struct yload *y, struct yload_node *node)
{
    lua_State *L = y->L;
    yaml_event_t *ev = &y->p->event;
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *type = yload_check_tag(y, (const char *)ev->data.scalar.tag, YLOAD_SCALAR, node->mark);
    node->text = s;
    node->text_len = len;
    if (!yload_count(y, 1, node->mark)) {
        lua_pushnil(L);
        return;
    }
    if (!type) {
        lua_pushlstring(L, s, len);
    } else if (*type) {
        if (!yscalar_tagged(L, type, s, len)) {
            yload_error(y, node->mark, "'%s' is not a valid !!%s", yload_push_shown(L, s, len), type);
            lua_pop(L, 1);
            lua_pushlstring(L, s, len);
        }
    } else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag) {
        yscalar_resolve(L, s, len);
    } else {
        lua_pushlstring(L, s, len);
    }
    if (ev->data.scalar.anchor) {
        lua_pushstring(L, (const char *)ev->data.scalar.anchor);   /* value name */
        lua_insert(L, -2);                                          /* name value */
        yload_anchor(y, lua_absindex(L, -2), 1, node);
        lua_remove(L, -2);                                          /* value */
    }
}

/* --- aliases ---------------------------------------------------------------- */

/* Pushes a deep copy of the value at idx. A copied table shares its
 * original's marks record. Depth is bounded by the caller. */
static void yload_copy(struct yload *y, int idx)
{
    lua_State *L = y->L;
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx)) {
        lua_pushvalue(L, idx);
        return;
    }
    luaL_checkstack(L, 8, "hh.yaml: nesting too deep");
    lua_createtable(L, (int)lua_rawlen(L, idx), 0);   /* copy */
    lua_pushnil(L);
    while (lua_next(L, idx)) {                         /* copy key value */
        yload_copy(y, -1);                             /* copy key value value' */
        lua_remove(L, -2);                             /* copy key value' */
        lua_pushvalue(L, -2);
        lua_insert(L, -2);                             /* copy key key value' */
        lua_rawset(L, -4);                             /* copy key */
    }
    lua_pushvalue(L, -1);
    lua_pushvalue(L, idx);
    lua_rawget(L, y->marks);                           /* copy copy record */
    lua_rawset(L, y->marks);                           /* copy */
}

static void yload_alias(struct yload *y, int depth, struct yload_node *node)
{
    lua_State *L = y->L;
    const char *name = (const char *)y->p->event.data.alias.anchor;
    int t = lua_getfield(L, y->anchors, name);        /* rec */
    if (t != LUA_TTABLE) {
        if (t == LUA_TNIL)
            yload_error(y, node->mark, "found undefined alias *%s", yload_push_shown(L, name, strlen(name)));
        else
            yload_error(y, node->mark, "the alias *%s is inside the node it names",
                        yload_push_shown(L, name, strlen(name)));
        lua_pop(L, 2);
        yload_count(y, 1, node->mark);
        yload_push_null(L);
        return;
    }
    lua_getfield(L, -1, "n");
    lua_getfield(L, -2, "h");                          /* rec n h */
    node->height = (int)lua_tointeger(L, -1);
    y->aliased = 1;
    if (!yload_count(y, lua_tointeger(L, -2), node->mark)) {
        lua_pop(L, 3);
        lua_pushnil(L);
        return;
    }
    if (depth + node->height > y->lim->max_depth) {
        yload_fatal(y, node->mark, "nesting deeper than %I levels", y->lim->max_depth);
        lua_pop(L, 3);
        lua_pushnil(L);
        return;
    }
    lua_pop(L, 2);
    if (lua_getfield(L, -1, "s") == LUA_TSTRING)       /* rec s */
        node->text = lua_tolstring(L, -1, &node->text_len);   /* anchored by rec, below */
    lua_getfield(L, -2, "v");                          /* rec s v */
    yload_copy(y, -1);                                 /* rec s v copy */
    lua_replace(L, -4);                                /* copy s v */
    lua_pop(L, 2);                                     /* copy */
}

/* --- collections ------------------------------------------------------------ */

/* A key's value as YAML compares keys (null and ~ are one key, 1 and 01
 * too, 1 and "1" are not), as a string, pushed. */
static void yload_push_identity(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER: {
        lua_Number v = lua_tonumber(L, idx);
        if (lua_isinteger(L, idx))
            lua_pushfstring(L, "n%I", (LUAI_UACINT)lua_tointeger(L, idx));
        else if (v > -9.2e18 && v < 9.2e18 && v == floor(v)) /* 1.0 is 1; cast only what fits */
            lua_pushfstring(L, "n%I", (LUAI_UACINT)(lua_Integer)v);
        else
            lua_pushfstring(L, "n%f", v);
        break;
    }
    case LUA_TBOOLEAN: lua_pushstring(L, lua_toboolean(L, idx) ? "btrue" : "bfalse"); break;
    case LUA_TLIGHTUSERDATA: lua_pushliteral(L, "null"); break;
    default: lua_pushfstring(L, "s%s", lua_tostring(L, idx) ? lua_tostring(L, idx) : ""); break;
    }
}

/* The key of a mapping entry, from the current event: pushes the key string
 * when it can be stored, else nil (an error was recorded). Keys are stored by
 * their text; two keys are one when their text or their value is the same. */
static void yload_key(struct yload *y, int depth, int keys, int ids, struct yload_node *kn)
{
    lua_State *L = y->L;
    yaml_event_t *ev = &y->p->event;
    int merge = ev->type == YAML_SCALAR_EVENT && !ev->data.scalar.tag
                && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.length == 2
                && memcmp(ev->data.scalar.value, "<<", 2) == 0;
    lua_Integer first;
    yload_value(y, depth, kn);                         /* keyvalue */
    int same_value = 0;
    if (kn->text && !y->stop) {                        /* keyvalue identity */
        yload_push_identity(L, -1);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, ids) == LUA_TTABLE) {        /* keyvalue identity earlier */
            same_value = 1;
            lua_replace(L, -2);                        /* keyvalue earlier */
        } else {
            lua_pop(L, 1);
            lua_createtable(L, 0, 2);                  /* keyvalue identity rec */
            lua_pushlstring(L, kn->text, kn->text_len);
            lua_setfield(L, -2, "text");
            lua_pushinteger(L, yload_line(kn->mark));
            lua_setfield(L, -2, "line");
            lua_rawset(L, ids);                        /* keyvalue */
            lua_pushnil(L);                            /* keyvalue nil */
        }
        lua_insert(L, -2);                             /* earlier|nil keyvalue */
    }
    if (!kn->text && lua_istable(L, -1) && !y->stop) {
        lua_rawget(L, y->marks);
        lua_getfield(L, -1, "kind");                   /* record kind */
        yload_error(y, kn->mark, "a mapping key must be a scalar, not a %s",
                    strcmp(lua_tostring(L, -1), "map") == 0 ? "mapping" : "sequence");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);                                     /* earlier|nil when the key has text */
    if (y->stop || !kn->text) {                        /* an alias error is already recorded */
        lua_pushnil(L);
        return;
    }
    int earlier = lua_gettop(L);                       /* the key of the same value met before, or nil */
    if (merge) {
        yload_error(y, kn->mark, "merge keys (<<) are not supported: share settings with defaults: (fields every "
                    "job gets) or a base file named by extends: (its vars, defaults and extra merge key by key)");
        lua_settop(L, earlier - 1);
        lua_pushnil(L);
        return;
    }
    /* The first entry stands; the document is still whole, so the recipe's
     * other problems can be found too. */
    int before = y->nerrors;
    lua_pushlstring(L, kn->text, kn->text_len);        /* earlier key */
    lua_pushvalue(L, -1);
    if (lua_rawget(L, keys) != LUA_TTABLE) {           /* earlier key nil */
        lua_pop(L, 1);
        if (lua_isnil(L, earlier)) {
            lua_remove(L, earlier);                    /* key */
            return;
        }
        /* Another text of the same value: null and ~, 1 and 01. */
        lua_getfield(L, earlier, "text");
        size_t len;
        const char *text = lua_tolstring(L, -1, &len);
        lua_getfield(L, earlier, "line");
        first = lua_tointeger(L, -1);
        const char *now = yload_push_shown(L, kn->text, kn->text_len);
        yload_error(y, kn->mark, "duplicate key '%s' (the same value as '%s' at line %I)", now,
                    yload_push_shown(L, text, len), first);
    } else {
        lua_getfield(L, -1, "line");                   /* earlier key first line */
        first = lua_tointeger(L, -1);
        yload_error(y, kn->mark, "duplicate key '%s' (first at line %I%s)", yload_push_shown(L, kn->text, kn->text_len),
                    first, same_value ? "" : "; hh reads keys as names, so a quoted and a plain one of the same text are one key");
    }
    y->nkept += y->nerrors - before;
    lua_settop(L, earlier - 1);
    lua_pushnil(L);
}

/* Reads a mapping's entries into the table at t (events up to MAPPING-END). */
static int yload_entries(struct yload *y, int depth, int t, int rec)
{
    lua_State *L = y->L;
    int height = 0, n = 0, order, keys, top = lua_gettop(L);
    lua_createtable(L, 0, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, rec, "order");
    order = lua_gettop(L);
    lua_createtable(L, 0, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, rec, "keys");
    keys = lua_gettop(L);
    lua_createtable(L, 0, 0);                          /* the keys by value */
    int ids = lua_gettop(L);
    while (yload_next(y) && y->p->event.type != YAML_MAPPING_END_EVENT) {
        struct yload_node kn = {0}, vn = {0};
        yload_key(y, depth, keys, ids, &kn);           /* key|nil */
        if (!yload_next(y))
            break;
        yload_value(y, depth, &vn);                    /* key|nil value */
        if (y->stop)
            break;
        if (vn.height > height)
            height = vn.height;
        if (lua_isnil(L, -2)) {
            lua_pop(L, 2);
            continue;
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);                             /* key key value */
        lua_rawset(L, t);                              /* key */
        yload_push_pos(y, kn.mark);                    /* key pos */
        yload_set_int(L, "vline", yload_line(vn.mark));
        yload_set_int(L, "vcol", yload_col(vn.mark));
        lua_pushvalue(L, -2);
        lua_insert(L, -2);                             /* key key pos */
        lua_rawset(L, keys);                           /* key */
        lua_rawseti(L, order, ++n);
    }
    lua_settop(L, top);
    return height;
}

/* Reads a sequence's items into the table at t (events up to SEQUENCE-END). */
static int yload_items(struct yload *y, int depth, int t, int rec)
{
    lua_State *L = y->L;
    int height = 0, items, top = lua_gettop(L);
    lua_Integer n = 0;
    lua_createtable(L, 0, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, rec, "items");
    items = lua_gettop(L);
    while (yload_next(y) && y->p->event.type != YAML_SEQUENCE_END_EVENT) {
        struct yload_node vn = {0};
        yload_value(y, depth, &vn);                    /* value */
        if (y->stop)
            break;
        if (vn.height > height)
            height = vn.height;
        lua_rawseti(L, t, ++n);
        yload_push_pos(y, vn.mark);
        lua_rawseti(L, items, n);
    }
    lua_settop(L, top);
    return height;
}

static void yload_collection(struct yload *y, int depth, struct yload_node *node)
{
    lua_State *L = y->L;
    yaml_event_t *ev = &y->p->event;
    int is_map = ev->type == YAML_MAPPING_START_EVENT;
    const char *anchor = (const char *)(is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor);
    const char *tag = (const char *)(is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
    lua_Integer first = y->nodes;
    int base = lua_gettop(L), t, rec;
    luaL_checkstack(L, 12, "hh.yaml: nesting too deep");
    if (depth + 1 > y->lim->max_depth) {
        yload_fatal(y, node->mark, "nesting deeper than %I levels", y->lim->max_depth);
        lua_pushnil(L);
        return;
    }
    yload_check_tag(y, tag, is_map ? YLOAD_MAP : YLOAD_SEQ, node->mark);
    if (!yload_count(y, 1, node->mark)) {
        lua_pushnil(L);
        return;
    }
    if (anchor) {
        lua_pushstring(L, anchor);
        lua_pushvalue(L, -1);
        lua_pushboolean(L, 0);                         /* name name false: being built */
        lua_rawset(L, y->anchors);
    } else {
        lua_pushnil(L);
    }                                                  /* name|nil */
    lua_createtable(L, 0, 0);
    t = lua_gettop(L);
    lua_createtable(L, 0, 6);
    rec = lua_gettop(L);                               /* name t rec */
    lua_pushstring(L, is_map ? "map" : "seq");
    lua_setfield(L, rec, "kind");
    yload_set_int(L, "line", yload_line(node->mark));
    yload_set_int(L, "col", yload_col(node->mark));
    lua_pushvalue(L, t);
    lua_pushvalue(L, rec);
    lua_rawset(L, y->marks);
    node->height = 1 + (is_map ? yload_entries(y, depth + 1, t, rec) : yload_items(y, depth + 1, t, rec));
    lua_settop(L, t);                                  /* name t */
    if (anchor && !y->stop)
        yload_anchor(y, base + 1, y->nodes - first, node);
    lua_replace(L, base + 1);
    lua_settop(L, base + 1);                           /* t */
}

/* Pushes the node of the current event (nil after a fatal error). depth is
 * the number of collections around it. */
static void yload_value(struct yload *y, int depth, struct yload_node *node)
{
    yaml_event_t *ev = &y->p->event;
    node->mark = ev->start_mark;
    node->height = 0;
    node->text = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        yload_scalar(y, node);
        break;
    case YAML_ALIAS_EVENT:
        yload_alias(y, depth, node);
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        yload_collection(y, depth, node);
        break;
    default:
        yload_fatal(y, node->mark, "unexpected YAML event %d", (int)ev->type);
        lua_pushnil(y->L);
        break;
    }
}

/* --- the document ------------------------------------------------------------ */

int yload_load(lua_State *L, const char *text, size_t len, const char *name, const struct yload_limits *lim)
{
    struct yload y = {0};
    struct yload_node root = {0};
    int base = lua_gettop(L);
    y.L = L;
    y.name = name;
    y.text = text;
    y.len = len;
    y.lim = lim;
    luaL_checkstack(L, 16, "hh.yaml: no stack space");
    if ((lua_Integer)len > lim->max_bytes || len > (size_t)LUA_MAXINTEGER) {
        lua_pushnil(L);
        lua_createtable(L, 1, 0);
        lua_pushfstring(L, "%s: the file is larger than %I bytes", name, lim->max_bytes);
        lua_rawseti(L, -2, 1);
        return 2;
    }
    if (len >= 2 && (memcmp(text, "\xff\xfe", 2) == 0 || memcmp(text, "\xfe\xff", 2) == 0)) {
        lua_pushnil(L);
        lua_createtable(L, 1, 0);
        lua_pushfstring(L, "%s:1:1: the text is UTF-16; only UTF-8 is supported", name);
        lua_rawseti(L, -2, 1);
        return 2;
    }
    lua_createtable(L, 0, 1);
    y.marks = base + 1;
    lua_createtable(L, 0, 0);
    y.errors = base + 2;
    lua_createtable(L, 0, 0);
    y.anchors = base + 3;
    y.p = yload_open(L, text, len);                    /* marks errors anchors parser */
    if (yload_next(&y) && yload_next(&y)) {            /* STREAM-START, then a document or the end */
        if (y.p->event.type == YAML_STREAM_END_EVENT) {
            yload_push_null(L);                        /* an empty stream is null at 1:1 */
        } else if (yload_next(&y)) {
            yload_value(&y, 0, &root);
            if (yload_next(&y) && yload_next(&y) && y.p->event.type == YAML_DOCUMENT_START_EVENT)
                yload_error(&y, y.p->event.start_mark, "only one YAML document is allowed");
        }
    }
    yload_release(y.p);
    lua_settop(L, base + 5);                           /* marks errors anchors parser doc */
    if (y.nerrors > y.nkept) {
        lua_pushnil(L);
        lua_pushvalue(L, y.errors);
        return 2;
    }
    yload_push_pos(&y, root.mark);                      /* ... doc pos */
    if (lua_istable(L, base + 5)) {
        lua_pushvalue(L, base + 5);
        lua_rawget(L, y.marks);
        lua_getfield(L, -1, "kind");
        lua_remove(L, -2);
    } else {
        lua_pushliteral(L, "scalar");
    }
    lua_setfield(L, -2, "kind");
    lua_setfield(L, y.marks, "root");
    lua_pushvalue(L, y.marks);
    if (y.nerrors == 0)
        return 2;
    lua_pushvalue(L, y.errors);                        /* the document, and what was left out of it */
    return 3;
}
