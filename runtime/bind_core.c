/* bind_core.c - the native module "hh.core": registers hh.generate,
 * hh.status (bind_task.c) and hh.wait (bind_wait.c), and holds the small
 * primitives around them: running the loop, spawn, park/wake, sleep, the
 * clock, configuration, counters, versions, hashes and table merging. */
#include <lauxlib.h>
#include <lua.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <yaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bind.h"
#include "bind_task.h"
#include "canonical_json.h"
#include "limits.h"
#include "loop.h"
#include "version.h"
#include "visible.h"
#include "xfer.h"

/* --- jobs, time, configuration ------------------------------------------- */

static int l_run(lua_State *L)
{
    struct loop *lp = task_loop(L);
    if (loop_job(L))
        return luaL_error(L, "hh.core.run: already running");
    luaL_checktype(L, 1, LUA_TFUNCTION);
    loop_spawn(lp, L, lua_gettop(L) - 1);
    int rc = loop_run(lp);
    lua_pushinteger(L, lp->failed_jobs);
    lua_pushboolean(L, rc < 0 && lp->interrupted >= 2);
    lua_pushinteger(L, lp->interrupted);
    lua_pushinteger(L, lp->signal_number);
    return 4;
}

static int l_spawn(lua_State *L)
{
    struct loop *lp = task_loop(L);
    luaL_checktype(L, 1, LUA_TFUNCTION);
    struct job *job = loop_spawn(lp, L, lua_gettop(L) - 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, job->ref);
    return 1;
}

static int l_park(lua_State *L)
{
    struct loop *lp = task_loop(L);
    struct job *job = task_require_job(L, "hh.core.park");
    job->token++;
    job->state = JOB_PARKED;
    lp->parked_jobs++;
    return lua_yield(L, 0);
}

static int l_wake(lua_State *L)
{
    struct loop *lp = task_loop(L);
    lua_State *co = lua_tothread(L, 1);
    luaL_argcheck(L, co != NULL, 1, "coroutine expected");
    struct job *job = loop_job(co);
    if (job && job->state == JOB_PARKED)
        loop_ready(lp, job);
    return 0;
}

static int sleep_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)L;
    (void)status;
    (void)ctx;
    return 0;
}

static int l_sleep(lua_State *L)
{
    struct loop *lp = task_loop(L);
    struct job *job = task_require_job(L, "hh.sleep");
    double s = luaL_checknumber(L, 1);
    luaL_argcheck(L, s >= 0 && s == s, 1, "seconds must be 0 or more");
    job->token++;
    loop_wake_at(lp, job, timer_now() + s);
    return lua_yieldk(L, 0, 0, sleep_k);
}

static int l_now(lua_State *L)
{
    lua_pushnumber(L, timer_now());
    return 1;
}

/* Wall-clock seconds with their fraction, for the journal's timestamps. */
static int l_wall(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
    return 1;
}

/* core.observe(kind, seconds): a render time seen in an earlier run. */
static int l_observe(lua_State *L)
{
    poll_observe(task_loop(L)->poll, luaL_checkstring(L, 1), luaL_checknumber(L, 2));
    return 0;
}

static int l_job_failed(lua_State *L)
{
    task_loop(L)->failed_jobs++;
    return 0;
}

static int l_stopped(lua_State *L)
{
    struct loop *lp = task_loop(L);
    if (!lp->stop_submissions)
        return 0;
    lua_pushstring(L, lp->stop_reason);
    lua_pushboolean(L, lp->interrupted > 0);
    return 2;
}

static int l_stop(lua_State *L)
{
    loop_stop_submissions(task_loop(L), luaL_checkstring(L, 1));
    return 0;
}

static int l_check_key(lua_State *L)
{
    char err[512];
    if (loop_api_key(task_loop(L), err, sizeof err)) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushnil(L);
    lua_pushstring(L, err);
    return 2;
}

static int sha256_hex(const char *data, size_t len, char hex[65]);

/* A name for the key that cannot give the key back: a team store counts
 * spending and shares the rate limit per key without ever holding it. */
static int l_key_id(lua_State *L)
{
    char err[512];
    struct loop *lp = task_loop(L);
    const char *key = loop_api_key(lp, err, sizeof err);
    if (!key) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    static const char salt[] = "hh key id\n";
    size_t klen = strlen(key), slen = sizeof salt - 1;
    char *buf = malloc(slen + klen);
    if (!buf)
        return luaL_error(L, "out of memory");
    memcpy(buf, salt, slen);
    memcpy(buf + slen, key, klen);
    char hex[65];
    int ok = sha256_hex(buf, slen + klen, hex);
    memset(buf, 0, slen + klen);
    free(buf);
    if (!ok)
        return luaL_error(L, "sha256 failed");
    char id[20];
    snprintf(id, sizeof id, "key-%.12s", hex);
    lua_pushstring(L, id);
    return 1;
}

static int l_stats(lua_State *L)
{
    struct loop *lp = task_loop(L);
    lua_createtable(L, 0, 8);
    lua_pushinteger(L, lp->requests[XFER_SUBMIT]);
    lua_setfield(L, -2, "submit_requests");
    lua_pushinteger(L, lp->requests[XFER_API]);
    lua_setfield(L, -2, "status_requests");
    lua_pushinteger(L, lp->requests[XFER_DOWNLOAD]);
    lua_setfield(L, -2, "download_requests");
    lua_pushinteger(L, lp->retries);
    lua_setfield(L, -2, "retries");
    lua_pushinteger(L, (lua_Integer)lp->active);
    lua_setfield(L, -2, "active");
    lua_pushinteger(L, (lua_Integer)lp->live_jobs);
    lua_setfield(L, -2, "jobs");
    lua_pushnumber(L, lp->rate.rate);
    lua_setfield(L, -2, "rate");
    lua_pushnumber(L, lp->max_stall);
    lua_setfield(L, -2, "max_stall");
    lua_pushnumber(L, lp->max_stall_at);
    lua_setfield(L, -2, "max_stall_at");
    lua_pushinteger(L, lp->long_stalls);
    lua_setfield(L, -2, "long_stalls");
    lua_pushnumber(L, lp->max_stall_procs);
    lua_setfield(L, -2, "max_stall_procs");
    lua_pushnumber(L, lp->max_procs_work);
    lua_setfield(L, -2, "max_procs_work");
    return 1;
}

static int l_poll_model(lua_State *L)
{
    struct loop *lp = task_loop(L);
    double median, sigma;
    int n = poll_samples(lp->poll, luaL_checkstring(L, 1), &median, &sigma);
    lua_pushinteger(L, n);
    lua_pushnumber(L, median);
    lua_pushnumber(L, sigma);
    return 3;
}

static int l_versions(lua_State *L)
{
    lua_createtable(L, 0, 5);
    lua_pushstring(L, HH_VERSION);
    lua_setfield(L, -2, "hh");
    lua_pushstring(L, LUA_RELEASE);
    lua_setfield(L, -2, "lua");
    lua_pushstring(L, curl_version_info(CURLVERSION_NOW)->version);
    lua_setfield(L, -2, "libcurl");
    lua_pushstring(L, yaml_get_version_string());
    lua_setfield(L, -2, "libyaml");
    lua_pushstring(L, sqlite3_libversion());
    lua_setfield(L, -2, "sqlite");
    return 1;
}

/* SHA-256 as lowercase hex, into hex[65]; 0 on failure. */
static int sha256_hex(const char *data, size_t len, char hex[65])
{
    /* Fetched once: OpenSSL 3 looks the algorithm up on every EVP_sha256(). */
    static EVP_MD *sha256;
    static EVP_MD_CTX *ctx;
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (!sha256)
        sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!ctx)
        ctx = EVP_MD_CTX_new();
    if (!sha256 || !ctx || !EVP_DigestInit_ex(ctx, sha256, NULL) || !EVP_DigestUpdate(ctx, data, len) ||
        !EVP_DigestFinal_ex(ctx, md, &mdlen))
        return 0;
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = 0;
    return 1;
}

static int l_sha256(lua_State *L)
{
    size_t len;
    const char *data = luaL_checklstring(L, 1, &len);
    char hex[65];
    if (!sha256_hex(data, len, hex))
        return luaL_error(L, "sha256 failed");
    lua_pushlstring(L, hex, 64);
    return 1;
}

/* core.digest(prefix, n, ...) -> prefix .. the first n hex digits of the
 * SHA-256 of the other arguments joined (strings as they are, anything else
 * as canonical JSON); or nil and a message. Job and cell ids, one call each. */
static int l_digest(lua_State *L)
{
    size_t prefix_len, len;
    const char *prefix = luaL_checklstring(L, 1, &prefix_len);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, prefix_len <= 64, 1, "at most 64 bytes");
    luaL_argcheck(L, n >= 1 && n <= 64, 2, "1 to 64 hex digits");
    const char *err;
    const char *bytes = canonical_join(L, 3, lua_gettop(L), &len, &err);
    if (!bytes) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    char id[64 + 65];
    if (!sha256_hex(bytes, len, id + prefix_len))
        return luaL_error(L, "sha256 failed");
    memcpy(id, prefix, prefix_len);
    lua_pushlstring(L, id, prefix_len + (size_t)n);
    return 1;
}

/* Random hex from the kernel, for per-run nonces. */
static int l_random_hex(lua_State *L)
{
    int n = (int)luaL_optinteger(L, 1, 16);
    luaL_argcheck(L, n > 0 && n <= 64, 1, "1 to 64 bytes");
    unsigned char buf[64];
    char hex[129];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(buf, 1, (size_t)n, f) : 0;
    if (f)
        fclose(f);
    if (got != (size_t)n)
        for (int i = 0; i < n; i++)
            buf[i] = (unsigned char)(retry_random() >> 24);
    for (int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", buf[i]);
    lua_pushlstring(L, hex, (size_t)(2 * n));
    return 1;
}

/* core.merge(t1, t2, ...) -> a new table with the keys of every table
 * argument, later ones winning; nil arguments are skipped. Sized once:
 * building a job's request from recipe, cell and variant this way is several
 * times cheaper than copying key by key in Lua, which regrows the table. */
static int l_merge(lua_State *L)
{
    int n = lua_gettop(L);
    int keys = 0;
    for (int i = 1; i <= n; i++) {
        if (lua_isnil(L, i))
            continue;
        luaL_checktype(L, i, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, i)) {
            lua_pop(L, 1);
            keys++;
        }
    }
    lua_createtable(L, 0, keys);
    for (int i = 1; i <= n; i++) {
        if (lua_isnil(L, i))
            continue;
        lua_pushnil(L);
        while (lua_next(L, i)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, n + 1);
        }
    }
    return 1;
}

/* core.canonical(value) -> canonical JSON text, or nil and a message. */
static int l_canonical(lua_State *L)
{
    luaL_checkany(L, 1);
    return canonical_json(L, 1);
}

static const luaL_Reg core_functions[] = {
    {"canonical", l_canonical},
    {"visible", visible_lua},
    {"versions", l_versions},
    {"sha256", l_sha256},
    {"digest", l_digest},
    {"merge", l_merge},
    {"random_hex", l_random_hex},
    {"generate", task_generate},
    {"key_id", l_key_id},
    {"status", task_status},
    {"run", l_run},
    {"spawn", l_spawn},
    {"park", l_park},
    {"wake", l_wake},
    {"sleep", l_sleep},
    {"now", l_now},
    {"wall", l_wall},
    {"observe", l_observe},
    {"set_profile", task_set_profile},
    {"configure", bind_configure},
    {"job_failed", l_job_failed},
    {"stopped", l_stopped},
    {"stop", l_stop},
    {"check_key", l_check_key},
    {"stats", l_stats},
    {"poll_model", l_poll_model},
    {NULL, NULL},
};

int luaopen_hh_core(lua_State *L)
{
    struct loop *lp = lua_touserdata(L, lua_upvalueindex(1));
    luaL_newlibtable(L, core_functions);
    lua_pushlightuserdata(L, lp);
    luaL_setfuncs(L, core_functions, 1);
    limits_register(L);
    wait_register(L, lp);
    proc_register(L, lp);
    return 1;
}
