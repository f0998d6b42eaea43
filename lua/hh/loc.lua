-- hh.loc: where things are in a recipe, for messages of the form
-- "file:line:col: field: rule". Every table of a loaded recipe is
-- registered with the position of each of its keys' values and items
-- (from libyaml's marks, or the line of a Lua recipe's call); merged tables
-- carry the positions of the pieces they were made from.

local M = {}

local where = setmetatable({}, { __mode = "k" })

local function fmt(file, line, col)
  if line and col then return string.format("%s:%d:%d", file, line, col) end
  if line then return string.format("%s:%d", file, line) end
  return file
end

-- A YAML document and its marks (see hh.yaml).
function M.register_yaml(doc, marks, file)
  local seen = {}
  local function walk(t)
    if type(t) ~= "table" or seen[t] then return end
    seen[t] = true
    local m = marks[t]
    local w = { at = m and fmt(file, m.line, m.col) or file, keys = {}, items = {}, keypos = {} }
    if m and m.keys then
      for k, p in pairs(m.keys) do
        w.keys[k] = fmt(file, p.vline or p.line, p.vcol or p.col)
        w.keypos[k] = fmt(file, p.line, p.col)
      end
    end
    if m and m.items then
      for i, p in pairs(m.items) do w.items[i] = fmt(file, p.line, p.col) end
    end
    w.order = m and m.order
    where[t] = w
    for _, v in pairs(t) do walk(v) end
  end
  walk(doc)
end

-- A Lua recipe's table: everything is where the call was made.
function M.register_lua(t, file, line)
  local at = fmt(file, line)
  local seen = {}
  local function walk(x)
    if type(x) ~= "table" or seen[x] then return end
    seen[x] = true
    where[x] = { at = at, keys = setmetatable({}, { __index = function() return at end }),
                 items = setmetatable({}, { __index = function() return at end }) }
    for _, v in pairs(x) do walk(v) end
  end
  walk(t)
end

-- Rows read from a data file (hh.rows_file): the list at `at`, each row at
-- its line, each value where it was written; keys in the file's order.
function M.register_rows(list, at, rows)
  local w = { at = at, keys = {}, items = {} }
  for i, r in ipairs(rows) do
    w.items[i] = r.at
    where[list[i]] = { at = r.at, keys = r.keys, keypos = r.keys, items = {}, order = r.order }
  end
  where[list] = w
end

-- Position of table t itself, of its key k's value, or of its item i.
function M.of(t)
  local w = where[t]
  return w and w.at or "?"
end

function M.key(t, k)
  local w = where[t]
  if not w then return "?" end
  return w.keys[k] or w.at
end

-- Position of the key k itself (for "unknown key" problems).
function M.keypos(t, k)
  local w = where[t]
  if not w then return "?" end
  return (w.keypos and w.keypos[k]) or w.keys[k] or w.at
end

function M.item(t, i)
  local w = where[t]
  if not w then return "?" end
  return w.items[i] or w.at
end

-- Key order as written (YAML), or sorted (Lua tables have none).
function M.keys(t)
  local w = where[t]
  local out = {}
  if w and w.order then
    for _, k in ipairs(w.order) do if t[k] ~= nil then out[#out + 1] = k end end
    return out
  end
  for k in pairs(t) do if type(k) == "string" then out[#out + 1] = k end end
  table.sort(out)
  return out
end

-- Records that new[k] came from src[k] (merging tables keeps positions).
function M.copy_key(new, k, src)
  local w = where[new]
  if not w then
    w = { at = M.of(src), keys = {}, items = {} }
    where[new] = w
  end
  w.keys[k] = M.key(src, k)
  w.keypos = w.keypos or {}
  w.keypos[k] = M.keypos(src, k)
end

-- Records that t[k] was given at `at` (a command line's --set, say).
function M.set_key(t, k, at)
  M.set(t, at)
  local w = where[t]
  rawset(w.keys, k, at)
  w.keypos = w.keypos or {}
  w.keypos[k] = at
end

function M.set(t, at)
  where[t] = where[t] or { at = at, keys = {}, items = {} }
end

return M
