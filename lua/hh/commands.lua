-- hh.commands: the recipe commands. `hh check` validates without network,
-- `hh plan` shows the job table and what it will cost, `hh run` runs it.
-- All three load and expand the recipe the same way; problems are printed
-- as file:line:column: field: rule, sorted, all at once.

local args = require("hh.args")
local core = require("hh.core")
local expand = require("hh.expand")
local recipe = require("hh.recipe")

local M = {}

local EXIT = { ok = 0, error = 1, usage = 2, refused = 3, failed = 4, interrupted = 130 }

local function say(...) io.stderr:write("hh: ", string.format(...), "\n") end

local COMMON = {
  { name = "set", arg = "NAME=VALUE", many = true, help = "set a variable, a field or a top-level key (repeatable)" },
  { name = "trust", flag = true, help = "let a Lua recipe use the shell, files outside its run and native code" },
  { name = "help", short = "h", flag = true, help = "show this help" },
}

local function spec(extra)
  local all = {}
  for _, o in ipairs(extra) do all[#all + 1] = o end
  for _, o in ipairs(COMMON) do all[#all + 1] = o end
  return all
end

local CHECK = spec({})
local PLAN = spec({ { name = "json", flag = true, help = "print the plan as JSON" } })
local RUN = spec({
  { name = "out", short = "o", arg = "DIR", help = "run directory (default runs/NAME)" },
  { name = "concurrency", short = "j", arg = "N", help = "jobs in flight at once (default: the recipe's, else 8)" },
  { name = "quiet", short = "q", flag = true, help = "print only the summary" },
  { name = "base-url", arg = "URL", help = "API base URL" },
})

M.HELP = {
  check = "usage: hh check RECIPE [--set NAME=VALUE ...]\n\nValidates a recipe without network: every problem at once, as\nfile:line:column: field: rule.\n\n" .. args.usage(CHECK),
  plan = "usage: hh plan RECIPE [--json] [--set NAME=VALUE ...]\n\nThe job table, counts and the credit estimate (minimum and worst case\nwith reruns), without network.\n\n" .. args.usage(PLAN),
  run = "usage: hh run RECIPE [--out DIR] [--concurrency N] [--set NAME=VALUE ...]\n\nRuns a recipe: checks it, refuses a worst case above its budget, submits,\nwaits, downloads every result into the run directory, applies reruns and\nwrites manifest.jsonl.\n\n" .. args.usage(RUN),
}

-- "--set k=v": numbers and booleans as such, everything else a string.
local function parse_sets(list)
  local sets = {}
  for _, kv in ipairs(list or {}) do
    local k, v = kv:match("^([%a_][%w_.]*)=(.*)$")
    if not k then return nil, string.format("--set: expected NAME=VALUE, got %q", kv) end
    local value = v
    if v == "true" then value = true elseif v == "false" then value = false
    elseif tonumber(v) and v:match("^%-?[%d.]+[eE]?[-+]?%d*$") then value = math.tointeger(tonumber(v)) or tonumber(v) end
    sets[#sets + 1] = { key = k, value = value }
  end
  return sets
end

local function position_key(p)
  local file, line, col = p.at:match("^(.-):(%d+):?(%d*)$")
  return file or p.at, tonumber(line) or 0, tonumber(col) or 0
end

local function sort_problems(problems)
  table.sort(problems, function(a, b)
    local fa, la, ca = position_key(a)
    local fb, lb, cb = position_key(b)
    if fa ~= fb then return fa < fb end
    if la ~= lb then return la < lb end
    if ca ~= cb then return ca < cb end
    return (a.field or "") < (b.field or "")
  end)
end

-- Loads, expands and prices a recipe: r, jobs, min, worst, problems.
function M.prepare(path, opts)
  -- Expansion makes many small tables that all stay alive: a lazier collector
  -- saves a third of its time; the run itself goes back to hh's tighter one.
  collectgarbage("incremental", 400, 400)
  local r, problems = recipe.load(path, opts)
  local jobs, min, worst = {}, 0, 0
  if r then
    jobs = expand.jobs(r, problems)
    min, worst = expand.costs(r, jobs)
    if r.budget and worst > r.budget then
      problems:add(r.budget_at, "budget", string.format(
        "the worst case is %d credits (%d without reruns), above the budget of %d", worst, min, math.floor(r.budget)))
    end
  end
  sort_problems(problems)
  collectgarbage("incremental", 120, 300)
  return r, jobs, min, worst, problems
end

local function counts(r, jobs)
  local cells = {}
  local n = 0
  for _, j in ipairs(jobs) do if not cells[j.cell] then cells[j.cell] = true n = n + 1 end end
  return string.format("%d jobs (%d cells x %d samples x %d variants)", #jobs, n, r.samples, #r.variants)
end

local function report_problems(problems)
  for _, line in ipairs(problems:render()) do io.stderr:write(line, "\n") end
end

local function parse(spec_, name, argv)
  local opts, rest = args.parse(spec_, argv, 2)
  if not opts then say("%s: %s (see hh help %s)", name, rest, name) return nil, EXIT.usage end
  if opts.help then print(M.HELP[name]) return nil, EXIT.ok end
  if #rest ~= 1 then say("%s: expected one RECIPE file (see hh help %s)", name, name) return nil, EXIT.usage end
  local sets, err = parse_sets(opts.set)
  if not sets then say("%s: %s", name, err) return nil, EXIT.usage end
  opts.sets = sets
  return opts, rest[1]
end

function M.check(argv)
  local opts, path = parse(CHECK, "check", argv)
  if not opts then return path end
  local r, jobs, min, worst, problems = M.prepare(path, { sets = opts.sets, trust = opts.trust })
  if #problems > 0 then
    report_problems(problems)
    say("%s: %d problem%s; nothing was sent", path, #problems, #problems == 1 and "" or "s")
    return EXIT.usage
  end
  print(string.format("%s: ok: %s, %d credits, up to %d with reruns%s", path, counts(r, jobs), min, worst,
    r.budget and string.format(" (budget %d)", math.floor(r.budget)) or ""))
  return EXIT.ok
end

local function short(s, n)
  s = tostring(s or ""):gsub("%s+", " ")
  if #s > n then s = s:sub(1, n - 1) .. "~" end
  return s
end

function M.plan(argv)
  local opts, path = parse(PLAN, "plan", argv)
  if not opts then return path end
  local r, jobs, min, worst, problems = M.prepare(path, { sets = opts.sets, trust = opts.trust })
  if #problems > 0 then
    report_problems(problems)
    return EXIT.usage
  end
  if opts.json then
    local out = { recipe = path, name = r.name, credits = { min = min, worst = worst }, budget = r.budget, jobs = {} }
    for i, j in ipairs(jobs) do
      out.jobs[i] = { id = j.id, cell = j.cell, values = j.cell_values, variant = j.variant, sample = j.sample,
                      params = j.params, output = j.output, credits = j.credits }
    end
    io.stdout:write(require("hh.json").encode(out), "\n")
    return EXIT.ok
  end
  print(string.format("%-4s %-16s %-11s %-8s %3s %-4s %3s %4s %7s  %-28s %s", "#", "job", "cell", "variant", "smp",
    "mode", "dur", "cfg", "credits", "output", "prompt"))
  for i, j in ipairs(jobs) do
    local p = j.params
    print(string.format("%-4d %-16s %-11s %-8s %3d %-4s %3s %4s %7d  %-28s %s", i, j.id, j.cell, short(j.variant, 8),
      j.sample, p.mode or "std", tostring(j.duration or p.duration or 5),
      p.cfg_scale and require("hh.template").format(p.cfg_scale) or "-", j.credits, short(j.output, 28),
      short(p.prompt or (p.multi_prompt and "(multi-shot)") or "", 60)))
  end
  print(string.format("%s: %s; %d credits, up to %d with reruns%s", path, counts(r, jobs), min, worst,
    r.budget and string.format("; budget %d", math.floor(r.budget)) or ""))
  return EXIT.ok
end

function M.run(argv)
  local opts, path = parse(RUN, "run", argv)
  if not opts then return path end
  local width
  if opts.concurrency then
    local n, err = args.number(opts, "concurrency", 1, 4096)
    if not n then say("run: %s", err) return EXIT.usage end
    width = math.tointeger(n)
  end
  local r, jobs, min, worst, problems = M.prepare(path, { sets = opts.sets, trust = opts.trust })
  if #problems > 0 then
    report_problems(problems)
    say("%s: %d problem%s; nothing was sent", path, #problems, #problems == 1 and "" or "s")
    return EXIT.usage
  end
  local hh = require("hh")
  if opts["base-url"] then hh.config({ base_url = opts["base-url"] }) end
  local keyok, keyerr = core.check_key()
  if not keyok then say("%s", keyerr) return EXIT.refused end
  local out = opts.out or ("runs/" .. r.name)
  if not opts.quiet then
    say("%s: %s, %d credits (up to %d with reruns) into %s", path, counts(r, jobs), min, worst, out)
  end
  local emit = function(kind, rec)
    if opts.quiet then return end
    if kind == "submitted" then
      io.stderr:write(string.format("hh: submitted  %s %s (%d credits)\n", rec.job, rec.task_id or "", rec.credits or 0))
    elseif kind == "downloaded" then
      io.stderr:write(string.format("hh: done       %s -> %s\n", rec.job, rec.file))
    elseif kind == "failed" then
      io.stderr:write(string.format("hh: failed     %s: %s\n", rec.job, rec.error or rec.class or "?"))
    elseif kind == "rerun" then
      io.stderr:write(string.format("hh: rerun      %s of %s (rule %d)\n", rec.job, rec.rerun_of, rec.rule))
    end
  end
  local records, summary, err
  local failed, aborted, interrupts = core.run(function()
    records, summary = require("hh.engine").run(r, jobs, { out = out, concurrency = width, emit = emit })
    if not records then err = summary end
  end)
  if err then say("%s", err) return EXIT.failed end
  if aborted then return EXIT.interrupted end
  if not summary then return EXIT.error end
  print(string.format("%s: %d done, %d failed, %d unknown, %d skipped, %d reruns; %d credits; %s/manifest.jsonl",
    r.name, summary.done, summary.failed, summary.unknown, summary.skipped, summary.reruns, summary.credits, out))
  if failed > 0 then return EXIT.error end
  if interrupts > 0 then return EXIT.interrupted end
  local stopped = core.stopped()
  if stopped then return EXIT.refused end
  if summary.failed + summary.unknown + summary.skipped > 0 then return EXIT.failed end
  return EXIT.ok
end

return M
