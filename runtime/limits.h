/* limits.h - the allocator and instruction hook that bound untrusted code
 * (limits.c). */
#ifndef HH_LIMITS_H
#define HH_LIMITS_H

#include <lua.h>
#include <signal.h>
#include <stddef.h>

/* Interrupts counted by the signal handler: untrusted code stops at the
 * next check after one (set by main). */
extern volatile sig_atomic_t *limits_interrupts;

/* The Lua state's allocator: counts bytes and refuses growth past the cap
 * of a running session. */
void *limits_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
size_t limits_used(void);
/* Counts `L` against the running session, if there is one. */
void limits_hook_thread(lua_State *L);
/* Adds limit, limit_thread, unlimit and limit_stopped to the table on top. */
void limits_register(lua_State *L);

#endif
