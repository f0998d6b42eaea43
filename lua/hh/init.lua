-- hh: the public Lua API. hh.generate, hh.status and hh.wait are native
-- (hh.core); spawning, joining, mapping over lists, configuration and the
-- host profile are built here on top of them.
--
--   local t = hh.generate{prompt = "a horse on a beach at dawn", duration = 5}
--   local r = assert(hh.wait(t, {output = "horse.mp4"}))

local core = require("hh.core")
local host = require("hh.host")
local profile = require("hh.profile")
require("hh.sandbox") -- caps string.rep and removes string.dump for every string, from the start

local hh = {}

hh.generate = core.generate
hh.status = core.status
hh.sleep = core.sleep
hh.now = core.now
hh.stats = core.stats
hh.versions = core.versions

-- The host profile in use; hh.config{profile = ...} or {base_url = ...} changes it.
local current = profile.new(profile.happyhorse, { base_url = profile.happyhorse.base_url, base_url_from = "HH_BASE_URL" })
core.set_profile(current)
-- The profile's rate is a default: a rate the user sets, or the host's own
-- advertised limit (RateLimit-Policy), replaces it.
core.configure({ base_url = current.base_url, rate_default = current.rate, idempotent_host = current.idempotent })

function hh.profile() return current end

-- Friendlier names hh.config and HH_SETTINGS take for settings of the loop.
local FRIENDLY = {
  concurrency = "max_transfers",
}

-- "; did you mean ..." for a setting name that is not one.
local function setting_hint(name)
  local known = { profile = true, poll = true }
  for k in pairs(core.configure()) do known[k] = true end
  for k in pairs(FRIENDLY) do known[k] = true end
  return require("hh.recipe").suggest(name, known)
end

-- Applies settings given by `origin` ("hh.config", "HH_SETTINGS"), whose
-- name starts every message; errors are raised at `level`. A base URL is
-- checked where it is given: scheme, host, nothing else (hh.host).
local function configure(settings, origin, level)
  local flat, new_profile = {}, nil
  for k, v in pairs(settings) do
    if k == "profile" then
      if type(v) ~= "table" then error(origin .. ": profile must be a table of overrides", level) end
      new_profile = {}
      for pk, pv in pairs(v) do new_profile[pk] = pv end
    elseif k == "poll" then
      if type(v) ~= "table" then error(origin .. ": poll must be a table", level) end
      for pk, pv in pairs(v) do flat["poll_" .. pk] = pv end
    elseif type(k) ~= "string" then
      error(origin .. ": settings are named (name = value)", level)
    else
      flat[FRIENDLY[k] or k] = v
    end
  end
  local known = core.configure()
  for k in pairs(flat) do
    if known[k] == nil then error(string.format("%s: unknown setting '%s'%s", origin, k, setting_hint(k)), level) end
  end
  local base = flat.base_url
  if base == nil and new_profile then base = new_profile.base_url end
  if base ~= nil then
    if type(base) ~= "string" then error(origin .. ": base_url must be a string", level) end
    local problem = host.check_base_url(base)
    if problem then error(origin .. ": base_url: " .. problem, level) end
  end
  if new_profile or base then
    local overrides = new_profile or {}
    overrides.base_url = base or current.base_url
    if base then overrides.base_url_from = origin == "HH_BASE_URL" and origin or origin .. ": base_url" end
    local ok, made = pcall(profile.new, current, overrides)
    if not ok then error(origin .. ": " .. tostring(made), level) end
    current = made
    core.set_profile(current)
    flat.base_url = current.base_url
    if new_profile and new_profile.rate ~= nil and flat.rate == nil then flat.rate_default = new_profile.rate end
    if new_profile and new_profile.idempotent ~= nil then flat.idempotent_host = new_profile.idempotent end
  end
  local ok, result = pcall(core.configure, flat)
  if not ok then error((tostring(result):gsub("^hh%.config: ", origin .. ": ")), level) end
  return result
end

-- HH_BASE_URL, then HH_SETTINGS="name=value,name=value" (e.g.
-- poll_min_interval=0.01 against a fast simulator), before anything runs.
-- A problem with either stops hh before it sends anything: the error is
-- marked as invalid input (`usage`), which the command line turns into one
-- line and exit 2 wherever hh is first loaded.
local function apply_environment()
  local base = os.getenv("HH_BASE_URL")
  if base and base ~= "" then
    local problem = host.check_base_url(base)
    if problem then error("HH_BASE_URL: " .. problem, 0) end
    configure({ base_url = base }, "HH_BASE_URL", 0)
  end
  local text = os.getenv("HH_SETTINGS")
  if not text or text == "" then return end
  local flat = {}
  for item in text:gmatch("[^,]+") do
    local k, v = item:match("^%s*([%a_][%w_]*)%s*=%s*(.-)%s*$")
    if not k then error(string.format('HH_SETTINGS: "%s" is not name=value', item), 0) end
    if v == "true" then flat[k] = true
    elseif v == "false" then flat[k] = false
    else flat[k] = tonumber(v) or v end
  end
  configure(flat, "HH_SETTINGS", 0)
end
do
  local ok, err = pcall(apply_environment)
  if not ok then
    error(setmetatable({ usage = true, message = tostring(err) },
      { __tostring = function(e) return e.message end }), 0)
  end
end

-- hh.config{...}: changes settings for the rest of the run; returns them all.
function hh.config(settings)
  if settings == nil then return core.configure() end
  if type(settings) ~= "table" then error("hh.config: expected a table", 2) end
  local result = configure(settings, "hh.config", 3)
  return result
end

-- hh.wait(task [, opts]) -> result | nil, message, class, result
-- hh.wait(list [, opts]) -> results (each with ok = true or false), failures
function hh.wait(x, opts)
  if type(x) == "table" and x.id == nil and getmetatable(x) == nil then
    return hh.wait_all(x, opts)
  end
  return core.wait(x, opts)
end

-- A job handle, returned by hh.spawn.
local Job = {}
Job.__index = Job
Job.__name = "hh.Job"

-- Waits until the job has ended: true and its results, or false and its error.
function Job:join()
  while not self.done do
    self.waiters[#self.waiters + 1] = coroutine.running()
    core.park()
  end
  if self.error ~= nil then return false, self.error end
  return true, table.unpack(self.results, 1, self.results.n)
end

local function traceback(e)
  if type(e) ~= "string" then return e end
  return debug.traceback(e, 2)
end

-- hh.spawn(fn, ...) runs fn(...) as a job of its own; the script ends when
-- every job has ended. An error in a job is reported and counted.
function hh.spawn(fn, ...)
  if type(fn) ~= "function" then error("hh.spawn: expected a function", 2) end
  local job = setmetatable({ done = false, waiters = {} }, Job)
  local args = table.pack(...)
  job.thread = core.spawn(function()
    local res = table.pack(xpcall(fn, traceback, table.unpack(args, 1, args.n)))
    job.done = true
    if res[1] then
      job.results = table.pack(table.unpack(res, 2, res.n))
    else
      job.error = res[2]
      if not job.quiet then io.stderr:write("hh: error in a job: ", require("hh.display").safe(res[2], true), "\n") end
      core.job_failed()
    end
    for _, w in ipairs(job.waiters) do core.wake(w) end
  end)
  return job
end

-- hh.map(list, fn [, {concurrency = n}]) -> results, errors
-- Calls fn(item, i) for every item at once (or n at a time) and returns the
-- first result of each, in order. errors[i] holds the error of a call that
-- raised (then results[i] is nil); errors is nil when none did.
function hh.map(list, fn, opts)
  if type(list) ~= "table" then error("hh.map: expected a list", 2) end
  if type(fn) ~= "function" then error("hh.map: expected a function", 2) end
  local n = #list
  local width = opts and opts.concurrency or n
  if width > n then width = n end
  local results, errors = { n = n }, nil
  local next_index = 0
  local workers = {}
  for w = 1, width do
    local job = hh.spawn(function()
      while true do
        next_index = next_index + 1
        local i = next_index
        if i > n then return end
        local ok, v = xpcall(fn, traceback, list[i], i)
        if ok then results[i] = v else errors = errors or {}; errors[i] = v end
      end
    end)
    job.quiet = true
    workers[w] = job
  end
  for _, job in ipairs(workers) do job:join() end
  return results, errors
end

local function output_for(output, task, i)
  if output == nil then return nil end
  if type(output) == "function" then return output(task, i) end
  local id = type(task) == "table" and task.id or tostring(task)
  return (tostring(output):gsub("{(%w+)}", function(k)
    if k == "i" then return tostring(i) end
    if k == "id" then return (id:gsub("[^%w%-_.]", "_")) end
  end))
end

-- Waits for every task of a list; results in order, each with ok = true, or
-- ok = false with error and class. opts.output may be a function (task, i)
-- or a path with {i} and {id} in it.
function hh.wait_all(list, opts)
  opts = opts or {}
  local failures = 0
  local results = hh.map(list, function(task, i)
    local o = {}
    for k, v in pairs(opts) do o[k] = v end
    o.output = output_for(opts.output, task, i)
    local r, msg, class = core.wait(task, o)
    if r then return r end
    failures = failures + 1
    return { ok = false, error = msg, class = class, task_id = type(task) == "table" and task.id or task }
  end)
  return results, failures
end

hh.null = require("cjson").null

return hh
