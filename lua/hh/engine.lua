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

-- Runs one job (no reruns): the outcome record.
local function attempt(job, ctx)
  local rec = {
    job = job.id, cell = job.cell, variant = job.variant, sample = job.sample, params = job.params,
    cell_values = job.cell_values, credits = job.credits, output = job.output,
    rerun_of = job.rerun_of, rerun_rule = job.rerun_rule,
  }
  if ctx.budget and ctx.spent + job.credits > ctx.budget then
    rec.state, rec.class, rec.error = "skipped", "budget",
      string.format("not submitted: %d credits would pass the budget of %d (%d spent)", job.credits, ctx.budget, ctx.spent)
    return rec
  end
  local path, perr = fs.beneath(ctx.out, job.output)
  if not path then
    rec.state, rec.class, rec.error = "failed", "invalid", perr
    return rec
  end
  ctx.spent = ctx.spent + job.credits -- reserved before the POST: a concurrent job sees it
  local t0 = hh.now()
  local task, msg, class = hh.generate(job.params, { idempotency_key = "hh-" .. job.id })
  if not task then
    if class ~= "unknown" then ctx.spent = ctx.spent - job.credits end
    rec.state = class == "unknown" and "unknown" or (class == "stopped" or class == "interrupted") and "skipped" or "failed"
    rec.class, rec.error = class, msg
    if class ~= "unknown" then rec.credits = 0 end
    ctx.emit("failed", rec)
    return rec
  end
  rec.task_id = task.id
  ctx.emit("submitted", rec)
  local res, werr, wclass, wres = hh.wait(task, { output = path, deadline = ctx.deadline })
  rec.seconds = hh.now() - t0
  if res then
    rec.state, rec.file, rec.bytes, rec.polls, rec.url = "done", job.output, res.bytes, res.polls, res.url
    ctx.emit("downloaded", rec)
  else
    rec.state, rec.class, rec.error = "failed", wclass, werr
    if wres then rec.failure_class, rec.status = wres.failure_class, wres.status end
    ctx.emit("failed", rec)
  end
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
  return records
end

-- Runs every job; returns the records (in job order, reruns after their
-- original) and a summary.
function M.run(r, jobs, opts)
  local jobs_after = {}
  local ok, err = fs.mkdirs(opts.out)
  if not ok then return nil, err end
  local ctx = {
    out = opts.out, spent = 0, budget = opts.budget or r.budget, deadline = r.deadline,
    emit = opts.emit or function() end,
  }
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
      if rec.task_id or rec.state == "unknown" then summary.credits = summary.credits + (rec.credits or 0) end
    end
    local final = list[#list]
    local state = final and final.state or "failed"
    summary[state] = (summary[state] or 0) + 1
  end
  local lines = {}
  for _, rec in ipairs(records) do lines[#lines + 1] = json.encode(rec) end
  local wrote, werr = fs.write_atomic(opts.out .. "/manifest.jsonl", table.concat(lines, "\n") .. (#lines > 0 and "\n" or ""))
  if not wrote then return nil, werr end
  return records, summary
end

return M
