-- hh.commands: the recipe commands. `hh check` validates without network,
-- `hh plan` shows the job table and what it will cost, `hh run` runs it.
-- All three load and expand the recipe the same way; problems are printed
-- as file:line:column: field: rule, sorted, all at once.

local args = require("hh.args")
local core = require("hh.core")
local display = require("hh.display")
local expand = require("hh.expand")
local recipe = require("hh.recipe")

local M = {}

M.EXIT = { ok = 0, error = 1, usage = 2, refused = 3, failed = 4, interrupted = 130 }
local EXIT = M.EXIT

local say, safe = display.say, display.safe

local COMMON = {
  { name = "set", arg = "NAME=VALUE", many = true, help = "set a variable, a field or a top-level key, or narrow an axis (repeatable)" },
  { name = "trust", flag = true, help = "let a Lua recipe use the shell, files outside its run and native code" },
  { name = "help", short = "h", flag = true, help = "show this help" },
}

local function spec(extra) return args.with(extra, COMMON) end
M.spec = spec

local CHECK = spec({
  { name = "json", flag = true, help = "print the result as JSON (every problem with its file, line and column)" },
})
local PLAN = spec({
  { name = "json", flag = true, help = "print the plan as JSON" },
  { name = "top", arg = "N", help = "list only the N costliest jobs (at their worst, reruns included)" },
  { name = "out", short = "o", arg = "DIR", help = "compare with this run directory (default runs/NAME)" },
})
local RUN = spec({
  { name = "out", short = "o", arg = "DIR", help = "run directory (default runs/NAME)" },
  { name = "fresh", flag = true, help = "generate every job again, even those already done" },
  { name = "resubmit-unknown", flag = true, help = "resubmit jobs whose earlier submission has an unknown outcome (may pay twice)" },
  { name = "retry-failed", flag = true, help = "submit again jobs whose task failed before" },
  { name = "budget", arg = "CREDITS", help = "the run directory's budget for this run (instead of the recipe's)" },
  { name = "concurrency", short = "j", arg = "N", help = "jobs in flight at once (default: the recipe's, else 8)" },
  { name = "quiet", short = "q", flag = true, help = "print only the summary" },
  { name = "json", flag = true, help = "one JSON event a line on stdout (submitted, succeeded, downloaded, checked, failed, rerun, unknown, progress)" },
  { name = "base-url", arg = "URL", help = "API base URL" },
  { name = "open", flag = true, help = "open the report in the browser as soon as it exists (it follows the run)" },
  { name = "store", arg = "URI", help = "a team store (postgresql://USER@HOST/DB) shared by every worker: claims, budgets, spending, clips (default: HH_STORE; 'local': the run directory alone)" },
  { name = "cache", arg = "DIR", help = "with --store: the team's clips, by sha256, in a shared directory (default: HH_CACHE)" },
  { name = "lease", arg = "SECONDS", help = "with --store: how long a stopped worker's claims last before another takes them (default 30)" },
})

local RESUME = spec({
  { name = "concurrency", short = "j", arg = "N", help = "jobs in flight at once" },
  { name = "resubmit-unknown", flag = true, help = "resubmit jobs whose earlier submission has an unknown outcome (may pay twice)" },
  { name = "budget", arg = "CREDITS", help = "the run directory's budget for this run (instead of the recipe's)" },
  { name = "quiet", short = "q", flag = true, help = "print only the summary" },
  { name = "store", arg = "URI", help = "a team store (postgresql://USER@HOST/DB) shared by every worker: claims, budgets, spending, clips (default: HH_STORE; 'local': the run directory alone)" },
  { name = "cache", arg = "DIR", help = "with --store: the team's clips, by sha256, in a shared directory (default: HH_CACHE)" },
  { name = "lease", arg = "SECONDS", help = "with --store: how long a stopped worker's claims last before another takes them (default 30)" },
})
M.HELP = {
  check = "usage: hh check RECIPE [--set NAME=VALUE ...]\n\nValidates a recipe without network: every problem at once, as\nfile:line:column: field: rule.\n\n" .. args.usage(CHECK),
  plan = "usage: hh plan RECIPE [--json] [--set NAME=VALUE ...]\n\nThe job table, counts and the credit estimate (minimum and worst case\nwith reruns), without network.\n\n" .. args.usage(PLAN),
  resume = "usage: hh resume DIR [--resubmit-unknown]\n\nContinues a run directory with the recipe it was run from: polls tasks already\ncreated, downloads finished ones, submits only jobs never submitted.\n\n" .. args.usage(RESUME),
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
    sets[#sets + 1] = { key = k, value = value, text = kv }
  end
  return sets
end

local function position_key(p)
  local file, line, col = p.at:match("^(.-):(%d+):?(%d*)$")
  return file or p.at, tonumber(line) or 0, tonumber(col) or 0
end

local function sort_problems(problems)
  for i, p in ipairs(problems) do p.found = i end -- at one place, in the order found
  table.sort(problems, function(a, b)
    local fa, la, ca = position_key(a)
    local fb, lb, cb = position_key(b)
    if fa ~= fb then return fa < fb end
    if la ~= lb then return la < lb end
    if ca ~= cb then return ca < cb end
    if (a.field or "") ~= (b.field or "") then return (a.field or "") < (b.field or "") end
    return a.found < b.found
  end)
end

-- The recipe file's sha256 (the journal records which version made a job).
function M.file_hash(path)
  local text = require("hh.fs").read(path)
  return text and core.sha256(text)
end

function M.absolute(path)
  if path:sub(1, 1) == "/" then return path end
  local pwd = os.getenv("PWD")
  return pwd and (pwd .. "/" .. path) or path
end

-- Loads, expands and prices a recipe: r, jobs, min, worst, problems. The
-- collector may be left stopped: hh run calls M.collect_again().
function M.prepare(path, opts)
  -- Expansion makes many small tables that all stay alive: a lazier collector
  -- saves a third of its time.
  collectgarbage("incremental", 400, 400)
  local r, problems = recipe.load(path, opts)
  local jobs, min, worst = {}, 0, 0
  if r then
    -- Without include/exclude expressions (the sandbox makes garbage per
    -- cell) expansion makes almost nothing but what it keeps: the collector
    -- would only walk it, over and over, so it is stopped, and stays so for
    -- check and plan (printing a plan makes a little garbage; restarting
    -- would walk the whole job list once more before exit).
    local quiet = true
    for _, list in ipairs({ r.include, r.exclude }) do
      for _, cond in ipairs(list) do if cond.expr then quiet = false end end
    end
    if quiet then collectgarbage("stop") end
    jobs = expand.jobs(r, problems, { ids = opts.ids })
    min, worst = expand.costs(r, jobs)
    if r.after and r.after_credits then worst = worst + r.after_credits end
    if r.budget and worst > r.budget then
      problems:add(r.budget_at, "budget", string.format(
        "the worst case is %d credits (%d without reruns%s), above the budget of %d", worst, min,
        r.after_credits and string.format(", %d of them after_credits", r.after_credits) or "", math.floor(r.budget)))
    end
  end
  sort_problems(problems)
  return r, jobs, min, worst, problems
end

-- After M.prepare, for a long-lived command: hh's usual collector (see
-- runtime/main.c: ten thousand jobs in flight stay within ~64 MB).
function M.collect_again()
  collectgarbage("restart")
  collectgarbage("incremental", 120, 300)
end

local function counts(r, jobs)
  -- A cell's jobs are consecutive (hh.expand goes cell by cell) and share
  -- its values table.
  local n, last = 0, nil
  for i = 1, #jobs do
    local cell = jobs[i].cell_values
    if cell ~= last then n, last = n + 1, cell end
  end
  return string.format("%d jobs (%d cells x %d samples x %d variants)", #jobs, n, r.samples, #r.variants)
end

local function report_problems(problems)
  for _, line in ipairs(problems:render()) do io.stderr:write(line, "\n") end
end

-- A recipe loaded, expanded and priced for a command; or, after every
-- problem was printed, nil and the exit status.
local function prepared(path, opts, ids, run_dir)
  local r, jobs, min, worst, problems = M.prepare(path, { sets = opts.sets, trust = opts.trust, ids = ids,
                                                          run_dir = run_dir })
  if #problems == 0 then return r, jobs, min, worst end
  report_problems(problems)
  say("%s: %d problem%s; nothing was sent", path, #problems, #problems == 1 and "" or "s")
  return nil, EXIT.usage
end

local function parse(spec_, name, argv)
  local opts, rest = args.command(spec_, name, argv, M.HELP[name])
  if not opts then return nil, rest end
  if #rest ~= 1 then say("%s: expected one RECIPE file (see hh help %s)", name, name) return nil, EXIT.usage end
  local sets, err = parse_sets(opts.set)
  if not sets then say("%s: %s", name, err) return nil, EXIT.usage end
  opts.sets = sets
  return opts, rest[1]
end

-- "with reruns", and what a Lua recipe's after() may add.
local function worst_text(r)
  if not r.after then return "with reruns" end
  if r.after_credits then return string.format("with reruns and after() (after_credits %d)", r.after_credits) end
  return "with reruns, plus what after() makes (not declared: the budget bounds it)"
end

-- The line hh check prints for a recipe without problems.
function M.check_line(path, r, jobs, min, worst)
  return string.format("%s: ok: %s, %d credits, up to %d %s%s", path, counts(r, jobs), min, worst, worst_text(r),
    r.budget and string.format(" (budget %d)", math.floor(r.budget)) or "")
end

-- hh check --json: one object on stdout, for editors and CI; exit 0 or 2.
local function check_json(path, opts)
  local r, jobs, min, worst, problems = M.prepare(path, { sets = opts.sets, trust = opts.trust, ids = false })
  local json = require("hh.json")
  local list, lines = {}, problems:render()
  for i, p in ipairs(problems) do
    local file, line, col = position_key(p)
    list[i] = { file = file, line = line > 0 and line or nil, column = col > 0 and col or nil, field = p.field,
                rule = p.rule, message = lines[i] }
  end
  local out = { recipe = path, ok = #problems == 0, problems = list }
  if #problems == 0 then
    out.name, out.jobs, out.credits = r.name, #jobs, { min = min, worst = worst, budget = r.budget }
  end
  io.stdout:write(json.encode(out), "\n")
  return #problems == 0 and EXIT.ok or EXIT.usage
end

function M.check(argv)
  local opts, path = parse(CHECK, "check", argv)
  if not opts then return path end
  if opts.json then return check_json(path, opts) end
  local r, jobs, min, worst = prepared(path, opts, false)
  if not r then return jobs end
  display.print("%s", M.check_line(path, r, jobs, min, worst))
  return EXIT.ok
end

-- A value for a table cell: whitespace runs collapsed, cut to n bytes at a
-- character boundary with "~" marking the cut.
function M.short(s, n)
  if type(s) ~= "string" then s = tostring(s or "") end
  if s:find("[\t-\r]") or s:find("  ", 1, true) then s = s:gsub("%s+", " ") end
  if #s > n then
    local cut = n - 1
    while cut > 0 and (s:byte(cut + 1) or 0) & 0xC0 == 0x80 do cut = cut - 1 end
    s = s:sub(1, cut) .. "~"
  end
  return s
end

-- The plan of a recipe over its budget is still shown (with the cost by
-- axis value), so one can see where the credits go; it exits 2.
local function plan_prepared(path, opts)
  local r, jobs, min, worst, problems = M.prepare(path, { sets = opts.sets, trust = opts.trust })
  for _, p in ipairs(problems) do
    if p.field ~= "budget" then return prepared(path, opts) end
  end
  return r, jobs, min, worst, #problems > 0 and problems or nil
end

local function print_by_axis(rows)
  if #rows == 0 then return end
  display.print("worst case by axis value (credits, reruns included):")
  for _, e in ipairs(rows) do
    display.print("  %-16s %-40s %6d job%s %10d", safe(M.short(e.axis, 16)), safe(M.short(e.value, 40)), e.jobs,
      e.jobs == 1 and " " or "s", e.credits)
  end
end

function M.plan(argv)
  local opts, path = parse(PLAN, "plan", argv)
  if not opts then return path end
  local top
  if opts.top then
    top = math.tointeger(tonumber(opts.top))
    if not top or top < 1 then say("plan: --top: expected a whole number of jobs (1 or more), got %q", opts.top) return EXIT.usage end
  end
  local r, jobs, min, worst, over = plan_prepared(path, opts)
  if not r then return jobs end
  local costs = require("hh.plan_costs")
  local job_worst = (over or top) and costs.worst(r, jobs)
  local shown = top and costs.top(job_worst, top)
  local function finish()
    if not over then return EXIT.ok end
    report_problems(over)
    say("%s: %d problem%s; nothing was sent", path, #over, #over == 1 and "" or "s")
    return EXIT.usage
  end
  local out_dir = opts.out or ("runs/" .. r.name)
  local bad = require("hh.journal").dir_problem(out_dir)
  if bad then say("plan: %s", bad) return EXIT.usage end
  local status, removed, tally = M.compare(out_dir, jobs)
  if opts.json then
    local out = { recipe = path, name = r.name, credits = { min = min, worst = worst, new = tally and tally.new_credits,
                  after = r.after and r.after_credits or nil, after_undeclared = (r.after and not r.after_credits) or nil },
                  budget = r.budget, run = tally and out_dir or nil, jobs = {}, removed = removed,
                  by_axis = over and costs.by_axis(jobs, job_worst) or nil }
    for n = 1, shown and #shown or #jobs do
      local j = jobs[shown and shown[n] or n]
      out.jobs[n] = { id = j.id, cell = j.cell, values = j.cell_values, variant = j.variant, sample = j.sample,
                      params = j.params, output = j.output, credits = j.credits, status = status and status[j.id] }
    end
    io.stdout:write(require("hh.json").encode(out), "\n")
    return finish()
  end
  print(string.format("%-4s %-16s %-8s %-17s %-8s %3s %-4s %3s %4s %7s  %-28s %s", "#", "job", "status", "cell",
    "variant", "smp", "mode", "dur", "cfg", "credits", "output", "prompt"))
  -- One string per row, written a thousand rows at a time: a plan has as
  -- many rows as jobs, and every string made costs while they are all alive.
  -- Columns with few values are padded once (a width in string.format goes
  -- through snprintf); ids have a fixed width.
  local format, rows = require("hh.template").format, {}
  local padded = {}
  local function pad(fmt, s, cut)
    local texts = padded[fmt]
    if not texts then texts = {} padded[fmt] = texts end
    local t = texts[s]
    if not t then t = string.format(fmt, cut and M.short(s, cut) or s) texts[s] = t end
    return t
  end
  local count = shown and #shown or #jobs
  for n = 1, count do
    local i = shown and shown[n] or n
    local j = jobs[i]
    local p = j.params
    local output = safe(j.output)
    if #output > 28 then output = M.short(output, 28) end
    rows[#rows + 1] = string.format("%-4d %s %s %s %s %3d %s %3d %s %7d  %-28s %s", i, j.id,
      pad("%-8s", status and status[j.id] or "new"), j.cell, pad("%-8s", j.variant, 8),
      j.sample, pad("%-4s", p.mode or "std"), j.duration or p.duration or 5,
      pad("%4s", p.cfg_scale and format(p.cfg_scale) or "-"), j.credits, output,
      safe(M.short(p.prompt or (p.multi_prompt and "(multi-shot)") or "", 60)))
    if #rows == 1000 or n == count then
      rows[#rows + 1] = ""
      io.stdout:write(table.concat(rows, "\n"))
      rows = {}
    end
  end
  for _, rm in ipairs(removed or {}) do
    print(string.format("%-4s %-16s %-8s %-17s %-8s %3d", "-", rm.id, "removed", rm.cell or "", M.short(rm.variant or "", 8), rm.sample or 0))
  end
  display.print("%s: %s; %d credits, up to %d %s%s", path, counts(r, jobs), min, worst, worst_text(r),
    r.budget and string.format("; budget %d", math.floor(r.budget)) or "")
  if tally then
    display.print("against %s: %d cached, %d new, %d changed, %d removed, %d pending; only new and changed jobs are billed: %d credits",
      out_dir, tally.cached, tally.new, tally.changed, #removed, tally.pending, tally.new_credits)
  end
  if shown then display.print("(the %d costliest of %d jobs; without --top, all)", #shown, #jobs) end
  if over then print_by_axis(costs.by_axis(jobs, job_worst)) end
  return finish()
end

-- Each planned job against an existing run directory: cached (done there),
-- pending (submitted or unknown there), new, or changed (the same cell,
-- variant and sample had another request there); and the journal's jobs the
-- plan no longer has (removed). nil when there is no run yet.
function M.compare(dir, jobs)
  local journal = require("hh.journal").read(dir)
  if not journal then return nil end
  local rows = journal:all()
  journal:close()
  local by_id, by_slot = {}, {}
  for _, row in ipairs(rows) do
    if not row.rerun_of then
      by_id[row.id] = row
      by_slot[(row.cell or "") .. "/" .. (row.variant or "") .. "/" .. (row.sample or "")] = row
    end
  end
  local status, seen = {}, {}
  local tally = { cached = 0, new = 0, changed = 0, pending = 0, new_credits = 0 }
  for _, j in ipairs(jobs) do
    local row = by_id[j.id]
    local st
    if row then
      seen[row.id] = true
      st = row.state == "done" and "cached" or (row.state == "new" or row.state == "skipped") and "new"
        or row.state == "failed" and "failed" or "pending"
    else
      local slot = by_slot[j.cell .. "/" .. j.variant .. "/" .. j.sample]
      if slot then seen[slot.id] = true end
      st = slot and "changed" or "new"
    end
    status[j.id] = st
    tally[st] = (tally[st] or 0) + 1
    if st == "new" or st == "changed" then tally.new_credits = tally.new_credits + j.credits end
  end
  local removed = {}
  for _, row in ipairs(rows) do
    if not row.rerun_of and not seen[row.id] then
      removed[#removed + 1] = { id = row.id, cell = row.cell, variant = row.variant, sample = row.sample, state = row.state }
    end
  end
  return status, removed, tally
end

-- How hh run ends after a signal: 128 + its number (130 for Ctrl-C).
local function signal_exit(sig) return sig and sig > 0 and 128 + sig or EXIT.interrupted end

-- The end of a run: the summary line and what is left to do.
local function report_end(r, out, summary, print_line)
  print_line(string.format("%s: %d done (%d already%s), %d failed, %d unknown, %d pending, %d skipped, %d reruns; "
    .. "charged %d credits this run%s; %s/manifest.jsonl",
    r.name, summary.done, summary.cached or 0,
    summary.reused and string.format(", %d paid for by the team", summary.reused) or "", summary.failed, summary.unknown, summary.pending, summary.skipped,
    summary.reruns, summary.credits or 0,
    (summary.possibly or 0) > 0 and string.format(" (possibly %d more)", summary.possibly) or "", out))
  if summary.running > 0 then
    say("%d task(s) not known to be finished (still running past their deadline or the interrupt, or their status "
      .. "could not be had); they stay pending: hh resume %s polls them again without paying", summary.running, out)
  end
  if summary.undelivered > 0 then
    say("%d paid result(s) not downloaded yet (see hh show %s); hh resume %s downloads them without paying again",
      summary.undelivered, out, out)
  end
  if summary.unknown > 0 then
    say("%d job(s) have an unknown submission outcome and may have been billed; see hh show %s, and resubmit "
      .. "with --resubmit-unknown if you accept paying twice", summary.unknown, out)
  end
end

function M.run(argv)
  local opts, path = parse(RUN, "run", argv)
  if not opts then return path end
  local width, budget
  if opts.concurrency then
    local n, err = args.number(opts, "concurrency", 1, 4096)
    if not n then say("run: %s", err) return EXIT.usage end
    width = math.tointeger(n)
  end
  if opts.budget then
    local n, err = args.number(opts, "budget", 0, 1e15)
    if not n then say("run: %s", err) return EXIT.usage end
    budget = math.floor(n)
  end
  local team, terr = require("hh.store").settings(opts)
  if not team then say("run: %s", terr) return EXIT.usage end
  -- A Lua recipe's files and outputs live in the run directory, known once
  -- the recipe has named itself.
  local run_dir = {}
  local r, jobs, min, worst = prepared(path, opts, nil, function() return run_dir.path end)
  if not r then return jobs end
  local out = opts.out or ("runs/" .. r.name)
  local bad = require("hh.journal").dir_problem(out)
  if bad then say("run: %s", bad) return EXIT.usage end
  M.collect_again()
  local hh, herr = M.connect(opts, r)
  if not hh then say("%s", herr) return EXIT.usage end
  local keyok, keyerr = core.check_key()
  if not keyok then say("%s", keyerr) return EXIT.refused end
  run_dir.path = out
  local progress = require("hh.progress").new({ json = opts.json, quiet = opts.quiet, total = #jobs,
                                                budget = budget or r.budget })
  local emit = function(kind, rec)
    if kind == "final" then progress:finished(rec and rec.state or "failed") else progress:event(kind, rec) end
  end
  local records, summary, err, why
  local state = {}
  local function started(ctx)
    progress.spent = ctx.committed
    if opts.quiet or opts.json then return end
    local l = ctx.ledger
    say("%s: %s, %d credits (up to %d with reruns) into %s%s", path, counts(r, jobs), min, worst, out,
      (l.charged + l.possibly) > 0 and string.format(" (already charged %d%s)", l.charged,
        l.possibly > 0 and string.format(", possibly %d more", l.possibly) or "") or "")
  end
  local failed, aborted, interrupts, signal = core.run(function()
    local running = true
    if progress.mode == "tty" then
      hh.spawn(function() while running do progress:draw() hh.sleep(1) end end)
    end
    records, summary, why = require("hh.engine").run(r, jobs, {
      out = out, concurrency = width, emit = emit, fresh = opts.fresh, resubmit_unknown = opts["resubmit-unknown"],
      retry_failed = opts["retry-failed"], recipe_path = M.absolute(path), recipe_hash = M.file_hash(path),
      budget = budget, state = state, started = started, live = true, open = opts.open,
      store = team.store, cache = team.cache, lease = team.lease,
    })
    if not records then err = summary end
    running = false
  end)
  progress:close()
  local resume_line = safe(string.format("hh: interrupted; nothing paid for is lost. Continue with: hh run %s%s  (or: hh resume %s)",
    path, opts.out and (" --out " .. opts.out) or "", out)) .. "\n"
  if aborted then
    -- A second Ctrl-C left the jobs where they were; the journal has every step.
    if state.journal then require("hh.engine").finish(state.journal) end
    io.stderr:write(resume_line)
    return signal_exit(signal)
  end
  if err then say("%s", err) return why == "budget" and EXIT.refused or EXIT.failed end
  if not summary then return EXIT.error end
  local reported, rerr = require("hh.report").write(out)
  if not reported then say("cannot write the report: %s", rerr) end
  -- Benchmarks only: the loop's counters (longest stall, requests) as JSON.
  local stats_file = os.getenv("HH_STATS")
  if stats_file and stats_file ~= "" then
    local stats = core.stats()
    if state.live then stats.live_writes, stats.live_seconds = state.live.writes, state.live.seconds end
    stats.journal, stats.store = require("hh.journal").stats, require("hh.team_run").stats
    require("hh.fs").write_atomic(stats_file, require("hh.json").encode(stats) .. "\n")
  end
  report_end(r, out, summary, opts.json and function(text) io.stderr:write(safe(text), "\n") end
    or function(text) display.print(text) end)
  if interrupts > 0 then io.stderr:write(resume_line) end
  if interrupts > 0 then return signal_exit(signal) end
  if failed > 0 then return EXIT.error end
  local stopped = core.stopped()
  if stopped and not stopped:find("^the journal") then return EXIT.refused end
  if summary.failed + summary.unknown + summary.skipped + summary.pending > 0 then return EXIT.failed end
  return EXIT.ok
end

-- hh for a run of recipe r: HH_BASE_URL, HH_SETTINGS and --base-url
-- checked, and the fields its extra: passes through declared to the host
-- profile (hh.generate refuses fields nobody declared). nil and a message.
function M.connect(opts, r)
  local names = {}
  for k in pairs(r.extra) do names[#names + 1] = k end
  table.sort(names)
  return require("hh.startup").connect({ base_url = opts["base-url"], extra_fields = names })
end

function M.parse_dir(spec_, name, argv, optional)
  local opts, rest = args.command(spec_, name, argv, M.HELP[name])
  if not opts then return nil, rest end
  if #rest > 1 or (#rest == 0 and not optional) then
    say("%s: expected one run directory (see hh help %s)", name, name)
    return nil, EXIT.usage
  end
  return opts, rest[1]
end

-- The start of resume, show and export: options, the directory and its
-- journal (read without the lock); or nil and the exit status.
function M.open_run(spec_, name, argv)
  local opts, dir = M.parse_dir(spec_, name, argv)
  if not opts then return nil, dir end
  local bad = require("hh.journal").dir_problem(dir)
  if bad then say("%s: %s", name, bad) return nil, EXIT.usage end
  local journal, err = require("hh.journal").read(dir)
  if not journal then
    say("%s: %s", dir, err or "not a run directory (no journal.db)")
    return nil, EXIT.usage
  end
  return opts, dir, journal
end

function M.resume(argv)
  local opts, dir, journal = M.open_run(RESUME, "resume", argv)
  if not opts then return dir end
  local recipe_path = journal:meta("recipe")
  local store_uri = journal:meta("store")
  journal:close()
  -- A run made with a team store goes on with it, unless told otherwise.
  if store_uri and not opts.store and not os.getenv("HH_STORE") then opts.store = store_uri end
  if not recipe_path then say("resume: %s does not say which recipe made it", dir) return EXIT.usage end
  local f = io.open(recipe_path)
  if not f then
    say("resume: the recipe %s is gone; run it again from its new place with --out %s", recipe_path, dir)
    return EXIT.usage
  end
  f:close()
  local run_argv = { [0] = argv[0], "run", recipe_path, "--out", dir }
  if opts.concurrency then run_argv[#run_argv + 1] = "--concurrency" run_argv[#run_argv + 1] = opts.concurrency end
  if opts["resubmit-unknown"] then run_argv[#run_argv + 1] = "--resubmit-unknown" end
  if opts.budget then run_argv[#run_argv + 1] = "--budget" run_argv[#run_argv + 1] = opts.budget end
  if opts.quiet then run_argv[#run_argv + 1] = "--quiet" end
  for _, name in ipairs({ "store", "cache", "lease" }) do
    if opts[name] then run_argv[#run_argv + 1] = "--" .. name run_argv[#run_argv + 1] = opts[name] end
  end
  return M.run(run_argv)
end

return M
