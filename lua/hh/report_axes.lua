-- hh.report_axes: the axes of a run's grid, from the report data (hh.report
-- M.data), and which two the grid opens on. Pure: no files, no processes.
-- hh report --grid-image uses it; the rule is the one docs/report.md gives
-- for the page, so the image and the page open on the same grid.
--
-- An axis is { name, members, values = {key...}, labels = {key = label} }.
-- A sweep axis's value key is its value (a string as it is, anything else
-- as JSON); a zip group or the rows block is ONE axis whose value is the
-- tuple of its members' values, keyed and labelled "a=1, b=x".

local json = require("hh.json")

local M = {}

-- A number as JavaScript writes it: 1 for 1.0, the shortest digits that
-- read back as the same number.
local function js_number(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v ~= v or v == math.huge or v == -math.huge then return "null" end
  if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%d", v) end
  for digits = 15, 17 do
    local s = string.format("%." .. digits .. "g", v)
    if tonumber(s) == v then return s end
  end
  return string.format("%.17g", v)
end

-- A value as the page keys it (valueKey in hh.report_assets: a string as it
-- is, anything else as JSON.stringify writes it).
function M.key(v)
  if v == nil then return "-" end
  if type(v) == "string" then return v end
  if type(v) == "number" then return js_number(v) end
  if v == json.null then return "null" end
  return json.encode(v)
end

-- One entry a cell, variant and sample: its last job (reruns come after
-- their original in the data) and the earlier ones.
function M.entries(data)
  local by, list = {}, {}
  for _, job in ipairs(data.jobs) do
    local k = table.concat({ tostring(job.cell), tostring(job.variant), tostring(job.sample) }, "\0")
    local e = by[k]
    if not e then
      e = { job = job, earlier = {} }
      by[k] = e
      list[#list + 1] = e
    else
      e.earlier[#e.earlier + 1] = e.job
      e.job = job
    end
  end
  return list
end

-- The key of a job's value on an axis.
function M.value(job, axis)
  if axis.name == "variant" and not axis.members then return tostring(job.variant) end
  if axis.name == "sample" and not axis.members then return tostring(job.sample) end
  local cv = job.cell_values or {}
  if #axis.members == 1 and not axis.tuple then return M.key(cv[axis.members[1]]) end
  local parts = {}
  for _, m in ipairs(axis.members) do
    if cv[m] ~= nil then parts[#parts + 1] = m .. "=" .. M.key(cv[m]) end
  end
  return #parts > 0 and table.concat(parts, ", ") or "-"
end

-- The axes in the order the page lists them: the recipe's as written
-- (data.axes), then names of cell values no recorded axis covers (all of
-- them, sorted, for a run from before axes were recorded), then variant and
-- sample. Each with its values in the order they first appear in the jobs.
function M.axes(data, entries)
  local list, covered = {}, { variant = true, sample = true }
  for _, a in ipairs(data.axes or {}) do
    if type(a) == "table" and type(a.name) == "string" and type(a.members) == "table" and #a.members > 0 then
      local members = {}
      for _, m in ipairs(a.members) do
        if type(m) == "string" then members[#members + 1] = m covered[m] = true end
      end
      if #members > 0 then
        list[#list + 1] = { name = a.name, members = members, tuple = a.zip == true or a.rows == true or #members > 1 }
      end
    end
  end
  local extra, seen = {}, {}
  for _, e in ipairs(entries) do
    for k in pairs(e.job.cell_values or {}) do
      if not covered[k] and not seen[k] then seen[k] = true extra[#extra + 1] = k end
    end
  end
  table.sort(extra)
  for _, k in ipairs(extra) do list[#list + 1] = { name = k, members = { k } } end
  -- A group named like another axis (or variant, sample) is "zip.NAME".
  local names = { variant = true, sample = true }
  for _, a in ipairs(list) do
    if names[a.name] then a.name = "zip." .. a.name end
    names[a.name] = true
  end
  list[#list + 1] = { name = "variant" }
  list[#list + 1] = { name = "sample" }
  for _, a in ipairs(list) do
    a.values, a.index = {}, {}
    for _, e in ipairs(entries) do
      local v = M.value(e.job, a)
      if not a.index[v] then a.values[#a.values + 1] = v a.index[v] = #a.values end
    end
  end
  return list
end

function M.find(axes, name)
  for _, a in ipairs(axes) do if a.name == name then return a end end
  return nil
end

-- The axes a page is chosen on: the others with more than one value.
function M.page_axes(axes, x, y)
  local list = {}
  for _, a in ipairs(axes) do
    if a.name ~= x and a.name ~= y and #a.values > 1 then list[#list + 1] = a end
  end
  return list
end

-- The page's fixed value of every axis but x and y: page[name] when given,
-- else the axis's first value.
function M.fixed(axes, x, y, page)
  local list = {}
  for _, a in ipairs(axes) do
    if a.name ~= x and a.name ~= y then list[#list + 1] = { axis = a, value = (page or {})[a.name] or a.values[1] } end
  end
  return list
end

-- The entries of one page, by "xkey\0ykey" (the first entry of a place).
function M.cells(axes, entries, x, y, page)
  local X, Y = M.find(axes, x), M.find(axes, y)
  local fixed = M.fixed(axes, x, y, page)
  local at = {}
  for _, e in ipairs(entries) do
    local keep = true
    for _, f in ipairs(fixed) do
      if M.value(e.job, f.axis) ~= f.value then keep = false break end
    end
    if keep then
      local k = M.value(e.job, X) .. "\0" .. M.value(e.job, Y)
      if not at[k] then at[k] = e end
    end
  end
  return at
end

-- How many places of the x-by-y grid on its first page have no job.
function M.empty(axes, entries, x, y)
  local at = M.cells(axes, entries, x, y, {})
  local X, Y = M.find(axes, x), M.find(axes, y)
  local n = 0
  for _, xv in ipairs(X.values) do
    for _, yv in ipairs(Y.values) do
      if not at[xv .. "\0" .. yv] then n = n + 1 end
    end
  end
  return n, #X.values * #Y.values
end

-- The columns and rows the grid opens on (docs/report.md, "The grid"):
--  1. with more than one variant, variants across and the first sweep axis
--     (in the order written) down; else the first two sweep axes across and
--     down. An axis counts when it has more than one value; sample, then any
--     other axis, stands in for a missing one.
--  2. When that grid is mostly empty on its first page (more than half its
--     places have no job), the pair of axes with more than one value that
--     leaves the fewest places empty, the earliest pair on a tie.
function M.default(axes, entries)
  local many, sweep = {}, {}
  for _, a in ipairs(axes) do
    if #a.values > 1 then
      many[#many + 1] = a
      if a.members then sweep[#sweep + 1] = a end
    end
  end
  local sample = M.find(axes, "sample")
  local function other(not_name)
    for _, a in ipairs(many) do if a.name ~= not_name then return a end end
    for _, a in ipairs(axes) do if a.name ~= not_name then return a end end
  end
  local x, y
  local variant = M.find(axes, "variant")
  if #variant.values > 1 then
    x = variant
    y = sweep[1] or (#sample.values > 1 and sample) or other(x.name)
  else
    x = sweep[1] or (#sample.values > 1 and sample) or other(nil)
    y = sweep[2] or (#sample.values > 1 and sample ~= x and sample) or other(x.name)
  end
  local empty, total = M.empty(axes, entries, x.name, y.name)
  if empty * 2 > total then
    local best, bx, by = empty, x, y
    for _, a in ipairs(many) do
      for _, b in ipairs(many) do
        if a ~= b then
          local n = M.empty(axes, entries, a.name, b.name)
          if n < best then best, bx, by = n, a, b end
        end
      end
    end
    x, y = bx, by
  end
  return x.name, y.name
end

return M
