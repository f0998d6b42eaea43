-- hh.plan_costs: where a plan's credits come from. The worst case of each
-- job (its price and every rerun its rules allow), the costliest jobs, and
-- the worst case summed by each axis value, so a plan over its budget shows
-- what to cut.

local expand = require("hh.expand")
local json = require("hh.json")

local M = {}

-- The worst case of each job, by index.
function M.worst(r, jobs)
  local list = {}
  for i, job in ipairs(jobs) do
    local _, w = expand.costs(r, { job })
    list[i] = w
  end
  return list
end

-- The indexes of the n costliest jobs at their worst, in plan order.
function M.top(worst, n)
  local order = {}
  for i = 1, #worst do order[i] = i end
  table.sort(order, function(a, b)
    if worst[a] ~= worst[b] then return worst[a] > worst[b] end
    return a < b
  end)
  local keep = {}
  for i = 1, math.min(n, #order) do keep[#keep + 1] = order[i] end
  table.sort(keep)
  return keep
end

local function text(v)
  if type(v) == "string" then return v end
  return json.encode(v)
end

-- The worst case by axis value: { { axis, value, jobs, credits }... }, each
-- axis (cell value names, sorted, then variant) its values costliest first.
function M.by_axis(jobs, worst)
  local axes, seen = {}, {}
  for _, job in ipairs(jobs) do
    for k in pairs(job.cell_values or {}) do
      if not seen[k] then seen[k] = true axes[#axes + 1] = k end
    end
  end
  table.sort(axes)
  axes[#axes + 1] = "variant"
  local rows = {}
  for _, name in ipairs(axes) do
    local by, order = {}, {}
    for i, job in ipairs(jobs) do
      local v
      if name == "variant" then v = job.variant else v = (job.cell_values or {})[name] end
      local key = v == nil and "-" or text(v)
      local e = by[key]
      if not e then
        e = { axis = name, value = key, jobs = 0, credits = 0, first = i }
        by[key] = e
        order[#order + 1] = e
      end
      e.jobs, e.credits = e.jobs + 1, e.credits + worst[i]
    end
    if #order > 1 then
      table.sort(order, function(a, b)
        if a.credits ~= b.credits then return a.credits > b.credits end
        return a.first < b.first
      end)
      for _, e in ipairs(order) do e.first = nil rows[#rows + 1] = e end
    end
  end
  return rows
end

return M
