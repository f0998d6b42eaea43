-- hh.sets: --set NAME=VALUE on the command line of hh check, plan and run,
-- applied to a loaded recipe. One rule for every name: a variable, an API
-- field, a top-level key or an axis (which narrows the sweep); anything else
-- is a problem with "did you mean". Problems are placed at "--set NAME=VALUE"
-- (hh.loc), so they name the option, not a line of the file.

local loc = require("hh.loc")
local recipe = require("hh.recipe")
local template = require("hh.template")

local M = {}

-- The names a recipe's cells have (sweep axes, zip groups' axes, keys of
-- explicit rows), read from the raw recipe: --set of one narrows the sweep.
local function cell_names(raw)
  local names = {}
  local function add(t)
    if type(t) ~= "table" then return end
    for k in pairs(t) do if type(k) == "string" then names[k] = true end end
  end
  add(raw.sweep)
  for _, group in pairs(type(raw.zip) == "table" and raw.zip or {}) do add(group) end
  for _, row in ipairs(type(raw.rows) == "table" and raw.rows or {}) do add(row) end
  return names
end

-- The table raw[k], made (and placed at `at`) when the recipe has none.
local function sub_table(raw, k, at)
  if type(raw[k]) ~= "table" then
    raw[k] = {}
    loc.set(raw[k], at)
  end
  return raw[k]
end

-- Applies --set NAME=VALUE (each s: key, value, text) to the raw recipe:
-- an axis (or a name of explicit rows) narrows the sweep to that value,
-- after checking (returned, for M.narrow); an API field or a top-level key
-- is set; a variable of vars: is changed; vars.NAME adds a variable and
-- extra.NAME a field passed through. Anything else is a problem, with
-- "did you mean". Every value set is placed at "--set NAME=VALUE", so a
-- problem with it names the option, not a line of the file.
function M.apply(raw, sets, problems)
  local axes, narrow, narrowed = cell_names(raw), {}, {}
  local vars = type(raw.vars) == "table" and raw.vars or {}
  local WHOLE = { vars = "is set one name at a time: --set vars.NAME=VALUE",
                  extra = "is set one name at a time: --set extra.NAME=VALUE",
                  defaults = "is not set from the command line; set the field itself (--set mode=pro)",
                  extends = "is not set from the command line" }
  for _, s in ipairs(sets or {}) do
    local k, v = s.key, s.value
    local at = "--set " .. (s.text or (k .. "=" .. tostring(v)))
    local prefix, name = k:match("^([%a_][%w_]*)%.(.+)$")
    if prefix == "vars" and name:match("^[%a_][%w_]*$") then
      local t = sub_table(raw, "vars", at)
      t[name] = v
      loc.set_key(t, name, at)
    elseif prefix == "extra" and name:match("^[%a_][%w_]*$") then
      if recipe.FIELDS[name] then
        problems:add(at, nil, string.format("is an API field; use --set %s=%s", name, s.text and s.text:match("=(.*)$") or tostring(v)))
      else
        local t = sub_table(raw, "extra", at)
        t[name] = v
        loc.set_key(t, name, at)
      end
    elseif prefix then
      problems:add(at, nil, string.format("unknown name '%s' (only vars.NAME and extra.NAME take a prefix)", k))
    elseif axes[k] then
      -- The last --set of an axis wins, like any other.
      narrowed[k] = narrowed[k] or #narrow + 1
      narrow[narrowed[k]] = { name = k, value = v, at = at }
    elseif WHOLE[k] then
      problems:add(at, nil, k .. " " .. WHOLE[k])
    elseif recipe.FIELDS[k] or recipe.TOP[k] then
      raw[k] = v
      loc.set_key(raw, k, at)
    elseif vars[k] ~= nil then
      vars[k] = v
      loc.set_key(vars, k, at)
    else
      local known = {}
      for n in pairs(recipe.TOP) do known[n] = true end
      known.vars, known.defaults, known.extends, known.extra = nil, nil, nil, nil
      for n in pairs(vars) do known[n] = true end
      for n in pairs(axes) do known[n] = true end
      local hint = recipe.suggest(k, known)
      problems:add(at, nil, string.format("unknown name '%s'%s", k, hint ~= "" and hint
        or ": not a variable, an API field, a top-level key or an axis of this recipe"))
    end
  end
  return narrow
end

-- Narrows a checked recipe's cells to those whose `name` is `value`, for
-- each --set of an axis: grid axes keep the rows with that value (the grid
-- goes when no axis has the name), explicit rows are kept when they have it.
function M.narrow(r, narrow, problems)
  local function same(a, b) return a == b or template.format(a) == template.format(b) end
  for _, n in ipairs(narrow) do
    local values, seen, found, in_grid = {}, {}, false, false
    local function keep(x)
      if x == nil then return false end
      local text = template.format(x)
      if not seen[text] then seen[text] = true values[#values + 1] = text end
      local yes = same(x, n.value)
      found = found or yes
      return yes
    end
    local axes = {}
    for i, axis in ipairs(r.axes) do
      local kept = axis
      if axis.rows[1] and axis.rows[1][n.name] ~= nil then
        in_grid = true
        kept = {}
        for k, v in pairs(axis) do kept[k] = v end
        kept.rows = {}
        for _, row in ipairs(axis.rows) do
          if keep(row[n.name]) then kept.rows[#kept.rows + 1] = row end
        end
      end
      axes[i] = kept
    end
    local rows = {}
    for _, row in ipairs(r.rows) do
      if keep(row.values[n.name]) then rows[#rows + 1] = row end
    end
    if found then
      r.axes, r.rows = in_grid and axes or {}, rows
    else
      local list = #values > 10 and table.concat(values, ", ", 1, 10) .. string.format(", ... %d values", #values)
        or table.concat(values, ", ")
      problems:add(n.at, nil, string.format("not a value of the axis %s (%s)", n.name, list))
    end
  end
end

return M
