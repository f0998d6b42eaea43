/* limits.c - limits that code hh did not write cannot escape: a counting
 * allocator with a byte cap (set while untrusted code runs), and a count
 * hook that stops it past an instruction budget. The hook is a C hook, so it
 * cannot be removed from Lua, and threads created from a hooked thread
 * inherit it (lua_newthread copies the hook), so a recipe's coroutines are
 * counted too. One session at a time: hh runs one stranger's recipe. */
#include "limits.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Instructions between two checks of the hook. */
#define HOOK_EVERY 1000

volatile sig_atomic_t *limits_interrupts;

static size_t used;            /* bytes the Lua state holds */
static size_t cap;             /* refuse growth past this; 0 none */
static struct {
    int active;
    long long left;            /* instructions still allowed */
    long long instructions;    /* the budget, for messages */
    size_t memory;             /* the byte budget, for messages */
    char stopped[160];         /* why the session was stopped, once it was */
} session;

void *limits_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        used -= old;
        return NULL;
    }
    /* Lua counts on shrinking never failing; only growth is refused. */
    if (cap && nsize > old && used + (nsize - old) > cap) {
        if (!session.stopped[0]) {
            if (session.memory % (1u << 20) == 0)
                snprintf(session.stopped, sizeof session.stopped, "used more than %zu MiB of memory",
                         session.memory >> 20);
            else
                snprintf(session.stopped, sizeof session.stopped, "used more than %zu bytes of memory",
                         session.memory);
        }
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p)
        used = used - old + nsize;
    return p;
}

size_t limits_used(void)
{
    return used;
}

/* Raises the session's stop at the line it interrupted: the recipe's line,
 * not one of the library's own wrappers (string.rep, table.concat) it called. */
static void raise_stop(lua_State *L, lua_Debug *ar)
{
    lua_Debug up;
    for (int level = 0; lua_getstack(L, level, &up); level++)
        if (lua_getinfo(L, "Sl", &up) && up.currentline > 0 && strncmp(up.short_src, "lua/hh/", 7) != 0) {
            lua_pushfstring(L, "%s:%d: %s", up.short_src, up.currentline, session.stopped);
            lua_error(L);
        }
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
        lua_pushfstring(L, "%s:%d: %s", ar->short_src, ar->currentline, session.stopped);
    else
        lua_pushstring(L, session.stopped);
    lua_error(L);
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    if (!session.active) {
        lua_sethook(L, NULL, 0, 0); /* a thread that outlived its session */
        return;
    }
    if (!session.stopped[0] && limits_interrupts && *limits_interrupts > 0)
        snprintf(session.stopped, sizeof session.stopped, "interrupted");
    if (session.stopped[0])
        raise_stop(L, ar); /* a caught stop is raised again */
    session.left -= HOOK_EVERY;
    if (session.left < 0) {
        snprintf(session.stopped, sizeof session.stopped, "ran for more than %lld instructions",
                 session.instructions);
        raise_stop(L, ar);
    }
}

void limits_hook_thread(lua_State *L)
{
    if (session.active)
        lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
}

/* core.limit(instructions, bytes [, thread]): a session starts, counted on
 * `thread` (default: this one) and the threads made from it; memory may grow
 * by `bytes` from now. */
static int l_limit(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    lua_Integer bytes = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n > 0, 1, "instructions must be 1 or more");
    luaL_argcheck(L, bytes > 0, 2, "bytes must be 1 or more");
    lua_State *co = lua_isnoneornil(L, 3) ? L : lua_tothread(L, 3);
    luaL_argcheck(L, co != NULL, 3, "thread expected");
    session.active = 1;
    session.left = session.instructions = n;
    session.memory = (size_t)bytes;
    session.stopped[0] = '\0';
    cap = used + (size_t)bytes;
    limits_hook_thread(co);
    return 0;
}

/* core.limit_thread(co): count that thread too (a coroutine made elsewhere). */
static int l_limit_thread(lua_State *L)
{
    lua_State *co = lua_tothread(L, 1);
    luaL_argcheck(L, co != NULL, 1, "thread expected");
    limits_hook_thread(co);
    return 0;
}

/* core.unlimit() -> why it was stopped, or nil: the session ends. */
static int l_unlimit(lua_State *L)
{
    session.active = 0;
    cap = 0;
    lua_sethook(L, NULL, 0, 0);
    if (session.stopped[0])
        lua_pushstring(L, session.stopped);
    else
        lua_pushnil(L);
    return 1;
}

/* core.limit_stopped() -> why the running session was stopped, or nil. */
static int l_limit_stopped(lua_State *L)
{
    if (session.active && session.stopped[0])
        lua_pushstring(L, session.stopped);
    else
        lua_pushnil(L);
    return 1;
}

/* Lua's matcher backtracks: a pattern with k repeated items (x*, x+, x-,
 * %b) can take about n^(k+1) steps on an n-byte subject, all inside one C
 * call the hook never sees. */
#define PATTERN_STEPS 1e8

static int repeated_items(const char *p, size_t len)
{
    int k = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '%' && i + 1 < len) {
            if (p[i + 1] == 'b')
                k++;
            i++;
        } else if (p[i] == '*' || p[i] == '+' || p[i] == '-') {
            k++;
        }
    }
    return k;
}

/* A string.find/match/gmatch/gsub that refuses, in untrusted code only, a
 * pattern whose backtracking could run for too long on its subject. */
static int guarded_match(lua_State *L)
{
    if (lua_gethook(L) == count_hook && lua_type(L, 1) == LUA_TSTRING && lua_type(L, 2) == LUA_TSTRING) {
        size_t n, plen;
        lua_tolstring(L, 1, &n);
        const char *p = lua_tolstring(L, 2, &plen);
        int k = repeated_items(p, plen);
        double steps = 1;
        for (int i = 0; i <= k && steps <= PATTERN_STEPS; i++)
            steps *= (double)n;
        if (n > 1 && steps > PATTERN_STEPS)
            return luaL_error(L, "%s: the pattern has %d repeated items: on a %I-byte subject it could "
                                 "backtrack for too long (simplify it, or shorten the subject)",
                              lua_tostring(L, lua_upvalueindex(2)), k, (lua_Integer)n);
    }
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* core.guard_patterns(t): t.find, match, gmatch and gsub become guarded. */
static int l_guard_patterns(lua_State *L)
{
    static const char *const names[] = {"find", "match", "gmatch", "gsub"};
    luaL_checktype(L, 1, LUA_TTABLE);
    for (int i = 0; i < 4; i++) {
        lua_getfield(L, 1, names[i]);
        if (lua_tocfunction(L, -1) == guarded_match || !lua_isfunction(L, -1)) {
            lua_pop(L, 1);
            continue;
        }
        lua_pushfstring(L, "string.%s", names[i]);
        lua_pushcclosure(L, guarded_match, 2);
        lua_setfield(L, 1, names[i]);
    }
    return 0;
}

void limits_register(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"guard_patterns", l_guard_patterns},
        {"limit", l_limit},
        {"limit_thread", l_limit_thread},
        {"unlimit", l_unlimit},
        {"limit_stopped", l_limit_stopped},
        {NULL, NULL},
    };
    luaL_setfuncs(L, fns, 0);
}
