-- hh.sandbox: environments for code hh did not write. A `when:` condition is
-- one Lua expression run in a fresh allow-listed environment, on a copy of
-- its variables, under an instruction and a memory limit; a Lua recipe runs
-- in an allow-listed environment (the full one when trusted) with files
-- confined to the run directory. Only text is loaded, never bytecode. Relies
-- on debug.sethook for the limits and on hh.fs to refuse symbolic links.

local fs = require("hh.fs")

local sandbox = {}

local MiB = 1024 * 1024

-- s:rep(n) and string.rep refuse results larger than this (bytes).
sandbox.max_string = 64 * MiB

-- Limits of one expression evaluation (a limits table may also set `every`,
-- the instructions between checks).
sandbox.default_limits = { instructions = 1000000, memory = 64 * MiB }

-- The real functions, before anyone can change the globals.
local string_rep, table_concat = string.rep, table.concat
local co_create, co_resume, co_close, co_status = coroutine.create, coroutine.resume, coroutine.close, coroutine.status
local sethook, raw_getmetatable = debug.sethook, debug.getmetatable
local real_getmetatable, real_setmetatable = getmetatable, setmetatable
local real_pcall, real_xpcall, real_next = pcall, xpcall, next

local function copy_table(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function size_text(n)
  if n >= MiB and n % MiB == 0 then return ("%.0f MiB"):format(n / MiB) end
  return ("%.0f bytes"):format(n)
end

local function too_large(what, size)
  error(("%s: result would be %.0f bytes, more than the %s allowed"):format(
    what, size, size_text(sandbox.max_string)), 3)
end

-- Length of a string or number argument as string functions see it; 0 for
-- anything else (the real function then raises its own argument error).
local function arg_len(v)
  if type(v) == "string" then return #v end
  if type(v) == "number" then return #tostring(v) end
  return 0
end

-- string.rep that refuses a huge result before making it (and returns ""
-- at once for ("").rep(s, 2^60), which Lua would loop over in C).
local function safe_rep(s, n, sep)
  if type(n) == "number" and n > 1 and (type(s) == "string" or type(s) == "number") then
    local size = arg_len(s) * n + arg_len(sep) * (n - 1)
    if size > sandbox.max_string then too_large("string.rep", size) end
    if size == 0 and (sep == nil or type(sep) == "string") then return "" end
  end
  return string_rep(s, n, sep)
end

-- table.concat that adds up the result's size first.
local function safe_concat(list, sep, i, j)
  if type(list) == "table" then
    local first, last = tonumber(i) or 1, tonumber(j) or #list
    local size, step = 0, arg_len(sep)
    for k = first, last do
      local v = list[k]
      if type(v) ~= "string" and type(v) ~= "number" then break end
      size = size + arg_len(v) + step
      if size > sandbox.max_string then too_large("table.concat", size) end
    end
  end
  return table_concat(list, sep, i, j)
end

local function no_dump()
  error("string.dump is not available", 2)
end

-- String methods ("abc"):upper() look in the string metatable's __index.
-- It becomes a table of its own that refuses dump and caps rep and falls
-- back to `string`, so methods a script adds to `string` still work.
-- find, match, gmatch and gsub refuse, in untrusted code only, a pattern
-- that could backtrack for too long (core.guard_patterns: the count hook
-- cannot see inside one C call).
local core = require("hh.core")
local function protect_string_methods()
  local mt = real_getmetatable("")
  local methods = real_setmetatable({ rep = safe_rep, dump = no_dump }, { __index = string })
  core.guard_patterns(methods)
  mt.__index = methods
end
protect_string_methods()

local safe_string = copy_table(string)
safe_string.dump = nil
safe_string.rep = safe_rep
core.guard_patterns(safe_string)

-- Limits of a Lua recipe's own code: its chunk (in check, plan and run) and
-- its after() (in run), each counted as a whole, the coroutines it makes
-- included: the settings recipe_instructions (500,000,000) and
-- recipe_memory (256 MiB), which only the user sets (HH_SETTINGS). --trust
-- lifts them.
local function recipe_limits()
  local c = core.configure()
  return math.floor(c.recipe_instructions), math.floor(c.recipe_memory)
end

-- Limits ------------------------------------------------------------------

local LIMIT_NAMES = { instructions = true, memory = true, every = true }

-- limits with the defaults filled in; raises a message on a bad one.
local function check_limits(limits)
  if limits == nil then return sandbox.default_limits end
  if type(limits) ~= "table" then error("limits must be a table", 0) end
  local l = {}
  for k, v in pairs(sandbox.default_limits) do l[k] = v end
  for k, v in pairs(limits) do
    if not LIMIT_NAMES[k] then error(("limits: unknown limit '%s'"):format(tostring(k)), 0) end
    if type(v) ~= "number" or not (v >= 1) then
      error(("limits: %s must be a number of 1 or more"):format(k), 0)
    end
    l[k] = v
  end
  return l
end

-- A limit state: what check() counts against.
local function new_state(l, every, state)
  if not state then
    return { count = 0, every = every, base = collectgarbage("count"),
             instructions = l.instructions, memory = l.memory }
  end
  state.count, state.every, state.base = 0, every, collectgarbage("count")
  state.instructions, state.memory = l.instructions, l.memory
  return state
end

local function stop(s, message)
  s.stopped = message
  error(message, 4)
end

-- One check, called by a hook: raises (at the interrupted function) past a
-- limit, and again at every later check.
local function check(s)
  if s.stopped then error(s.stopped, 3) end
  s.count = s.count + s.every
  if s.count > s.instructions then
    stop(s, ("ran for more than %.0f instructions"):format(s.instructions))
  end
  if collectgarbage("count") - s.base > s.memory / 1024 then
    collectgarbage("collect")
    if collectgarbage("count") - s.base > s.memory / 1024 then
      stop(s, ("used more than %s of memory"):format(size_text(s.memory)))
    end
  end
end

-- sandbox.limits_hook([limits [, state]]) -> hook, every, state
-- For debug.sethook(thread, hook, "", every). Counts instructions and watches
-- memory growth (collectgarbage("count") since the call), checking every
-- `every` instructions (default 1); beyond a limit it raises, and raises
-- again at every later check, leaving the message in state.stopped. Memory is
-- checked between instructions: one string operation can overshoot it.
function sandbox.limits_hook(limits, state)
  local l = check_limits(limits)
  local every = math.floor(l.every or 1)
  local s = new_state(l, every, state)
  local function hook() check(s) end
  return hook, every, s
end

-- pcall and xpcall that cannot swallow a stop: once state.stopped is set
-- (by the limits hook), they raise it again.
local function after_call(state, ok, ...)
  if state and state.stopped then error(state.stopped, 0) end
  return ok, ...
end

local function guarded_pcalls(get_state)
  local function after_limited(ok, ...)
    local stopped = core.limit_stopped()
    if stopped then error(stopped, 2) end -- at the pcall's line (p and x tail-call here)
    return ok, ...
  end
  local function p(f, ...) return after_limited(after_call(get_state(), real_pcall(f, ...))) end
  -- A message handler runs inside the hook that raised a stop, where no
  -- hook runs: once stopped, the recipe's handler is not called at all.
  local function x(f, handler, ...)
    local function h(e)
      if core.limit_stopped() then return e end
      return handler(e)
    end
    return after_limited(after_call(get_state(), real_xpcall(f, type(handler) == "function" and h or handler, ...)))
  end
  return p, x
end

-- Expressions -------------------------------------------------------------

local compiled = real_setmetatable({}, { __mode = "k" })   -- fn -> {where, label, meta}
local current                                             -- limit state of the evaluation running

local function current_state() return current end
local expr_pcall = guarded_pcalls(current_state)

local expr_math = copy_table(math)
expr_math.randomseed = nil

-- What an expression may use besides its variables. Library tables are
-- copied for every evaluation that touches them.
local EXPR_GLOBALS = {
  math = expr_math, string = safe_string, utf8 = copy_table(utf8),
  table = { concat = safe_concat, insert = table.insert, unpack = table.unpack },
  pairs = pairs, ipairs = ipairs, type = type, tostring = tostring, tonumber = tonumber,
  select = select, next = next, rawequal = rawequal, rawlen = rawlen,
  error = error, assert = assert, pcall = expr_pcall,
}

-- The metatable of an expression's environments: names that are not
-- variables come from the allow-list or are errors; no global is assigned.
local function expression_meta(declared)
  local function lookup(env, k)
    if declared[k] then return nil end
    local v = EXPR_GLOBALS[k]
    if v == nil then error(("unknown name '%s'"):format(tostring(k)), 2) end
    if type(v) == "table" then
      v = copy_table(v)
      rawset(env, k, v)
    end
    return v
  end
  local function assign(_, k)
    error(("assignment to global '%s'"):format(tostring(k)), 2)
  end
  return { __index = lookup, __newindex = assign, __metatable = false }
end

-- A deep copy (without metatables), so the expression changes nothing of
-- the caller's.
local function copy_value(v, memo)
  local c = memo[v]
  if c then return c end
  c = {}
  memo[v] = c
  for k, x in real_next, v do
    if type(k) == "table" then k = copy_value(k, memo) end
    if type(x) == "table" then x = copy_value(x, memo) end
    c[k] = x
  end
  return c
end

local function expression_env(info, vars)
  local env, memo = {}, nil
  for k, v in real_next, vars do
    if type(v) == "table" then
      memo = memo or {}
      v = copy_value(v, memo)
    end
    env[k] = v
  end
  return real_setmetatable(env, info.meta)
end

local CHUNK = "(expression)"

-- "where: label: message", without the chunk's own position.
local function located(info, message)
  message = tostring(message)
  local prefix = CHUNK .. ":"
  if message:sub(1, #prefix) == prefix then
    message = message:sub(#prefix + 1):gsub("^%d+: ", "", 1)
  end
  return ("%s: %s: %s"):format(info.where, info.label, message)
end

local function name_set(list)
  local set = {}
  for _, name in ipairs(list or {}) do set[name] = true end
  return set
end

local EMPTY = real_setmetatable({}, { __newindex = function() error("read-only", 2) end, __metatable = false })

-- Compiles `return (src)` and `return {src}`: text that closes either
-- bracket to smuggle in more (`1), x` or `1) os.exit(`) fails one of them.
local function compile(src)
  local head = "local _ENV <const> = ...; return "
  local fn, err = load(head .. "(" .. src .. "\n)", "=" .. CHUNK, "t", EMPTY)
  if not fn then return nil, err end
  if not load(head .. "{" .. src .. "\n}", "=" .. CHUNK, "t", EMPTY) then
    return nil, "must be a single expression"
  end
  return fn
end

-- sandbox.expression(src, where [, opts]) -> fn | nil, "where: when: problem"
-- opts.label replaces "when" in messages; opts.names declares variables that
-- may be absent (nil) without being unknown names.
function sandbox.expression(src, where, opts)
  opts = opts or {}
  local info = { where = tostring(where or "expression"), label = opts.label or "when",
                 meta = expression_meta(name_set(opts.names)) }
  if type(src) ~= "string" then return nil, located(info, "expected an expression (text)") end
  if not src:find("%S") then return nil, located(info, "empty expression") end
  local fn, err = compile(src)
  if not fn then return nil, located(info, err) end
  compiled[fn] = info
  return fn
end

-- Runs fn in a coroutine of its own so the hook counts only its work.
-- The instruction count and the memory cap are native (core.limit): a
-- loop is stopped inside the coroutine, an allocation past the cap fails.
local function run_limited(fn, env, state)
  local co = co_create(fn)
  core.limit(math.floor(state.instructions), math.floor(state.memory), co)
  local ok, value = co_resume(co, env)
  local stopped = core.unlimit()
  if stopped then
    state.stopped = stopped
    if co_status(co) ~= "dead" then co_close(co) end
    return false, stopped
  end
  if ok and co_status(co) ~= "dead" then
    co_close(co)
    return false, "cannot wait inside an expression"
  end
  return ok, value
end

-- sandbox.run_recipe_code(fn, ...) -> true, results... | false, message
-- Runs a recipe's own code (its chunk, its after()) under recipe_limits;
-- the message of a stop is the limit's ("ran for more than N instructions",
-- "used more than 256 MiB of memory", "interrupted") at the recipe's line.
function sandbox.run_recipe_code(fn, ...)
  core.limit(recipe_limits())
  local res = table.pack(real_pcall(fn, ...))
  local stopped = core.unlimit()
  if stopped and res[1] == false and tostring(res[2]):find("not enough memory", 1, true) then
    res[2] = stopped
  end
  return table.unpack(res, 1, res.n)
end

-- sandbox.evaluate(fn, vars [, limits]) -> value | nil, "where: when: problem"
-- Never raises. Variables shadow the allow-list (`error` may be one) and are
-- deep-copied for each evaluation.
function sandbox.evaluate(fn, vars, limits)
  local info = compiled[fn]
  if not info then return nil, "sandbox.evaluate: not a compiled expression" end
  if vars ~= nil and type(vars) ~= "table" then return nil, located(info, "variables must be a table") end
  local ok, l = true, sandbox.default_limits
  if limits ~= nil then ok, l = real_pcall(check_limits, limits) end
  if not ok then return nil, located(info, l) end
  local state = new_state(l, l.every and math.floor(l.every) or 1)
  local value
  ok, value = run_limited(fn, expression_env(info, vars or {}), state)
  if not ok then return nil, located(info, state.stopped or value) end
  return value
end

-- Files confined to the run directory ---------------------------------------

local function name_problem(name)
  if type(name) ~= "string" or name == "" then return "must be a non-empty string" end
  if #name > 4096 then return "is longer than 4096 bytes" end
  if name:find("%c") then return "must not contain control characters" end
  if name:sub(1, 1) == "/" then return "must be relative to the run directory" end
  for part in (name .. "/"):gmatch("(.-)/") do
    if part == ".." then return "must not contain '..'" end
    if part == "" or part == "." then return "must not contain empty or '.' components" end
  end
  return nil
end

-- sandbox.name_problem(name) -> nil | why name may not be used below a run
-- directory (absolute, '..', empty or '.' parts, control characters).
sandbox.name_problem = name_problem

-- sandbox.confine(run_dir, name) -> path | nil, problem
-- The path of name inside run_dir, refused when it could lead elsewhere:
-- absolute, '..', empty or '.' parts, control characters, or a symbolic
-- link on the way or at the end (name and name.part; hh.fs.beneath opens
-- each directory with O_NOFOLLOW and creates the missing ones).
function sandbox.confine(run_dir, name)
  local problem = name_problem(name)
  if problem then return nil, problem end
  local root = tostring(run_dir):gsub("(.)/+$", "%1")
  local path, err = fs.beneath(root, name)
  if not path then
    err = tostring(err)
    if err:sub(1, #name + 2) == name .. ": " then err = err:sub(#name + 3) end
    return nil, err
  end
  return path
end

-- A name as messages show it: quoted, control characters as \ddd.
local function shown(name)
  if type(name) ~= "string" then return tostring(name) end
  return '"' .. name:gsub("[%c\\\"]", function(c) return ("\\%03d"):format(c:byte()) end) .. '"'
end

-- confine, raising "what: "name": problem" at the given level (default: the
-- caller's caller).
local function must_confine(run_dir, what, name, level)
  level = level or 3
  if type(run_dir) == "function" then run_dir = run_dir() end -- known once the run starts
  if run_dir == nil then
    error(what .. ": no run directory (hh check and hh plan run no jobs; hh run has one)", level)
  end
  local path, problem = sandbox.confine(run_dir, name)
  if not path then error(("%s: %s: %s"):format(what, shown(name), problem), level) end
  return path
end

local function io_problem(what, name, err)
  return nil, ("%s: %s: %s"):format(what, name, tostring(err):gsub("^.-: ", "", 1))
end

-- files.read(name) -> text | nil, message;  files.write(name, text) -> true | nil, message
local function files_api(run_dir)
  local files = {}
  -- A regular file of at most max_string bytes, really inside the run
  -- directory (never a FIFO that blocks or a device that does not end).
  function files.read(name)
    local path = must_confine(run_dir, "files.read", name)
    local text, reason = fs.read_regular(path, sandbox.max_string, fs.realpath(run_dir) or run_dir)
    if not text then return nil, ("files.read: %s: %s"):format(name, reason) end
    return text
  end
  function files.write(name, text)
    local path = must_confine(run_dir, "files.write", name)
    if type(text) ~= "string" then error("files.write: text must be a string", 2) end
    local ok, err = fs.write_atomic(path, text)
    if not ok then return io_problem("files.write", name, err) end
    return true
  end
  return files
end

-- The hh API for untrusted recipes ------------------------------------------

-- No hh.generate: what a recipe pays for goes through its jobs (after()'s
-- run(list)), which the budget bounds and the journal keeps.
local HH_ALLOWED = { "status", "sleep", "now", "stats", "versions", "spawn", "map", "null" }

-- Same rule as hh.wait: a plain table without an id is a list of tasks.
local function is_list(x)
  return type(x) == "table" and x.id == nil and real_getmetatable(x) == nil
end

-- hh.wait_all's {i} and {id} placeholders.
local function expand_output(template, task, i)
  local id = type(task) == "table" and task.id or tostring(task)
  return (template:gsub("{(%w+)}", function(k)
    if k == "i" then return tostring(i) end
    if k == "id" then return (tostring(id):gsub("[^%w%-_.]", "_")) end
  end))
end

-- opts with output confined to run_dir (checked now for one task or a
-- template, as each task's path is made for a function).
local function confined_opts(run_dir, what, x, opts)
  if type(opts) ~= "table" or opts.output == nil then return opts end
  local o, output = copy_table(opts), opts.output
  if is_list(x) and type(output) == "string" then
    must_confine(run_dir, what, expand_output(output, { id = "id" }, 1), 4)
    o.output = function(task, i) return must_confine(run_dir, what, expand_output(output, task, i)) end
  elseif is_list(x) and type(output) == "function" then
    o.output = function(task, i)
      local name = output(task, i)
      if name == nil then return nil end
      return must_confine(run_dir, what, name)
    end
  else
    o.output = must_confine(run_dir, what, output, 4)
  end
  return o
end

-- sandbox.safe_hh(hh, run_dir) -> a new table: the hh functions that change
-- no setting (no hh.config, no hh.profile), with downloads confined to run_dir.
function sandbox.safe_hh(hh, run_dir)
  local safe = {}
  for _, k in ipairs(HH_ALLOWED) do safe[k] = hh[k] end
  function safe.generate()
    error("hh.generate is not available to a recipe: make jobs with run(list) in after(), within the budget "
      .. "and the journal (--trust lifts this, for your own recipes)", 2)
  end
  function safe.wait(x, opts) return hh.wait(x, confined_opts(run_dir, "hh.wait", x, opts)) end
  function safe.wait_all(list, opts)
    return hh.wait_all(list, confined_opts(run_dir, "hh.wait_all", list, opts))
  end
  return safe
end

-- Recipe environments -------------------------------------------------------

-- setmetatable/getmetatable that only touch metatables the recipe set:
-- strings, hh's objects and the environment keep theirs and hide them.
local function metatable_functions()
  local own = real_setmetatable({}, { __mode = "k" })
  local function set(t, mt)
    local cur = type(t) == "table" and raw_getmetatable(t)
    if cur and not own[cur] then error("setmetatable: cannot change a metatable the recipe did not set", 2) end
    -- A finalizer runs whenever and wherever the collector runs, outside
    -- the recipe's limits.
    if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
      error("setmetatable: __gc is not available to recipes (finalizers run outside the recipe's limits)", 2)
    end
    if type(mt) == "table" then own[mt] = true end
    return real_setmetatable(t, mt)
  end
  local function get(x)
    local mt = raw_getmetatable(x)
    if mt and own[mt] then return real_getmetatable(x) end
    return nil
  end
  return set, get
end

-- coroutine, where resume and close only reach coroutines the recipe made
-- (not hh's jobs, which only hh may resume).
local function coroutine_library()
  local own = real_setmetatable({}, { __mode = "k" })
  local lib = copy_table(coroutine)
  function lib.create(f)
    local co = co_create(f)
    own[co] = true
    return co
  end
  function lib.resume(co, ...)
    if not own[co] then error("coroutine.resume: not a coroutine this recipe created", 2) end
    return co_resume(co, ...)
  end
  function lib.close(co)
    if not own[co] then error("coroutine.close: not a coroutine this recipe created", 2) end
    return co_close(co)
  end
  return lib
end

local function untrusted_globals(opts)
  local set, get = metatable_functions()
  local state = opts.limits
  local p, x = guarded_pcalls(function() return state end)
  local tbl = copy_table(table)
  tbl.concat = safe_concat
  return {
    print = print, pairs = pairs, ipairs = ipairs, next = next, select = select, type = type,
    tostring = tostring, tonumber = tonumber, error = error, assert = assert, pcall = p, xpcall = x,
    rawequal = rawequal, rawlen = rawlen, setmetatable = set, getmetatable = get,
    math = copy_table(math), string = copy_table(safe_string), table = tbl, utf8 = copy_table(utf8),
    coroutine = coroutine_library(), os = { time = os.time, clock = os.clock, date = os.date },
    _VERSION = _VERSION,
  }
end

local function unknown_global(_, k)
  error(("unknown global '%s'"):format(tostring(k)), 2)
end

local function global_assignment(_, k)
  error(("assignment to global '%s' (use local)"):format(tostring(k)), 2)
end

-- sandbox.recipe_env{api = {...}, trust = false, run_dir = DIR [, limits = state]} -> env
-- (run_dir may be a function returning the directory once it is known.)
-- Untrusted: the allow-list, `hh` (api.hh as given, else sandbox.safe_hh of
-- the hh module), `files`, and api's entries over them; reading an unknown
-- global or assigning any global raises. Trusted: a table falling back to _G.
function sandbox.recipe_env(opts)
  opts = opts or {}
  local api = opts.api or {}
  if opts.trust then
    local env = { files = files_api(opts.run_dir) }
    for k, v in pairs(api) do env[k] = v end
    return real_setmetatable(env, { __index = _G })
  end
  local globals = untrusted_globals(opts)
  globals.files = files_api(opts.run_dir)
  globals.hh = api.hh or sandbox.safe_hh(require("hh"), opts.run_dir)
  for k, v in pairs(api) do globals[k] = v end
  real_setmetatable(globals, { __index = unknown_global, __metatable = false })
  return real_setmetatable({}, { __index = globals, __newindex = global_assignment, __metatable = false })
end

-- sandbox.load_recipe(path, env [, text]) -> chunk | nil, "path:line: problem"
-- With text (the file, read already), that is loaded under path's name.
function sandbox.load_recipe(path, env, text)
  local chunk, err
  if text then chunk, err = load(text, "@" .. path, "t", env)
  else chunk, err = loadfile(path, "t", env) end
  if chunk then return chunk end
  err = tostring(err)
  if not err:find(path, 1, true) then err = path .. ": " .. err end
  return nil, err
end

return sandbox
