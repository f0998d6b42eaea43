-- hh.reruns: a recipe's rerun rules applied to what came back: the class
-- of an outcome (failed, policy, invalid, quota, transient, timeout,
-- unknown, qc_failed), whether a rule matches it (by class, or a sandboxed expression
-- over the job and its result), and the rerun job a rule makes.

local core = require("hh.core")

local M = {}

-- The failure class of an outcome, for rerun rules.
local function class_of(outcome)
  local st = outcome.state
  -- A delivered clip the media checks flagged: paid for and playable, so
  -- only a rule naming qc_failed reruns it.
  if st == "done" then return outcome.qc and outcome.qc.flagged and "qc_failed" or nil end
  if st == "succeeded" or st == "skipped" then return nil end
  -- A task still running may finish and be billed: only a rule that names
  -- "timeout" reruns one past its deadline; an interrupted one never.
  if st == "submitted" then return outcome.class == "timeout" and "timeout" or nil end
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

-- Does `rule` call for a rerun of `job` after `outcome`? Pending outcomes
-- (a paid success not downloaded yet, a task still running, never sent)
-- are not failures: nothing reruns them but a rule naming "timeout".
function M.matches(rule, outcome, job, r)
  local class = class_of(outcome)
  if rule.classes then
    if not class then return false end
    if rule.classes[class] then return true end
    if class == "qc_failed" then return false end
    -- "any" and "failed" never cover policy rejections, unknown outcomes or
    -- tasks past their deadline: those are only rerun when a rule names them.
    if class == "policy" or class == "unknown" or class == "timeout" then return false end
    return rule.classes.any or false
  end
  if not class and outcome.state ~= "done" then return false end
  if class == "policy" or class == "unknown" or class == "timeout" then return false end
  -- A rule over the checks never fires on a clip that was not checked.
  if rule.uses_qc and outcome.state == "done" and not (outcome.qc and not outcome.qc.error) then return false end
  local vars = {
    status = outcome.state == "done" and "succeeded" or (outcome.status or "failed"),
    class = class, error = outcome.error, size = outcome.bytes or 0,
    duration = job.duration, seconds = outcome.seconds, polls = outcome.polls,
    job = job.params, cell = job.cell_values, sample = job.sample, variant = job.variant,
    qc = outcome.qc and require("hh.qc").view(outcome.qc),
    result = { status = outcome.state, size = outcome.bytes or 0, file = outcome.file, url = outcome.url,
               error = outcome.error, seconds = outcome.seconds },
  }
  for k, v in pairs(r.vars) do if vars[k] == nil then vars[k] = v end end
  for k, v in pairs(job.cell_values) do if vars[k] == nil then vars[k] = v end end
  local value, err = require("hh.sandbox").evaluate(rule.expr, vars)
  if err then
    require("hh.display").say("%s", err)
    return false
  end
  return value and true or false
end

-- The n-th rerun of `job` by `rule`: its request with the rule's `set:`.
function M.job(job, rule, n, r)
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

return M
