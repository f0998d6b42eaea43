-- hh.engine: runs a recipe's jobs on the loop. Each job is picked up where
-- the journal left it (hh.attempt), rerun rules are applied to what came
-- back (hh.reruns), and a budget bounds everything the run directory has
-- been charged or may have been, reruns and --fresh included. Jobs run
-- `concurrency` at a time (tasks in flight at the host, not HTTP transfers);
-- the run ends with one manifest line a job.

local hh = require("hh")
local core = require("hh.core")
local json = require("hh.json")
local attempt = require("hh.attempt")
local reruns = require("hh.reruns")
local qc_run = require("hh.qc_run")

local M = {}

-- Runs a job and the reruns its outcomes call for; every attempt recorded.
local function run_job(job, ctx, r)
  local records, counts, current = {}, {}, job
  while true do
    local rec = attempt.run(current, ctx)
    records[#records + 1] = rec
    -- Another worker of the team holds it: the engine comes back to it.
    if rec.state == "deferred" then return records end
    if rec.state == "skipped" then break end
    -- Checked as soon as the clip is on disk: in this job when a rerun rule
    -- reads the checks, else beside it (the job's slot goes to the next one).
    if rec.state == "done" and ctx.qc then
      if r.needs_qc then
        qc_run.attach(rec, current, ctx)
      else
        ctx.checks[#ctx.checks + 1] = hh.spawn(qc_run.attach, rec, current, ctx)
      end
    end
    local chosen
    for _, rule in ipairs(r.reruns) do
      if (counts[rule.index] or 0) < rule.max and reruns.matches(rule, rec, current, r) then
        chosen = rule
        break
      end
    end
    if not chosen then break end
    counts[chosen.index] = (counts[chosen.index] or 0) + 1
    local n = 0
    for _, c in pairs(counts) do n = n + c end
    rec.rerun_by = chosen.index
    current = reruns.job(job, chosen, n, r)
    ctx.emit("rerun", { job = current.id, rerun_of = current.rerun_of, rule = chosen.index })
  end
  ctx.emit("final", records[#records])
  return records
end

-- Before anything is sent: the jobs this run would submit, at their worst
-- (every rerun), on top of what the directory was charged or may have
-- been, must fit the budget. nil, or the refusal.
local function over_budget(ctx, r, jobs, rows)
  if not ctx.budget then return nil end
  local sending = {}
  for _, job in ipairs(jobs) do
    local a = attempt.action(job, rows[job.id], ctx)
    -- A resend to a host that honours keys is already counted as possibly charged.
    if a == "submit" or (a == "resend" and not ctx.idempotent) then sending[#sending + 1] = job end
  end
  -- What a teammate has done is taken, not paid for.
  if ctx.team and #sending > 0 then
    local done = ctx.team:done_ids(sending)
    local still = {}
    for _, job in ipairs(sending) do if not done[job.id] then still[#still + 1] = job end end
    sending = still
  end
  -- after() runs again on every run: its declared credits count until it
  -- has made jobs (later runs find those in the journal).
  local after = r.after and r.after_credits or 0
  for _, row in pairs(rows) do if row.cell == "after" then after = 0 break end end
  if #sending == 0 and after == 0 then return nil end
  local _, worst = require("hh.expand").costs(r, sending)
  worst = worst + after
  if ctx.committed + worst <= ctx.budget then return nil end
  local l = ctx.ledger
  return string.format("not started: %s has been charged %d credits (%d possibly charged by %d unknown outcome(s)); "
    .. "this run would submit %d job(s) costing up to %d more, past the budget of %d. "
    .. "To allow it, raise the budget for this run: --budget %d",
    ctx.out, l.charged, l.possibly, l.unknown_attempts, #sending, worst, ctx.budget, ctx.committed + worst)
end

-- A Lua recipe's after(results, run): run(list) makes more jobs from the
-- recipe's fields plus each entry, within the same budget.
local function run_after(r, jobs, per_job, jobs_after, ctx, width)
  local firsts = {}
  for i = 1, #jobs do
    local list = per_job[i] or {}
    firsts[#firsts + 1] = list[#list]
  end
  local extra, declared = 0, 0
  local function run_more(list)
    local more = {}
    local data, where, why = require("hh.plain").copy(list, { root = "run" })
    if not data then error(string.format("%s: %s", where, why), 2) end
    for _, entry in ipairs(data) do
      extra = extra + 1
      local params = {}
      for k, v in pairs(r.extra) do params[k] = v end
      for k, v in pairs(r.fields) do params[k] = v end
      for k, v in pairs(entry) do if k ~= "output" then params[k] = v end end
      if entry.output ~= nil then
        local why = require("hh.sandbox").name_problem(entry.output)
        if why then error(string.format("run: entry %d: output %q: %s", extra, tostring(entry.output), why), 2) end
      end
      local problems, duration = require("hh.rules").check(params)
      if #problems > 0 then
        error(string.format("run: entry %d: %s: %s", extra, problems[1].field, problems[1].rule), 2)
      end
      more[#more + 1] = {
        id = "j" .. core.sha256(json.encode({ params = params, after = extra })):sub(1, 15),
        index = #jobs + extra, cell = "after", cell_values = {}, sample = 1, variant = "after",
        params = params, output = entry.output or string.format("after-%d.mp4", extra),
        credits = require("hh.rules").price(params, duration), duration = duration,
      }
    end
    if r.after_credits then
      local _, worst = require("hh.expand").costs(r, more)
      if declared + worst > r.after_credits then
        error(string.format("run: %d job(s) costing up to %d credits (with reruns) would pass after_credits = %d "
          .. "(%d already asked for); nothing was sent", #more, worst, r.after_credits, declared), 2)
      end
      declared = declared + worst
    end
    local recs = hh.map(more, function(job) return run_job(job, ctx, r) end, { concurrency = width })
    if ctx.team then
      require("hh.team_run").wait_deferred(more, recs, ctx, width, function(job) return run_job(job, ctx, r) end)
    end
    local out = {}
    for i = 1, #more do
      per_job[#jobs + i + (extra - #more)] = recs[i]
      jobs_after[#jobs_after + 1] = more[i]
      local l = recs[i] or {}
      out[i] = l[#l]
    end
    return out
  end
  -- The recipe's own code: limited unless trusted; an error in it ends
  -- after() and is reported, and the run still ends with its manifest.
  local ok, err
  if r.after_untrusted then
    ok, err = require("hh.sandbox").run_recipe_code(r.after, firsts, run_more)
  else
    ok, err = xpcall(r.after, debug.traceback, firsts, run_more)
  end
  if not ok then
    io.stderr:write("hh: error in after(): ", tostring(err), "\n")
    core.job_failed()
  end
end

-- Counts by final state, reruns and cached jobs, and what this run was
-- charged or possibly charged (from the journal, so it equals the host's
-- ledger wherever the host reports its charges).
local function summarise(journal, per_job, n)
  local summary = { jobs = n, done = 0, failed = 0, skipped = 0, unknown = 0, pending = 0, reruns = 0,
                    running = 0, undelivered = 0 }
  local records = {}
  for i = 1, n do
    local list = per_job[i] or {}
    for _, rec in ipairs(list) do
      records[#records + 1] = rec
      if rec.rerun_of then summary.reruns = summary.reruns + 1 end
      if rec.cached then summary.cached = (summary.cached or 0) + 1 end
      if rec.reused then summary.reused = (summary.reused or 0) + 1 end
    end
    local final = list[#list]
    local state = final and final.state or "failed"
    if state == "submitted" then
      summary.running = summary.running + 1
      state = "pending"
    elseif state == "succeeded" then
      summary.undelivered = summary.undelivered + 1
      state = "pending"
    end
    summary[state] = (summary[state] or 0) + 1
  end
  local ok, l = pcall(journal.ledger, journal, journal.run)
  if ok then summary.credits, summary.possibly = l.charged, l.possibly end
  return records, summary
end

-- The recipe's axes as the report lays them out: in the order written, a
-- zip group or the rows block as one axis named by its members.
function M.axes_of(r)
  local list = {}
  local sorted = {}
  for _, a in ipairs(r.axes or {}) do sorted[#sorted + 1] = a end
  table.sort(sorted, function(a, b) return (a.written or 0) < (b.written or 0) end)
  for _, a in ipairs(sorted) do
    list[#list + 1] = { name = a.group or a.names[1], members = a.names, zip = a.group ~= nil, count = #a.rows }
  end
  if r.rows and #r.rows > 0 then
    local seen, members = {}, {}
    for _, row in ipairs(r.rows) do
      for k in pairs(row.values) do if not seen[k] then seen[k] = true members[#members + 1] = k end end
    end
    table.sort(members)
    list[#list + 1] = { name = "rows", members = members, rows = true, count = #r.rows }
  end
  return list
end

-- Runs every job; returns the records (in job order, reruns after their
-- original) and a summary, or nil, a message and "budget" when the budget
-- refuses the run. opts.state.journal is the open journal while it runs (a
-- second Ctrl-C abandons the jobs; the caller still writes the manifest).
function M.run(r, jobs, opts)
  local journal, jerr = require("hh.journal").open(opts.out)
  if not journal then return nil, jerr end
  local planned, perr = pcall(journal.plan, journal, jobs, opts.recipe_hash, true)
  if not planned then journal:close() return nil, "cannot write the journal: " .. tostring(perr) end
  if opts.recipe_path then pcall(journal.set_meta, journal, "recipe", opts.recipe_path) end
  pcall(journal.set_meta, journal, "name", r.name)
  pcall(journal.set_meta, journal, "axes", json.encode(M.axes_of(r)))
  local ledger = journal:ledger()
  local ctx = {
    out = opts.out, budget = opts.budget or r.budget, deadline = r.deadline, ledger = ledger,
    committed = ledger.charged + ledger.possibly,
    emit = opts.emit or function() end, journal = journal, fresh = opts.fresh,
    resubmit_unknown = opts.resubmit_unknown, retry_failed = opts.retry_failed,
    idempotent = hh.config().idempotent_host,
    crash_after_answers = tonumber(os.getenv("HH_CRASH_AFTER_ANSWERS") or ""),
    qc = opts.qc ~= false and qc_run.context(r.qc) or nil, checks = {},
  }
  if ctx.qc and ctx.qc.available then pcall(journal.set_meta, journal, "qc", json.encode(r.qc or json.object())) end
  if ctx.budget then ctx.budget = math.floor(ctx.budget) end
  -- What earlier runs saw of render times, so a resumed task's deadline and
  -- polls need not wait for new completions.
  local okt, times = pcall(journal.render_times, journal)
  for _, t in ipairs(okt and times or {}) do
    local p = json.decode(t.params) or {}
    local _, duration = require("hh.rules").check(p)
    core.observe(attempt.kind(p, duration), t.seconds)
  end
  if opts.store then
    local team, terr = require("hh.team_run").open(opts, r, jobs, journal)
    if not team then journal:close() return nil, terr end
    ctx.team = team
  end
  local rows = {}
  for _, row in ipairs(journal:all()) do rows[row.id] = row end
  local refusal = over_budget(ctx, r, jobs, rows)
  if refusal then
    if ctx.team then require("hh.team_run").close(ctx.team) end
    journal:close()
    return nil, refusal, "budget"
  end
  rows = nil
  local ok, rerr = pcall(journal.begin_run, journal)
  if not ok then journal:close() return nil, "cannot write the journal: " .. tostring(rerr) end
  if ctx.budget then pcall(journal.set_meta, journal, "budget", tostring(ctx.budget)) end
  if opts.state then opts.state.journal, opts.state.committed = journal, ctx.committed end
  if opts.started then opts.started(ctx) end
  if opts.live then
    -- The report follows the run: each job that changes is written again
    -- with the next rewrite (every few seconds at most).
    ctx.live = require("hh.report_live").new(opts.out, journal)
    ctx.live.open = opts.open
    if opts.state then opts.state.live = ctx.live end
    local emit = ctx.emit
    ctx.emit = function(kind, rec)
      emit(kind, rec)
      if rec and rec.job and kind ~= "submitted" and kind ~= "resumed" then ctx.live:touch(rec.job) end
    end
  end

  local width = opts.concurrency or r.concurrency or 8
  local jobs_after = {}
  local per_job = hh.map(jobs, function(job) return run_job(job, ctx, r) end, { concurrency = width })
  if ctx.team then
    require("hh.team_run").wait_deferred(jobs, per_job, ctx, width, function(job) return run_job(job, ctx, r) end)
  end
  if r.after then run_after(r, jobs, per_job, jobs_after, ctx, width) end
  for _, check in ipairs(ctx.checks) do check:join() end
  if ctx.live then pcall(ctx.live.flush, ctx.live, true) end
  local records, summary = summarise(journal, per_job, #jobs + #jobs_after)
  if ctx.team then require("hh.team_run").close(ctx.team) end
  M.finish(journal)
  if opts.state then opts.state.journal = nil end
  return records, summary
end

-- Writes the manifest from the journal and closes it.
function M.finish(journal)
  local ok, wrote, werr = pcall(journal.write_manifest, journal)
  journal:close()
  if not ok or not wrote then
    require("hh.display").say("cannot write manifest.jsonl: %s", tostring(ok and werr or wrote))
  end
end

return M
