-- hh.report_axes: the axes of a run's grid, from the report data (hh.report
-- M.data), and which two the grid opens on. Pure: no files, no processes.
-- The page gets them from here (M.layout, as DATA.grid) and hh report
-- --grid-image uses them too, so both name axes and values alike and open on
-- the same grid.
--
-- An axis is { name, label, kind, members, values = {key...}, labels =
-- {label...}, of(job) }. A sweep axis's value key is its value (a string as
-- it is, anything else as JSON); a zip group is ONE axis whose value is the
-- tuple of its members' values, keyed "a=1, b=x" and labelled "1 · x"; the
-- rows block is one axis too, "sweep" for the grid's own cells.

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
function M.value(job, axis) return axis.of(job) end

-- A job's values for a group's members: "a=1, b=x" keys the value and
-- "1 · x" labels it (members the job has no value for are left out).
local function tuple(cv, members)
  local keys, labels = {}, {}
  for _, m in ipairs(members) do
    if cv[m] ~= nil then
      keys[#keys + 1] = m .. "=" .. M.key(cv[m])
      labels[#labels + 1] = M.key(cv[m])
    end
  end
  if #keys == 0 then return "-", "-" end
  return table.concat(keys, ", "), table.concat(labels, " \u{b7} ")
end

local function has_all(cv, members)
  for _, m in ipairs(members) do if cv[m] == nil then return false end end
  return true
end

-- A sweep axis or zip group: one member's value, or the members' tuple. Its
-- grid values are the first `count` met in job order (rows follow the grid).
local function sweep_axis(a, entries)
  local members = a.members
  local axis = { name = a.name, kind = "recipe", members = members, tuple = a.zip == true or #members > 1,
                 label = (#members == 1 and members[1] == a.name) and a.name
                   or a.name .. " (" .. table.concat(members, ", ") .. ")" }
  if axis.tuple then
    axis.of = function(job) return (tuple(job.cell_values or {}, members)) end
    axis.label_of = function(job) return select(2, tuple(job.cell_values or {}, members)) end
  else
    axis.of = function(job) return M.key((job.cell_values or {})[members[1]]) end
  end
  axis.grid, axis.grid_count = {}, 0
  for _, e in ipairs(entries) do
    if a.count and axis.grid_count >= a.count then break end
    local cv = e.job.cell_values or {}
    if has_all(cv, members) then
      local k = axis.of(e.job)
      if not axis.grid[k] then axis.grid[k] = true axis.grid_count = axis.grid_count + 1 end
    end
  end
  return axis
end

-- The rows block: "sweep" for a cell of the grid, else the row's tuple (a
-- row that fits the grid is in it; one that does not extends the sweep axes
-- and is told apart here). A recipe of rows only has no grid.
local function rows_axis(a, sweep)
  local members = a.members
  local function in_grid(job)
    if #sweep == 0 then return false end
    local cv = job.cell_values or {}
    for _, s in ipairs(sweep) do
      if not has_all(cv, s.members) or not s.grid[s.of(job)] then return false end
    end
    return true
  end
  return { name = "rows", kind = "recipe", rows = true, tuple = true, members = members,
           label = "rows block (" .. table.concat(members, ", ") .. ")",
           of = function(job) return in_grid(job) and "sweep" or (tuple(job.cell_values or {}, members)) end,
           label_of = function(job) return in_grid(job) and "sweep" or select(2, tuple(job.cell_values or {}, members)) end }
end

-- The axes in the order the page lists them: the recipe's as written
-- (data.axes: sweep axes and zip groups, then the rows block), then names
-- of cell values no recorded axis covers (all of them, sorted, for a run
-- from before axes were recorded), then variant and sample. Each with its
-- values (keys) in the order they first appear in the jobs, and their labels.
function M.axes(data, entries)
  local list, covered, sweep, rows = {}, { variant = true, sample = true }, {}, nil
  for _, a in ipairs(data.axes or {}) do
    if type(a) == "table" and type(a.name) == "string" and type(a.members) == "table" and #a.members > 0 then
      local members = {}
      for _, m in ipairs(a.members) do
        if type(m) == "string" then members[#members + 1] = m covered[m] = true end
      end
      local count = type(a.count) == "number" and math.tointeger(a.count) or nil
      if #members > 0 and a.rows then
        rows = rows or { members = members }
      elseif #members > 0 then
        sweep[#sweep + 1] = sweep_axis({ name = a.name, members = members, zip = a.zip, count = count }, entries)
      end
    end
  end
  for _, a in ipairs(sweep) do list[#list + 1] = a end
  if rows then list[#list + 1] = rows_axis(rows, sweep) end
  local extra, seen = {}, {}
  for _, e in ipairs(entries) do
    for k in pairs(e.job.cell_values or {}) do
      if not covered[k] and not seen[k] then seen[k] = true extra[#extra + 1] = k end
    end
  end
  table.sort(extra)
  for _, k in ipairs(extra) do list[#list + 1] = sweep_axis({ name = k, members = { k } }, {}) end
  -- A group named like another axis (or variant, sample) is "zip.NAME".
  local names = { variant = true, sample = true }
  for _, a in ipairs(list) do
    if names[a.name] then a.name = "zip." .. a.name end
    names[a.name] = true
  end
  list[#list + 1] = { name = "variant", kind = "variant", label = "variant", of = function(job) return tostring(job.variant) end }
  list[#list + 1] = { name = "sample", kind = "sample", label = "sample", of = function(job) return tostring(job.sample) end }
  for _, a in ipairs(list) do
    a.values, a.index, a.labels = {}, {}, {}
    for _, e in ipairs(entries) do
      local v = a.of(e.job)
      if not a.index[v] then
        a.values[#a.values + 1] = v
        a.index[v] = #a.values
        a.labels[#a.values] = a.label_of and a.label_of(e.job) or v
      end
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

-- The places the pair (X, Y) leaves without a job, over every page it has
-- (a page: one value of each other axis with more than one value; its
-- places: the X values on it by the Y values on it).
function M.emptiness(axes, entries, X, Y)
  local others = {}
  for _, a in ipairs(axes) do
    if a ~= X and a ~= Y and #a.values > 1 then others[#others + 1] = a end
  end
  local pages, npages = {}, 0
  for _, e in ipairs(entries) do
    local key = {}
    for i, a in ipairs(others) do key[i] = a.of(e.job) end
    key = table.concat(key, "\0")
    local p = pages[key]
    if not p then
      p = { xs = {}, ys = {}, nx = 0, ny = 0, at = {}, n = 0 }
      pages[key], npages = p, npages + 1
    end
    local x, y = X.of(e.job), Y.of(e.job)
    if not p.xs[x] then p.xs[x], p.nx = true, p.nx + 1 end
    if not p.ys[y] then p.ys[y], p.ny = true, p.ny + 1 end
    local k = x .. "\0" .. y
    if not p.at[k] then p.at[k], p.n = true, p.n + 1 end
  end
  local empty, places = 0, 0
  for _, p in pairs(pages) do
    places = places + p.nx * p.ny
    empty = empty + p.nx * p.ny - p.n
  end
  return { empty = empty, places = places, pages = npages }
end

-- The columns and rows the grid opens on (docs/report.md, "The grid"):
--  1. with more than one variant, variants across and the first recipe axis
--     (in the order written) down; else the first two recipe axes across and
--     down (a lone rows block goes down and sample across, a lone sweep axis
--     across and sample down). An axis counts when it has more than one value.
--  2. When that pair leaves more than half its places empty over its pages,
--     the pair that leaves the fewest (on a tie, the one with fewer pages,
--     then the earlier in order: variant first in an A/B run, sample last).
function M.default(axes, entries)
  local V, S = M.find(axes, "variant"), M.find(axes, "sample")
  local rec = {}
  for _, a in ipairs(axes) do
    if a.kind == "recipe" and #a.values > 1 then rec[#rec + 1] = a end
  end
  local X, Y
  if #V.values > 1 then X, Y = V, rec[1] or S
  elseif #rec >= 2 then X, Y = rec[1], rec[2]
  elseif #rec == 1 then
    if rec[1].rows then X, Y = S, rec[1] else X, Y = rec[1], S end
  else X, Y = S, V end
  local best = M.emptiness(axes, entries, X, Y)
  if best.empty * 2 > best.places then
    local order = {}
    if #V.values > 1 then order[1] = V end
    for _, a in ipairs(rec) do order[#order + 1] = a end
    if #V.values <= 1 then order[#order + 1] = V end
    order[#order + 1] = S
    for i = #order, 1, -1 do if #order[i].values <= 1 then table.remove(order, i) end end
    for i = 1, #order do
      for j = i + 1, #order do
        local e = M.emptiness(axes, entries, order[i], order[j])
        if e.empty < best.empty or (e.empty == best.empty and e.pages < best.pages) then
          best, X, Y = e, order[i], order[j]
        end
      end
    end
  end
  return X.name, Y.name
end

-- What the page lays out (DATA.grid): the axes with their values and
-- labels, the pair it opens on; each job gets `ax`, the index (from 0) of
-- its value on each axis. One rule for the page and hh report --grid-image.
function M.layout(data)
  local entries = M.entries(data)
  local axes = M.axes(data, entries)
  local x, y = M.default(axes, entries)
  local shipped = {}
  for i, a in ipairs(axes) do
    shipped[i] = { name = a.name, kind = a.kind, label = a.label, members = a.members, rows = a.rows or nil,
                   values = a.values, labels = a.labels }
  end
  for _, job in ipairs(data.jobs) do
    local ax = {}
    for i, a in ipairs(axes) do
      local v = a.of(job)
      if not a.index[v] then -- an earlier attempt of a slot: its values are its slot's
        a.values[#a.values + 1] = v
        a.index[v] = #a.values
        a.labels[#a.values] = v
      end
      ax[i] = a.index[v] - 1
    end
    job.ax = ax
  end
  return { axes = shipped, x = x, y = y }
end

return M
