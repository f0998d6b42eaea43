-- hh.engine: runs a recipe's jobs on the loop: submits within the budget,
-- waits and downloads each result into the run directory, applies rerun
-- rules to what came back, and records one manifest line a job. Jobs run
-- `concurrency` at a time (tasks in flight at the host, not HTTP transfers).

local hh = require("hh")
local core = require("hh.core")
local fs = require("hh.fs")
local json = require("hh.json")

local M = {}

-- The failure class of an outcome, for rerun rules.
local function class_of(outcome)
  if outcome.state == "done" then return nil end
  local c = outcome.class
  if c == "failed" or c == "cancelled" then
    return outcome.failure_class == "policy" and "policy" or "failed"
  end
  if c == "invalid" then return "invalid" end
  if c == "quota" or c == "forbidden" or c == "auth" then return "quota" end
  if c == "timeout" then return "timeout" end
  if c == "unknown" then return "unknown" end
  return "transient"
end
M.class_of = class_of

local function rule_matches(rule, outcome, job, r)
  local class = class_of(outcome)
  if rule.classes then
    if not class then return false end
    if rule.classes[class] then return true end
    -- "any" and "failed" never cover policy rejections or unknown outcomes:
    -- those are only rerun when a rule names them.
    if class == "policy" or class == "unknown" then return false end
    return rule.classes.any or false
  end
  if class == "policy" or class == "unknown" then return false end
  local vars = {
    status = outcome.state == "done" and "succeeded" or (outcome.status or "failed"),
    class = class, error = outcome.error, size = outcome.bytes or 0,
    duration = job.duration, seconds = outcome.seconds, polls = outcome.polls,
    job = job.params, cell = job.cell_values, sample = job.sample, variant = job.variant,
    result = { status = outcome.state, size = outcome.bytes or 0, file = outcome.file, url = outcome.url,
               error = outcome.error, seconds = outcome.seconds },
  }
  for k, v in pairs(r.vars) do if vars[k] == nil then vars[k] = v end end
  for k, v in pairs(job.cell_values) do if vars[k] == nil then vars[k] = v end end
  local value, err = require("hh.sandbox").evaluate(rule.expr, vars)
  if err then
    io.stderr:write("hh: ", err, "\n")
    return false
  end
  return value and true or false
end

local function rerun_of(job, rule, n, r)
  local params = {}
  for k, v in pairs(job.params) do params[k] = v end
  -- set: values are templates like the recipe's ({prompt} is the job's prompt)
  local function lookup(name)
    local v = job.cell_values[name]
    if v == nil then v = r.vars[name] end
    if v == nil and name == "sample" then v = job.sample end
    if v == nil and name == "variant" then v = job.variant end
    if v == nil and name == "cell" then v = job.cell end
    if v == nil then v = job.params[name] end
    return v
  end
  for k, v in pairs(rule.set) do
    if type(v) == "string" and v:find("{", 1, true) then
      v = require("hh.template").render(v, lookup) or v
    end
    params[k] = v
  end
  if params.seed == "new" then
    params.seed = tonumber(core.sha256(job.id .. "/rerun/" .. rule.index .. "/" .. n):sub(1, 7), 16)
  end
  local _, duration = require("hh.rules").check(params)
  local out = job.output:gsub("(%.[%w]+)$", string.format("-r%d%%1", n))
  if out == job.output then out = job.output .. "-r" .. n end
  return {
    id = job.id .. "-r" .. n, index = job.index, cell = job.cell, cell_values = job.cell_values,
    sample = job.sample, variant = job.variant, params = params, output = out,
    credits = require("hh.rules").price(params, duration), duration = duration,
    rerun_of = job.id, rerun_rule = rule.index, original = job.original or job.id,
  }
end

-- A journal write that fails (a full disk, a read-only directory) must not
-- lose a paid task: say everything about it on stderr, stop new submissions.
local function journal_write(ctx, what, fn, ...)
  local ok, err = pcall(fn, ctx.journal, ...)
  if ok then return true end
  io.stderr:write(string.format("hh: cannot write the journal (%s): %s\n", what, tostring(err)))
  core.stop("the journal cannot be written: " .. tostring(err))
  return false
end

-- Waits for a task already paid for, downloads its result; fills rec.
local function wait_and_fetch(job, ctx, rec, task)
  local path, perr = fs.beneath(ctx.out, job.output)
  if not path then
    rec.state, rec.class, rec.error = "failed", "invalid", perr
    return
  end
  local t0 = hh.now()
  local res, werr, wclass, wres = hh.wait(task, { output = path, deadline = ctx.deadline })
  rec.seconds = (rec.seconds or 0) + (hh.now() - t0)
  if res then
    rec.state, rec.file, rec.bytes, rec.polls, rec.url = "done", job.output, res.bytes, res.polls, res.url
    rec.sha256 = fs.sha256_file(path)
    ctx.emit("downloaded", rec)
  else
    rec.state, rec.class, rec.error = "failed", wclass, werr
    if wres then rec.failure_class, rec.status = wres.failure_class, wres.status end
    ctx.emit("failed", rec)
  end
end

-- The record of a job as the journal left it.
local function record_of(job, row)
  return {
    job = job.id, cell = job.cell, variant = job.variant, sample = job.sample, params = job.params,
    cell_values = job.cell_values, credits = job.credits, output = job.output,
    rerun_of = job.rerun_of, rerun_rule = job.rerun_rule,
    state = row and row.state or "new", task_id = row and row.task_id, class = row and row.class,
    error = row and row.error, failure_class = row and row.failure_class, file = row and row.file,
    bytes = row and row.bytes, sha256 = row and row.sha256, polls = row and row.polls,
    seconds = row and row.seconds,
  }
end

-- Failures whose task may still hold a good result: wait for it again.
local REFETCH = { download = true, bad_file = true, too_large = true, transport = true, timeout = true,
                  no_url = false, bad_url = false }

-- Runs one job (no reruns), picking up where the journal says it stopped.
local function attempt(job, ctx)
  local j = ctx.journal
  local row = j:get(job.id)
  local rec = record_of(job, row)
  local state = row and row.state or "new"

  if state == "done" and not ctx.fresh then
    local size = fs.size(ctx.out .. "/" .. (row.file or job.output))
    if size and size == row.bytes then
      rec.cached = true
      ctx.emit("cached", rec)
      return rec
    end
    state = row.task_id and "submitted" or "new" -- the file went missing: fetch it again
  end
  if state == "failed" and not ctx.fresh then
    if row.task_id and REFETCH[row.class] then
      state = "submitted"
    elseif row.task_id or row.class ~= "not_sent" then
      if not ctx.retry_failed then return rec end
      state = "new"
    else
      state = "new"
    end
  end
  if (state == "submitting" or state == "unknown") and not ctx.fresh then
    -- Sent before, outcome never known: it may have been billed.
    if not (ctx.resubmit_unknown or ctx.idempotent) then
      rec.state = "unknown"
      rec.class = "unknown"
      rec.error = rec.error or ("sent, but hh stopped before the answer arrived; it may have been billed "
        .. "(resubmit with --resubmit-unknown)")
      journal_write(ctx, "outcome", j.finish, job.id, "unknown", rec)
      ctx.emit("unknown", rec)
      return rec
    end
    state = "new"
  end

  if state == "submitted" and rec.task_id then
    ctx.emit("resumed", rec)
    wait_and_fetch(job, ctx, rec, rec.task_id)
    journal_write(ctx, "outcome", j.finish, job.id, rec.state, rec)
    return rec
  end

  -- A new submission.
  if ctx.budget and ctx.spent + job.credits > ctx.budget then
    rec.state, rec.class, rec.error = "skipped", "budget",
      string.format("not submitted: %d credits would pass the budget of %d (%d spent)", job.credits, ctx.budget, ctx.spent)
    journal_write(ctx, "skip", j.finish, job.id, "skipped", rec)
    return rec
  end
  local stopped, interrupted = core.stopped()
  if stopped then
    rec.state, rec.class, rec.error = "skipped", interrupted and "interrupted" or "stopped", "not submitted: " .. stopped
    journal_write(ctx, "skip", j.finish, job.id, "skipped", rec)
    return rec
  end
  local path, perr = fs.beneath(ctx.out, job.output)
  if not path then
    rec.state, rec.class, rec.error = "failed", "invalid", perr
    journal_write(ctx, "outcome", j.finish, job.id, "failed", rec)
    return rec
  end
  -- One key per job, so a resubmitted unknown outcome is recognised by a host
  -- that honours keys; a deliberate new attempt (--fresh, --retry-failed)
  -- after a known outcome gets a key of its own.
  local key = "hh-" .. job.id
  if row and (row.state == "done" or row.state == "failed") and row.task_id then
    key = key .. "-" .. ((row.attempts or 0) + 1)
  end
  -- The intent is journaled by the loop just before the request's first
  -- byte (on_send): a job still queued when hh dies is simply not sent yet.
  local n, intent_err
  local function on_send()
    local ok, res = pcall(j.intent, j, job, key)
    if ok then n = res return end
    intent_err = tostring(res)
    error(intent_err, 0)
  end
  ctx.spent = ctx.spent + job.credits -- reserved before the POST: a concurrent job sees it
  local task, msg, class = hh.generate(job.params, { idempotency_key = key, on_send = on_send })
  if intent_err then
    ctx.spent = ctx.spent - job.credits
    io.stderr:write("hh: cannot write the journal before submitting: ", intent_err, "\n")
    core.stop("the journal cannot be written: " .. intent_err)
    rec.state, rec.class, rec.error = "skipped", "journal", "not submitted: the journal cannot be written (" .. intent_err .. ")"
    return rec
  end
  rec.billed_now = task ~= nil or class == "unknown"
  if not task then
    if class ~= "unknown" then ctx.spent = ctx.spent - job.credits end
    rec.state = class == "unknown" and "unknown" or (class == "stopped" or class == "interrupted") and "skipped" or "failed"
    rec.class, rec.error = class, msg
    if n then journal_write(ctx, "outcome", j.attempt_outcome, job.id, n, rec.state, msg) end
    journal_write(ctx, "outcome", j.finish, job.id, rec.state, rec)
    ctx.emit(rec.state == "unknown" and "unknown" or "failed", rec)
    return rec
  end
  rec.task_id = task.id
  ctx.answers = (ctx.answers or 0) + 1
  if ctx.crash_after_answers and ctx.answers >= ctx.crash_after_answers then
    -- Tests only (HH_CRASH_AFTER_ANSWERS): die between a paid answer and its journal entry.
    io.stderr:write("hh: crashing on purpose before journaling task ", task.id, "\n")
    os.exit(137, false)
  end
  if not journal_write(ctx, "task id", j.submitted, job.id, n, task.id) then
    io.stderr:write(string.format("hh: job %s is task %s (paid): keep this line\n", job.id, task.id))
  end
  ctx.emit("submitted", rec)
  wait_and_fetch(job, ctx, rec, task)
  journal_write(ctx, "outcome", j.finish, job.id, rec.state, rec)
  return rec
end

-- Runs a job and the reruns its outcomes call for; every attempt recorded.
local function run_job(job, ctx, r)
  local records = {}
  local counts = {}
  local current = job
  while true do
    local rec = attempt(current, ctx)
    records[#records + 1] = rec
    if rec.state == "skipped" then break end
    local chosen
    for _, rule in ipairs(r.reruns) do
      if (counts[rule.index] or 0) < rule.max and rule_matches(rule, rec, current, r) then
        chosen = rule
        break
      end
    end
    if not chosen then break end
    counts[chosen.index] = (counts[chosen.index] or 0) + 1
    local n = 0
    for _, c in pairs(counts) do n = n + c end
    rec.rerun_by = chosen.index
    current = rerun_of(job, chosen, n, r)
    ctx.emit("rerun", { job = current.id, rerun_of = current.rerun_of, rule = chosen.index })
  end
  ctx.emit("final", records[#records])
  return records
end

-- Runs every job; returns the records (in job order, reruns after their
-- original) and a summary.
function M.run(r, jobs, opts)
  local jobs_after = {}
  local journal, jerr = require("hh.journal").open(opts.out)
  if not journal then return nil, jerr end
  local planned, perr = pcall(journal.plan, journal, jobs, opts.recipe_hash, true)
  if not planned then journal:close() return nil, "cannot write the journal: " .. tostring(perr) end
  if opts.recipe_path then pcall(journal.set_meta, journal, "recipe", opts.recipe_path) end
  pcall(journal.set_meta, journal, "name", r.name)
  local ctx = {
    out = opts.out, spent = 0, budget = opts.budget or r.budget, deadline = r.deadline,
    emit = opts.emit or function() end, journal = journal, fresh = opts.fresh,
    resubmit_unknown = opts.resubmit_unknown, retry_failed = opts.retry_failed,
    idempotent = hh.config().idempotent_host,
    crash_after_answers = tonumber(os.getenv("HH_CRASH_AFTER_ANSWERS") or ""),
  }
  -- Credits already committed by earlier runs of this directory count too.
  for _, row in ipairs(journal:all()) do
    if row.task_id or row.state == "unknown" or row.state == "submitting" then
      ctx.spent = ctx.spent + (row.credits or 0)
    end
  end
  if ctx.fresh then ctx.spent = 0 end
  local width = opts.concurrency or r.concurrency or 8
  local per_job = hh.map(jobs, function(job) return run_job(job, ctx, r) end, { concurrency = width })
  if r.after then
    -- A Lua recipe's after(results, run): run(list) makes more jobs from
    -- the recipe's fields plus each entry, within the same budget.
    local firsts = {}
    for i = 1, #jobs do
      local list = per_job[i] or {}
      firsts[#firsts + 1] = list[#list]
    end
    local extra = 0
    local function run_more(list)
      local more = {}
      for _, entry in ipairs(list) do
        extra = extra + 1
        local params = {}
        for k, v in pairs(r.extra) do params[k] = v end
        for k, v in pairs(r.fields) do params[k] = v end
        for k, v in pairs(entry) do if k ~= "output" then params[k] = v end end
        local problems, duration = require("hh.rules").check(params)
        if #problems > 0 then
          error(string.format("run: entry %d: %s: %s", extra, problems[1].field, problems[1].rule), 2)
        end
        local job = {
          id = "j" .. core.sha256(json.encode({ params = params, after = extra })):sub(1, 15),
          index = #jobs + extra, cell = "after", cell_values = {}, sample = 1, variant = "after",
          params = params, output = entry.output or string.format("after-%d.mp4", extra),
          credits = require("hh.rules").price(params, duration), duration = duration,
        }
        more[#more + 1] = job
      end
      local recs = hh.map(more, function(job) return run_job(job, ctx, r) end, { concurrency = width })
      local out = {}
      for i = 1, #more do
        per_job[#jobs + i + (extra - #more)] = recs[i]
        jobs_after[#jobs_after + 1] = more[i]
        local l = recs[i] or {}
        out[i] = l[#l]
      end
      return out
    end
    r.after(firsts, run_more)
  end
  local records, summary = {}, { jobs = #jobs + #jobs_after, done = 0, failed = 0, skipped = 0, unknown = 0, reruns = 0, credits = 0 }
  for i = 1, #jobs + #jobs_after do
    local list = per_job[i] or {}
    for _, rec in ipairs(list) do
      records[#records + 1] = rec
      if rec.rerun_of then summary.reruns = summary.reruns + 1 end
      if rec.billed_now then summary.credits = summary.credits + (rec.credits or 0) end
      if rec.cached then summary.cached = (summary.cached or 0) + 1 end
    end
    local final = list[#list]
    local state = final and final.state or "failed"
    summary[state] = (summary[state] or 0) + 1
  end
  local ok, wrote, werr = pcall(journal.write_manifest, journal)
  journal:close()
  if not ok or not wrote then
    io.stderr:write("hh: cannot write manifest.jsonl: ", tostring(ok and werr or wrote), "\n")
  end
  return records, summary
end

return M
