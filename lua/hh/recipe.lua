-- hh.recipe: loads a recipe (YAML, or Lua calling recipe{...}; its files and
-- `extends:` are hh.recipe_files') and checks every key against the recipe
-- language. Problems are collected, not raised: each is {at =
-- "file:line:col", field =, rule =}. Expansion into jobs is hh.expand's;
-- both front ends end in the same table.

local loc = require("hh.loc")
local rules = require("hh.rules")
local template = require("hh.template")

local M = {}

M.VERSION = 1
M.MAX_BUDGET = 1000000000000000 -- credits are whole numbers: no budget above this is one

-- API fields a recipe may set (top level, defaults, sweep axes, variants).
M.FIELDS = {}
for _, f in ipairs(rules.FIELDS) do M.FIELDS[f] = true end
M.FIELDS.first_frame = true     -- friendly names for image_urls[1] and [2]
M.FIELDS.last_frame = true

local TOP = {
  "hh", "name", "extends", "vars", "defaults", "extra", "sweep", "zip", "rows", "include", "exclude",
  "sample", "samples", "compare", "rerun", "budget", "concurrency", "output", "deadline", "after", "after_credits", "qc",
}
M.TOP = {}
for _, k in ipairs(TOP) do M.TOP[k] = true end
for f in pairs(M.FIELDS) do M.TOP[f] = true end

-- Names a template may use besides axes and vars.
M.RESERVED = { cell = true, sample = true, variant = true, name = true, job = true }

M.CLASSES = { failed = true, policy = true, invalid = true, quota = true, transient = true,
              timeout = true, unknown = true, any = true, qc_failed = true }

-- " (did you mean 'x'?)" for a misspelt name, or "" (hh.suggest).
M.suggest = require("hh.suggest")

-- A sandbox message without its position and "when:" prefix (the problem
-- line already says where and which field).
function M.expression_error(err, at)
  err = tostring(err)
  local prefix = at .. ": "
  if err:sub(1, #prefix) == prefix then err = err:sub(#prefix + 1) end
  return (err:gsub("^[%a_]+: ", "", 1))
end

local Problems = {}
Problems.__index = Problems

function M.problems()
  return setmetatable({}, Problems)
end

function Problems:add(at, field, rule)
  local key = tostring(at) .. "\0" .. tostring(field) .. "\0" .. tostring(rule)
  local seen = rawget(self, "seen") or {}
  rawset(self, "seen", seen)
  if seen[key] then return end
  seen[key] = true
  self[#self + 1] = { at = at, field = field, rule = rule }
end

-- One line a problem, control characters made visible (a key name, a file
-- name or a Lua recipe's error message is the recipe's text); one caused by
-- the command line's --set is said as hh's own ("hh: --set k=v: ..."), not
-- as a place in the file.
function Problems:render()
  local safe = require("hh.display").safe
  local lines = {}
  for _, p in ipairs(self) do
    local at = tostring(p.at)
    if at:sub(1, 6) == "--set " then at = "hh: " .. at end
    lines[#lines + 1] = safe(p.field and string.format("%s: %s: %s", at, p.field, p.rule)
      or string.format("%s: %s", at, p.rule))
  end
  return lines
end

local function is_scalar(v, null)
  local t = type(v)
  return t == "string" or t == "number" or t == "boolean" or v == null
end

local function basename_noext(path)
  local base = path:match("([^/]*)$")
  return (base:gsub("%.[^.]*$", ""))
end

local function check_int(problems, t, k, lo, hi, field)
  local v = t[k]
  if v == nil then return end
  if math.type(v) ~= "integer" and not (type(v) == "number" and v == math.floor(v)) or v < lo or v > hi then
    problems:add(loc.key(t, k), field or k, string.format("must be a whole number from %d to %d", lo, hi))
  end
end

local function check_field_map(problems, t, field, null, allow_unknown)
  if t == nil then return end
  if type(t) ~= "table" or t[1] ~= nil then
    problems:add("?", field, "must be a mapping")
    return
  end
  for _, k in ipairs(loc.keys(t)) do
    if not allow_unknown and not M.FIELDS[k] then
      problems:add(loc.keypos(t, k), field .. "." .. k, "not an API field" .. M.suggest(k, M.FIELDS)
        .. "; put fields only some hosts know under extra:")
    end
    if t[k] == null then problems:add(loc.key(t, k), field .. "." .. k, "must have a value") end
  end
end

-- Checks the shape of a loaded recipe; returns the normalised recipe.
local function check(raw, problems, null, path)
  local r = { file = path, raw = raw, null = null }
  for _, k in ipairs(loc.keys(raw)) do
    if not M.TOP[k] then
      problems:add(loc.keypos(raw, k), k, "unknown key" .. M.suggest(k, M.TOP))
    end
  end
  if raw.hh ~= nil and raw.hh ~= M.VERSION then
    problems:add(loc.key(raw, "hh"), "hh", "must be 1 (the recipe format version)")
  end
  r.name = raw.name
  if r.name == nil then r.name = basename_noext(path) end
  if type(r.name) ~= "string" or not r.name:match("^[%w][%w._-]*$") then
    problems:add(loc.key(raw, "name"), "name", "must be letters, digits, '.', '_' and '-' (it names the run directory)")
    r.name = "recipe"
  end

  -- vars: scalars for templates
  r.vars = {}
  if raw.vars ~= nil then
    if type(raw.vars) ~= "table" or raw.vars[1] ~= nil then
      problems:add(loc.key(raw, "vars"), "vars", "must be a mapping of names to values")
    else
      for _, k in ipairs(loc.keys(raw.vars)) do
        local v = raw.vars[k]
        if not k:match("^[%a_][%w_]*$") then
          problems:add(loc.key(raw.vars, k), "vars." .. k, "names are letters, digits and _")
        elseif M.RESERVED[k] then
          problems:add(loc.key(raw.vars, k), "vars." .. k, "'" .. k .. "' is reserved")
        elseif not is_scalar(v) then
          problems:add(loc.key(raw.vars, k), "vars." .. k, "must be a string, number or boolean")
        else
          r.vars[k] = v
        end
      end
    end
  end

  -- fields: top level, then defaults underneath
  r.fields, r.field_at, r.field_label = {}, {}, {}
  if raw.defaults ~= nil and (type(raw.defaults) ~= "table" or raw.defaults[1] ~= nil) then
    problems:add(loc.key(raw, "defaults"), "defaults", "must be a mapping of API fields")
  elseif raw.defaults then
    check_field_map(problems, raw.defaults, "defaults", null, false)
    for k, v in pairs(raw.defaults) do
      if M.FIELDS[k] and v ~= null then
        r.fields[k] = v; r.field_at[k] = loc.key(raw.defaults, k); r.field_label[k] = "defaults." .. k
      end
    end
  end
  for k in pairs(M.FIELDS) do
    if raw[k] ~= nil and raw[k] ~= null then r.fields[k] = raw[k]; r.field_at[k] = loc.key(raw, k); r.field_label[k] = k end
  end
  -- Each field on its own (an axis may override it in every job, but a
  -- wrong value written down is still wrong).
  for k, v in pairs(r.fields) do
    if k ~= "prompt" and k ~= "first_frame" and k ~= "last_frame" and k ~= "multi_prompt" and k ~= "seed" then
      local probe = { prompt = "x", [k] = v }
      if k == "image_urls" and type(v) == "table" then probe.multi_shots = r.fields.multi_shots end
      for _, p in ipairs(rules.check(probe)) do
        if p.field:match("^[%w_]+") == k then
          problems:add(r.field_at[k], (r.field_label[k] or k) .. p.field:sub(#k + 1), p.rule)
        end
      end
    end
  end
  r.extra = {}
  if raw.extra ~= nil then
    if type(raw.extra) ~= "table" or raw.extra[1] ~= nil then
      problems:add(loc.key(raw, "extra"), "extra", "must be a mapping of fields passed through unchanged")
    else
      for k, v in pairs(raw.extra) do r.extra[k] = v; r.field_at[k] = loc.key(raw.extra, k) end
    end
  end
  for _, k in ipairs({ "prompt", "first_frame", "last_frame" }) do
    local v = r.fields[k]
    if v ~= nil then
      if type(v) ~= "string" then
        problems:add(r.field_at[k], k, "must be a string")
      else
        local _, err = template.parse(v)
        if err then problems:add(r.field_at[k], k, err) end
      end
    end
  end

  -- sweep axes
  r.axes = {}
  local axis_names = {}
  local function add_axis(name, values, at, group)
    if axis_names[name] then
      problems:add(at, name, "is already an axis (" .. axis_names[name] .. ")")
      return false
    end
    axis_names[name] = group or "sweep"
    return true
  end
  local function axis_values(t, k, field)
    local v = t[k]
    local at = loc.key(t, k)
    if type(v) ~= "table" then
      problems:add(at, field, "must be a list of values or a range {from:, to:, step:}")
      return nil
    end
    if v[1] == nil and next(v) ~= nil then
      local from, to, step = v.from, v.to, v.step
      for _, kk in ipairs(loc.keys(v)) do
        if kk ~= "from" and kk ~= "to" and kk ~= "step" then
          problems:add(loc.keypos(v, kk), field .. "." .. kk, "unknown range key" .. M.suggest(kk, { from = 1, to = 1, step = 1 }))
        end
      end
      if type(from) ~= "number" or type(to) ~= "number" or type(step) ~= "number" then
        problems:add(at, field, "a range needs numbers from:, to: and step:")
        return nil
      end
      if step <= 0 or to < from then
        problems:add(at, field, "a range needs step > 0 and to >= from")
        return nil
      end
      local n = math.floor((to - from) / step + 1e-9) + 1
      if n > 10000 then
        problems:add(at, field, string.format("the range has %s values; at most 10000",
          math.tointeger(n) or string.format("%.3g", n)))
        return nil
      end
      local out = {}
      local integral = math.type(from) == "integer" and math.type(step) == "integer"
      for i = 0, n - 1 do
        local x = from + i * step
        if not integral then x = tonumber(string.format("%.12g", x)) end
        out[#out + 1] = x
      end
      return out
    end
    if #v == 0 then
      problems:add(at, field, "must not be empty")
      return nil
    end
    for i, x in ipairs(v) do
      if not is_scalar(x) or x == null then
        if not (type(x) == "table" and (k == "image_urls" or k == "multi_prompt")) then
          problems:add(loc.item(v, i), string.format("%s[%d]", field, i - 1), "must be a string, number or boolean")
        end
      end
    end
    return v
  end
  local function check_axis_name(name, at, field)
    if not name:match("^[%a_][%w_]*$") then
      problems:add(at, field, "axis names are letters, digits and _")
      return false
    end
    if M.RESERVED[name] then
      problems:add(at, field, "'" .. name .. "' is reserved")
      return false
    end
    return true
  end
  if raw.sweep ~= nil then
    if type(raw.sweep) ~= "table" or raw.sweep[1] ~= nil then
      problems:add(loc.key(raw, "sweep"), "sweep", "must be a mapping of axis names to lists of values")
    else
      for _, k in ipairs(loc.keys(raw.sweep)) do
        local at = loc.key(raw.sweep, k)
        if check_axis_name(k, at, "sweep." .. k) then
          local values = axis_values(raw.sweep, k, "sweep." .. k)
          if values and add_axis(k, values, at) then
            r.axes[#r.axes + 1] = { names = { k }, rows = (function()
              local rows = {}
              for i, x in ipairs(values) do rows[i] = { [k] = x } end
              return rows
            end)(), at = at, item_at = function(i) return loc.item(raw.sweep[k], i) end, field = "sweep." .. k }
          end
        end
      end
    end
  end
  if raw.zip ~= nil then
    if type(raw.zip) ~= "table" or raw.zip[1] ~= nil then
      problems:add(loc.key(raw, "zip"), "zip", "must be a mapping of group names to mappings of axes")
    else
      for _, g in ipairs(loc.keys(raw.zip)) do
        local group, gat = raw.zip[g], loc.key(raw.zip, g)
        if type(group) ~= "table" or group[1] ~= nil or next(group) == nil then
          problems:add(gat, "zip." .. g, "must be a mapping of axis names to lists that advance together")
        else
          local names, lists, len, first = {}, {}, nil, nil
          for _, k in ipairs(loc.keys(group)) do
            local at = loc.key(group, k)
            if check_axis_name(k, at, "zip." .. g .. "." .. k) then
              local values = axis_values(group, k, "zip." .. g .. "." .. k)
              if values and add_axis(k, values, at, "zip." .. g) then
                names[#names + 1] = k
                lists[k] = values
                if len == nil then len, first = #values, k
                elseif #values ~= len then
                  problems:add(at, "zip." .. g .. "." .. k, string.format("has %d values but %s has %d: axes of a zip group advance together", #values, first, len))
                end
              end
            end
          end
          if #names > 0 then
            local rows = {}
            for i = 1, len or 0 do
              local row = {}
              for _, k in ipairs(names) do row[k] = lists[k][i] end
              rows[i] = row
            end
            r.axes[#r.axes + 1] = { names = names, rows = rows, at = gat, group = g, field = "zip." .. g }
          end
        end
      end
    end
  end
  for i, a in ipairs(r.axes) do a.written = i end -- the report lays out axes as written
  -- Axes cross in alphabetical order of their (first) names: the same in YAML and Lua.
  table.sort(r.axes, function(a, b) return (a.group or a.names[1]) < (b.group or b.names[1]) end)
  r.axis_names = axis_names

  r.rows = {}
  if raw.rows ~= nil then
    if type(raw.rows) ~= "table" or (raw.rows[1] == nil and next(raw.rows) ~= nil) then
      problems:add(loc.key(raw, "rows"), "rows", "must be a list of cells (mappings of names to values)")
    else
      for i, row in ipairs(raw.rows) do
        local at = loc.item(raw.rows, i)
        if type(row) ~= "table" or row[1] ~= nil then
          problems:add(at, string.format("rows[%d]", i - 1), "must be a mapping of names to values")
        else
          for _, k in ipairs(loc.keys(row)) do
            if not check_axis_name(k, loc.key(row, k), string.format("rows[%d].%s", i - 1, k)) then row = nil break end
            if not is_scalar(row[k]) then
              problems:add(loc.key(row, k), string.format("rows[%d].%s", i - 1, k), "must be a string, number or boolean")
            end
          end
          if row then r.rows[#r.rows + 1] = { values = row, at = at, index = i } end
        end
      end
    end
  end

  -- include / exclude: expressions or {name: value} patterns
  for _, key in ipairs({ "include", "exclude" }) do
    local v = raw[key]
    r[key] = {}
    if v ~= nil then
      local list = (type(v) == "table" and v[1] ~= nil) and v or { v }
      for i, c in ipairs(list) do
        local at = list == v and loc.item(v, i) or loc.key(raw, key)
        local field = list == v and string.format("%s[%d]", key, i - 1) or key
        if type(c) == "string" then
          local names = {}
          for k in pairs(axis_names) do names[#names + 1] = k end
          for k in pairs(r.vars) do names[#names + 1] = k end
          for _, row in ipairs(r.rows) do for k in pairs(row.values) do names[#names + 1] = k end end
          local fn, err = require("hh.sandbox").expression(c, at, { label = key, names = names })
          if not fn then problems:add(at, field, M.expression_error(err, at))
          else r[key][#r[key] + 1] = { expr = fn, text = c, at = at, field = field } end
        elseif type(c) == "table" and c[1] == nil and next(c) then
          -- A name or value no cell has would match nothing, silently: an
          -- exclude that excludes nothing is paid for.
          if require("hh.patterns").problems(r, axis_names, c, field, problems) == 0 then
            r[key][#r[key] + 1] = { pattern = c, at = at, field = field }
          end
        else
          problems:add(at, field, "must be an expression or a mapping of names to values")
        end
      end
    end
  end

  -- sample N cells with a seed; samples (repeats)
  r.sample = nil
  if raw.sample ~= nil then
    local s = raw.sample
    if type(s) == "number" then s = { n = s } end
    if type(s) ~= "table" or type(s.n) ~= "number" or s.n < 1 or not math.tointeger(s.n) then
      problems:add(loc.key(raw, "sample"), "sample", "must be a whole number of cells, or {n: N, seed: S}")
    else
      if s.seed ~= nil and math.type(s.seed) ~= "integer" then
        problems:add(loc.key(raw, "sample"), "sample.seed", "must be a whole number")
      end
      r.sample = { n = math.tointeger(s.n), seed = math.tointeger(s.seed) or 1, at = loc.key(raw, "sample") }
    end
  end
  check_int(problems, raw, "samples", 1, 1000)
  r.samples = math.tointeger(raw.samples) or 1
  if r.samples < 1 or r.samples > 1000 then r.samples = 1 end

  -- compare: variants
  r.variants = {}
  if raw.compare ~= nil then
    if type(raw.compare) ~= "table" or raw.compare[1] ~= nil or next(raw.compare) == nil then
      problems:add(loc.key(raw, "compare"), "compare", "must be a mapping of variant names to a prompt or to fields")
    else
      for _, name in ipairs(loc.keys(raw.compare)) do
        local v, at = raw.compare[name], loc.key(raw.compare, name)
        local field = "compare." .. name
        if not name:match("^[%w][%w_-]*$") then
          problems:add(at, field, "variant names are letters, digits, '_' and '-'")
        elseif type(v) == "string" then
          local _, err = template.parse(v)
          if err then problems:add(at, field, err) end
          r.variants[#r.variants + 1] = { name = name, fields = { prompt = v }, at = at, field_at = { prompt = at } }
        elseif type(v) == "table" and v[1] == nil then
          check_field_map(problems, v, field, null, false)
          local f, fat = {}, {}
          for k, x in pairs(v) do if M.FIELDS[k] then f[k] = x; fat[k] = loc.key(v, k) end end
          r.variants[#r.variants + 1] = { name = name, fields = f, at = at, field_at = fat }
        else
          problems:add(at, field, "must be a prompt or a mapping of fields")
        end
      end
    end
  end
  -- Variants in alphabetical order: the same job order from YAML and Lua.
  table.sort(r.variants, function(a, b) return a.name < b.name end)
  if #r.variants == 0 then r.variants = { { name = "main", fields = {}, at = loc.of(raw), field_at = {} } } r.compared = false
  else r.compared = true end

  -- seed: a number, or "auto" for one per cell and sample shared by the variants
  if r.fields.seed ~= nil and r.fields.seed ~= "auto" and math.type(r.fields.seed) ~= "integer" then
    problems:add(r.field_at.seed, "seed", 'must be a whole number or "auto"')
  end

  -- rerun rules
  r.reruns = {}
  if raw.rerun ~= nil then
    if type(raw.rerun) ~= "table" or (raw.rerun[1] == nil and next(raw.rerun) ~= nil) then
      problems:add(loc.key(raw, "rerun"), "rerun", "must be a list of rules {when:, max:, set:}")
    else
      for i, rule in ipairs(raw.rerun) do
        local at, field = loc.item(raw.rerun, i), string.format("rerun[%d]", i - 1)
        if type(rule) ~= "table" or rule[1] ~= nil then
          problems:add(at, field, "must be a mapping {when:, max:, set:}")
        else
          for _, k in ipairs(loc.keys(rule)) do
            if k ~= "when" and k ~= "max" and k ~= "set" then
              problems:add(loc.keypos(rule, k), field .. "." .. k, "unknown key" .. M.suggest(k, { when = 1, max = 1, set = 1 }))
            end
          end
          local R = { index = i, at = at, field = field, max = 1, set = {}, set_at = {} }
          local w = rule.when
          local wat = loc.key(rule, "when")
          if w == nil then
            problems:add(at, field .. ".when", "is required: a failure class or an expression")
          else
            local list = type(w) == "table" and w or { w }
            R.classes = {}
            for j, c in ipairs(list) do
              if type(c) ~= "string" then
                problems:add(wat, field .. ".when", "must be a failure class, a list of them, or an expression")
              elseif M.CLASSES[c] then
                R.classes[c] = true
              elseif type(w) == "table" or c:match("^[%a_][%w_]*$") then
                -- A bare word is meant as a class, not as an expression.
                local names = {}
                for k in pairs(M.CLASSES) do names[#names + 1] = k end
                table.sort(names)
                local cat = type(w) == "table" and loc.item(w, j) or wat
                local cf = type(w) == "table" and string.format("%s.when[%d]", field, j - 1) or field .. ".when"
                local hint = M.suggest(c, M.CLASSES)
                problems:add(cat, cf, "unknown failure class '" .. c .. "'" .. (hint ~= "" and hint
                  or " (one of " .. table.concat(names, ", ") .. ", or an expression)"))
              else
                local names = { "status", "class", "error", "size", "duration", "seconds", "polls", "job",
                                "cell", "sample", "variant", "result", "qc" }
                for k in pairs(axis_names) do names[#names + 1] = k end
                for k in pairs(r.vars) do names[#names + 1] = k end
                local fn, err = require("hh.sandbox").expression(c, wat, { names = names })
                if not fn then
                  local m = M.suggest(c, M.CLASSES)
                  problems:add(wat, field .. ".when", M.expression_error(err, wat) .. m)
                else
                  R.expr, R.text = fn, c
                  R.uses_qc = c:find("qc", 1, true) ~= nil
                end
              end
            end
            if next(R.classes) == nil then R.classes = nil end
          end
          if rule.max ~= nil then
            check_int(problems, rule, "max", 1, 10, field .. ".max")
            R.max = math.tointeger(rule.max) or 1
          end
          if rule.set ~= nil then
            if type(rule.set) ~= "table" or rule.set[1] ~= nil then
              problems:add(loc.key(rule, "set"), field .. ".set", "must be a mapping of fields to change")
            else
              check_field_map(problems, rule.set, field .. ".set", null, false)
              for k, v in pairs(rule.set) do
                if M.FIELDS[k] then R.set[k] = v; R.set_at[k] = loc.key(rule.set, k) end
              end
              for k, v in pairs(R.set) do
                if type(v) == "string" then
                  local names, terr = template.names(v)
                  if not names then
                    problems:add(R.set_at[k], field .. ".set." .. k, terr)
                  else
                    for _, nm in ipairs(names) do
                      if not (axis_names[nm] or r.vars[nm] or M.RESERVED[nm] or M.FIELDS[nm]) then
                        problems:add(R.set_at[k], field .. ".set." .. k, "unknown placeholder {" .. nm .. "}")
                      end
                    end
                  end
                end
              end
              if R.set.seed ~= nil and R.set.seed ~= "new" and math.type(R.set.seed) ~= "integer" then
                problems:add(R.set_at.seed, field .. ".set.seed", 'must be a whole number or "new"')
              end
            end
          end
          r.reruns[#r.reruns + 1] = R
        end
      end
    end
  end

  local budget_ok = type(raw.budget) == "number" and raw.budget >= 0 and raw.budget <= M.MAX_BUDGET
  if raw.budget ~= nil and not budget_ok then
    problems:add(loc.key(raw, "budget"), "budget", type(raw.budget) == "number" and raw.budget > M.MAX_BUDGET
      and string.format("must be at most %d credits", M.MAX_BUDGET) or "must be a number of credits (0 or more)")
  end
  r.budget = budget_ok and raw.budget or nil
  r.budget_at = loc.key(raw, "budget")
  r.qc = require("hh.qc").from_recipe(raw, problems)
  for _, rule in ipairs(r.reruns) do
    if rule.uses_qc or (rule.classes and rule.classes.qc_failed) then r.needs_qc = true end
  end
  check_int(problems, raw, "concurrency", 1, 4096)
  r.concurrency = math.tointeger(raw.concurrency)
  if raw.deadline ~= nil and (type(raw.deadline) ~= "number" or raw.deadline <= 0) then
    problems:add(loc.key(raw, "deadline"), "deadline", "must be a number of seconds")
  end
  r.deadline = type(raw.deadline) == "number" and raw.deadline or nil
  if raw.after ~= nil then
    if type(raw.after) ~= "function" then
      problems:add(loc.key(raw, "after"), "after", "must be a function (only Lua recipes can have one)")
    else
      r.after = raw.after
    end
  end
  -- What after() may spend is part of the plan: declared, or bounded by the budget.
  if raw.after_credits ~= nil then
    check_int(problems, raw, "after_credits", 0, M.MAX_BUDGET)
    r.after_credits = math.tointeger(raw.after_credits)
    if raw.after == nil then problems:add(loc.key(raw, "after_credits"), "after_credits", "goes with after (a function)") end
  elseif r.after and not r.budget then
    problems:add(loc.key(raw, "after"), "after", "nothing bounds what its jobs may cost: declare after_credits "
      .. "(the most they may cost, counted in the plan) or a budget")
  end
  r.output = raw.output
  r.output_at = loc.key(raw, "output")
  if r.output ~= nil then
    if type(r.output) ~= "string" or r.output == "" then
      problems:add(r.output_at, "output", "must be a file name template")
      r.output = nil
    else
      local _, err = template.parse(r.output)
      if err then problems:add(r.output_at, "output", err) r.output = nil end
    end
  end
  if r.output == nil then
    -- Named by the cell's values (hh.expand builds each name); the template
    -- is what shows where one is needed.
    r.output = r.compared and "{cell}-{variant}-{sample}.mp4" or "{cell}-{sample}.mp4"
    r.output_default = true
    r.output_at = loc.of(raw)
  end
  return r
end

-- Loads and checks a recipe: the normalised recipe and the problems found.
function M.load(path, opts)
  opts = opts or {}
  local problems = M.problems()
  local raw = require("hh.recipe_files").load(path, problems, opts)
  if not raw then return nil, problems end
  local sets = require("hh.sets")
  local narrow = sets.apply(raw, opts.sets, problems)
  if require("hh.plain").nonfinite(raw, problems) then return nil, problems end -- nothing below expects one
  local r = check(raw, problems, opts.yaml_null, path)
  if r and r.after then r.after_untrusted = not opts.trust end -- run under the recipe limits
  sets.narrow(r, narrow, problems)
  return r, problems
end

return M
