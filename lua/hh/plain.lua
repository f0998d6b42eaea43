-- hh.plain: what a Lua recipe hands hh (its recipe{...} table, the list it
-- gives run() in after()) made into plain data, the values a YAML file can
-- hold: strings, numbers, booleans, hh.null, lists (keys 1..n) and mappings
-- (string keys), copied into new tables. The recipe's tables are read raw
-- (next), so none of its code runs outside its limits, and within the YAML
-- loader's bounds (64 levels, 100,000 values, a table used N times counting
-- N times, as an alias does), so a cycle or a table shared down forty
-- levels is refused instead of being walked for ever by hh's own code.
-- Also finds the numbers no request can carry (.nan, .inf) in either kind.

local yaml = require("hh.yaml")

local M = {}

local MAX_DEPTH, MAX_NODES = yaml.limits.max_depth, yaml.limits.max_nodes
local null = yaml.null

local PLAIN = "strings, numbers, booleans, lists and mappings"

local function item_path(path, k)
  if math.type(k) == "integer" then return string.format("%s[%d]", path, k - 1) end
  if path == "" then return k end
  return path .. "." .. k
end

-- M.copy(v [, opts]) -> the copy | nil, where, why
-- opts.root names v in `where` ("run", say; default: its keys alone);
-- opts.functions is a set of v's own keys whose values may be functions
-- (a recipe's after). `where` is a path such as "sweep.look[2]".
function M.copy(v, opts)
  opts = opts or {}
  local root = opts.root or ""
  local nodes, on_path = 0, {}
  local failure

  local function fail(path, why)
    failure = failure or { path = path ~= "" and path or (opts.root or "recipe{}"), why = why }
    return nil
  end

  -- top: the path of x's ancestor just below v, where a problem of the
  -- whole (too many values) is said.
  local function walk(x, path, depth, top)
    nodes = nodes + 1
    if nodes > MAX_NODES then
      return fail(top or path, string.format("holds more than %d values (a table used N times counts N times)",
        MAX_NODES))
    end
    local t = type(x)
    if t == "string" or t == "number" or t == "boolean" or x == null then return x end
    if t ~= "table" then return fail(path, string.format("is a %s; a recipe's values are %s", t, PLAIN)) end
    if on_path[x] then return fail(path, "contains itself") end
    if depth > MAX_DEPTH then return fail(path, string.format("is nested deeper than %d levels", MAX_DEPTH)) end
    if debug.getmetatable(x) ~= nil then
      return fail(path, "has a metatable; a recipe's values are plain " .. PLAIN)
    end
    -- A list has the keys 1..n; a mapping only names.
    local keys, count, top_index = {}, 0, 0
    for k in next, x do
      count = count + 1
      if type(k) == "string" then
        keys[#keys + 1] = k
      elseif math.type(k) == "integer" and k >= 1 then
        if k > top_index then top_index = k end
      else
        local shown = (type(k) == "number" or type(k) == "boolean") and tostring(k) .. ", a " .. type(k)
          or "a " .. type(k)
        return fail(path, string.format("has a key that is not a name (%s)", shown))
      end
    end
    if #keys > 0 and #keys ~= count then return fail(path, "mixes list items with named keys") end
    if #keys == 0 and top_index ~= count then return fail(path, "is a list with holes") end
    if #keys > 0 then
      table.sort(keys)                -- the same problem first every time
      nodes = nodes + #keys           -- a key is a node too
    else
      for i = 1, count do keys[i] = i end
    end
    on_path[x] = true
    local c = {}
    for _, k in ipairs(keys) do
      local val = x[k]                -- raw: x has no metatable
      if depth == 1 and opts.functions and opts.functions[k] and type(val) == "function" then
        c[k] = val
      else
        local sub = item_path(path, k)
        c[k] = walk(val, sub, depth + 1, top or (depth == 1 and sub or nil))
        if failure then return nil end
      end
    end
    on_path[x] = nil
    return c
  end

  local copy = walk(v, root, 1)
  if failure then return nil, failure.path, failure.why end
  return copy
end

-- M.nonfinite(t, problems) -> true when it added a problem for a number in
-- t that is not finite (YAML's .nan and .inf, Lua's 0/0 and math.huge, a
-- --set of 1e999): no request or identity can carry one.
function M.nonfinite(t, problems)
  local loc, seen, found = require("hh.loc"), {}, false
  local function walk(x, path)
    if seen[x] then return end
    seen[x] = true
    for k, v in next, x do
      if type(v) == "number" and (v ~= v or v == math.huge or v == -math.huge) then
        problems:add(math.type(k) and loc.item(x, k) or loc.key(x, k), item_path(path, k),
          "must be a finite number, not .nan or .inf")
        found = true
      elseif type(v) == "table" then
        walk(v, item_path(path, k))
      end
    end
  end
  walk(t, "")
  return found
end

return M
