/* fuzz_recipe.c - libFuzzer harness for recipes: the bytes are a recipe
 * file, YAML (Lua when they start with "--"), checked the way `hh check`
 * checks one (hh.commands.prepare: hh.recipe_files, hh.recipe, hh.expand),
 * untrusted, so include/exclude expressions and a Lua recipe's chunk run in
 * hh.sandbox under hh's native limits (recipe_instructions set to 20,000,000
 * as a user could, so a busy chunk stops in a second; plans are held to
 * 50,000 cells and jobs instead of a million). The recipe sits
 * beside a base it may extend (shared/studio-defaults.yaml), in a Lua state
 * built as runtime/main.c builds it (limits_alloc, preload.c's libraries,
 * the loop). A bad recipe is a list of problems; an error raised out of
 * the check, a crash, a sanitizer report, a timeout or running out of
 * memory is a finding. A recipe found good must also make jobs hh can send
 * (fuzz_check below). Lines of hh's Lua library run are fed to libFuzzer as
 * extra coverage, so it can steer by the Lua code as well as the C. */
#include <curl/curl.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "limits.h"
#include "loop.h"
#include "preload.h"

/* The plan's limits (hh.expand's, a million cells and jobs) brought down:
 * a plan of the largest size takes a minute under the sanitizers, which is
 * its size, not a finding. */
#define FUZZ_MAX_PLAN 50000

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;
static struct loop lp;
static char dir[512], yaml_path[560], lua_path[560], shared[540], base[600];
static const char *path;   /* this input's file: one of the two */

/* A base beside the recipe, for its extends: (recipes/shared/'s). */
static const char studio_defaults[] =
    "hh: 1\n"
    "defaults: {mode: std, duration: 5, aspect_ratio: \"16:9\", sound: true, cfg_scale: 0.55}\n"
    "vars:\n"
    "  house_style: \"soft natural light, gentle camera movement\"\n"
    "budget: 3000\n"
    "rerun:\n"
    "  - when: [failed, transient]\n"
    "    max: 1\n";

/* --- Lua line coverage ------------------------------------------------------ */

#define COVERAGE 65536
__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t lua_lines[COVERAGE];
static uint32_t previous;

/* A line hook on the main thread: each (chunk, line) pair after the one
 * before it bumps a counter, as edges do for C. */
static void line_hook(lua_State *L1, lua_Debug *ar)
{
    if (!lua_getinfo(L1, "S", ar) || strncmp(ar->source, "@lua/", 5) != 0)
        return;
    uint32_t h = 2166136261u;
    for (const char *s = ar->source + 5; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    h = (h ^ (uint32_t)ar->currentline) * 2654435761u;
    lua_lines[(h ^ previous) % COVERAGE]++;
    previous = h >> 1;
}

/* core.unlimit clears the hook of the thread it ends a session on: this one
 * calls it, then sets the line hook again (a session never runs on the
 * main thread here: expressions run in coroutines of their own). */
static int unlimit_again(lua_State *L1)
{
    lua_pushvalue(L1, lua_upvalueindex(1));
    lua_call(L1, 0, 1);
    lua_sethook(L1, line_hook, LUA_MASKLINE, 0);
    return 1;
}

/* --- the check ---------------------------------------------------------------- */

/* Runs after hh.commands.prepare, with its results: the invariants of a
 * checked recipe. Raises what is wrong. */
static const char fuzz_check[] =
    "local r, jobs, min, worst, problems = ...\n"
    "local core = require('hh.core')\n"
    "assert(type(problems) == 'table', 'no problems table')\n"
    "for _, line in ipairs(problems:render()) do\n"
    "  assert(type(line) == 'string' and line ~= '', 'an empty problem')\n"
    "end\n"
    "for _, p in ipairs(problems) do\n"
    "  assert(type(p.at) == 'string' and type(p.rule) == 'string' and p.rule ~= '', 'a problem without place or rule')\n"
    "end\n"
    "if #problems > 0 then return end\n"
    "assert(r, 'a good recipe without a plan')\n"
    "assert(require('hh.commands').check_line('recipe', r, jobs, min, worst))\n"
    "local grid = 1.0\n"
    "for _, a in ipairs(r.axes) do grid = grid * #a.rows end\n"
    "local expand = require('hh.expand')\n"
    "assert(grid <= expand.MAX_CELLS and #jobs <= expand.MAX_JOBS, 'a good recipe past the limit of cells or jobs')\n"
    "assert(math.type(min) and math.type(worst) and 0 <= min and min <= worst, 'bad costs')\n"
    "for i = 1, math.min(#jobs, 500) do\n"
    "  local job = jobs[i]\n"
    "  local body, err = core.canonical(job.params)\n"
    "  if not body then error('job ' .. i .. ': its request cannot be encoded: ' .. tostring(err)) end\n"
    "  local out = job.output\n"
    "  assert(type(out) == 'string' and out ~= '' and out:sub(1, 1) ~= '/', 'job ' .. i .. ': output ' .. tostring(out))\n"
    "  for part in (out .. '/'):gmatch('([^/]*)/') do\n"
    "    assert(part ~= '' and part ~= '.' and part ~= '..' and not part:find('%c'), 'job ' .. i .. ': output ' .. out)\n"
    "  end\n"
    "end\n";

static int traceback(lua_State *L1)
{
    luaL_traceback(L1, L1, lua_tostring(L1, 1), 1);
    return 1;
}

/* Protected: requires hh.commands, wraps core.unlimit, compiles fuzz_check;
 * leaves commands.prepare and fuzz_check in the registry. */
static int setup(lua_State *L1)
{
    lua_getglobal(L1, "require");
    lua_pushliteral(L1, "hh.core");
    lua_call(L1, 1, 1);                                /* core */
    lua_getfield(L1, -1, "unlimit");
    lua_pushcclosure(L1, unlimit_again, 1);
    lua_setfield(L1, -2, "unlimit");
    lua_getglobal(L1, "require");
    lua_pushliteral(L1, "hh.commands");
    lua_call(L1, 1, 1);                                /* core commands */
    lua_getfield(L1, -2, "configure");                /* core commands configure */
    lua_createtable(L1, 0, 1);
    lua_pushinteger(L1, 20000000);                     /* a busy chunk stops in a second, not in ten */
    lua_setfield(L1, -2, "recipe_instructions");
    lua_call(L1, 1, 0);
    lua_getglobal(L1, "require");
    lua_pushliteral(L1, "hh.expand");
    lua_call(L1, 1, 1);                                /* core commands expand */
    lua_pushinteger(L1, FUZZ_MAX_PLAN);
    lua_setfield(L1, -2, "MAX_CELLS");
    lua_pushinteger(L1, FUZZ_MAX_PLAN);
    lua_setfield(L1, -2, "MAX_JOBS");
    lua_pop(L1, 1);
    lua_getfield(L1, -1, "prepare");
    lua_setfield(L1, LUA_REGISTRYINDEX, "fuzz.prepare");
    lua_getfield(L1, -1, "collect_again");
    lua_setfield(L1, LUA_REGISTRYINDEX, "fuzz.collect_again");
    if (luaL_loadbufferx(L1, fuzz_check, sizeof fuzz_check - 1, "=fuzz_check", "t") != LUA_OK)
        return lua_error(L1);
    lua_setfield(L1, LUA_REGISTRYINDEX, "fuzz.check");
    return 0;
}

/* Protected: prepare(path, opts) as hh check calls it, then fuzz_check. */
static int check_recipe(lua_State *L1)
{
    lua_getfield(L1, LUA_REGISTRYINDEX, "fuzz.check");
    lua_getfield(L1, LUA_REGISTRYINDEX, "fuzz.prepare");
    lua_pushstring(L1, path);
    lua_createtable(L1, 0, 3);
    lua_createtable(L1, 0, 0);
    lua_setfield(L1, -2, "sets");
    lua_pushboolean(L1, 0);
    lua_setfield(L1, -2, "trust");
    lua_pushboolean(L1, 0);
    lua_setfield(L1, -2, "ids");
    lua_call(L1, 2, 5);                                /* check r jobs min worst problems */
    lua_call(L1, 5, 0);
    lua_getfield(L1, LUA_REGISTRYINDEX, "fuzz.collect_again");
    lua_call(L1, 0, 0);
    return 0;
}

static void remove_dir(void)
{
    unlink(yaml_path);
    unlink(lua_path);
    unlink(base);
    rmdir(shared);
    rmdir(dir);
}

static void write_file(const char *name, const void *data, size_t size)
{
    FILE *f = fopen(name, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror(name);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/hh-fuzz-recipe.XXXXXX", tmp && *tmp && strlen(tmp) < 400 ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("fuzz_recipe: mkdtemp");
        abort();
    }
    snprintf(yaml_path, sizeof yaml_path, "%s/recipe.yaml", dir);
    snprintf(lua_path, sizeof lua_path, "%s/recipe.lua", dir);
    snprintf(shared, sizeof shared, "%s/shared", dir);
    snprintf(base, sizeof base, "%s/studio-defaults.yaml", shared);
    atexit(remove_dir);
    if (mkdir(shared, 0700) != 0)
        abort();
    write_file(base, studio_defaults, sizeof studio_defaults - 1);
    unsetenv("HH_SETTINGS");
    unsetenv("HH_LUA_PATH");
    unsetenv("HH_TRACE");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        abort();
    L = lua_newstate(limits_alloc, NULL);
    limits_interrupts = &loop_signals;
    if (!L || loop_init(&lp, L) != 0)
        abort();
    lua_gc(L, LUA_GCINC, 120, 300, 0);
    lua_pushcfunction(L, traceback);
    lua_pushcfunction(L, preload_install);
    lua_pushlightuserdata(L, &lp);
    if (lua_pcall(L, 1, 0, 1) != LUA_OK) {
        fprintf(stderr, "fuzz_recipe: %s\n", lua_tostring(L, -1));
        abort();
    }
    lua_pushcfunction(L, setup);
    if (lua_pcall(L, 0, 0, 1) != LUA_OK) {
        fprintf(stderr, "fuzz_recipe: %s\n", lua_tostring(L, -1));
        abort();
    }
    lua_settop(L, 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int lua = size >= 2 && data[0] == '-' && data[1] == '-';
    path = lua ? lua_path : yaml_path;
    unlink(lua ? yaml_path : lua_path);
    write_file(path, data, size);
    previous = 0;
    lua_sethook(L, line_hook, LUA_MASKLINE, 0);
    lua_pushcfunction(L, traceback);
    lua_pushcfunction(L, check_recipe);
    if (lua_pcall(L, 0, 0, 1) != LUA_OK) {
        fprintf(stderr, "fuzz_recipe: hh check raised: %s\n", lua_tostring(L, -1));
        abort();
    }
    lua_sethook(L, NULL, 0, 0);
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
    return 0;
}
