-- hh.recipe_files: the files a recipe is made of, the top file and the
-- bases its `extends:` names (merged underneath it), and which of them may
-- be read. Every file must be a regular file no larger than a recipe may be;
-- without --trust a base must also be inside the recipe's tree (the git
-- work tree holding the top file, else its directory), symbolic links
-- resolved. Relies on hh.fs.read_regular for the checks that touch the disk.

local fs = require("hh.fs")
local loc = require("hh.loc")

local M = {}

local function dirname(path)
  local dir = path:match("^(.*)/[^/]*$")
  if dir == "" then return "/" end
  return dir or "."
end

-- "a/./b" and "a/x/../b" as "a/b", textually: enough to find cycles, and to
-- see where '..' leads from a directory without links.
local function normalise(path)
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." and #parts > 0 and parts[#parts] ~= ".." then parts[#parts] = nil
    elseif part == ".." and path:sub(1, 1) == "/" then -- /.. is /
    elseif part ~= "." then parts[#parts + 1] = part end
  end
  return (path:sub(1, 1) == "/" and "/" or "") .. table.concat(parts, "/")
end

local function below(path, root)
  return root == "/" or path == root or path:sub(1, #root + 1) == root .. "/"
end

-- A name as a message quotes it.
local function quoted(name)
  return '"' .. name .. '"'
end

-- M.tree(path) -> the recipe's tree: the nearest directory at or above the
-- top file's (links resolved) that holds a .git entry (a directory, or the
-- file of a linked work tree), else the top file's own directory. No git
-- command is run.
function M.tree(path)
  local real = fs.realpath(path)
  if not real then return nil end
  local dir = dirname(real)
  local d = dir
  while true do
    if fs.kind(d == "/" and "/.git" or d .. "/.git") then return d end
    if d == "/" then return dir end
    d = dirname(d)
  end
end

-- The text of a Lua file as loadfile would see it: without a UTF-8 byte
-- order mark, and a first line starting with '#' (a shebang) commented out
-- so line numbers stay the same.
local function lua_text(text)
  if text:sub(1, 3) == "\239\187\191" then text = text:sub(4) end
  if text:sub(1, 1) == "#" then text = "--" .. text end
  return text
end

-- Reads one file into a raw table (no extends), registering positions;
-- `text` is the file, already read.
local function parse(path, text, problems, opts)
  if path:match("%.lua$") then
    local sandbox = require("hh.sandbox")
    local captured, line
    local api = {
      recipe = function(t)
        if type(t) ~= "table" then error("recipe: expected a table", 2) end
        if captured then error("recipe: called twice", 2) end
        captured = t
        line = debug.getinfo(2, "l").currentline
        return t
      end,
    }
    -- What an untrusted recipe prints is its text, shown as any other.
    if not opts.trust then api.print = require("hh.display").print_values end
    for k, v in pairs(opts.lua_api or {}) do api[k] = v end
    local env = sandbox.recipe_env({ api = api, trust = opts.trust, run_dir = opts.run_dir })
    local function add_lua_error(e)
      e = tostring(e)
      local at, msg = e:match("^(.-:%d+): (.*)$")
      problems:add(at or path, nil, msg or e)
    end
    local chunk, err = sandbox.load_recipe(path, env, lua_text(text))
    if not chunk then add_lua_error(err) return nil end
    local ok, res
    if opts.trust then ok, res = pcall(chunk) else ok, res = sandbox.run_recipe_code(chunk) end
    if not ok then add_lua_error(res) return nil end
    if not captured then
      if type(res) == "table" then captured, line = res, nil
      else problems:add(path, nil, "a Lua recipe must call recipe{...} (or return its table)") return nil end
    end
    -- From here on hh reads a copy that is only data: none of the recipe's
    -- code (a metamethod) runs outside its limits.
    local data, where, why = require("hh.plain").copy(captured, { functions = { after = true } })
    if not data then problems:add(line and path .. ":" .. line or path, where, why) return nil end
    captured = data
    loc.register_lua(captured, path, line)
    return captured, nil, opts.yaml_null
  end
  local yaml = require("hh.yaml")
  local doc, marks, left_out = yaml.load(text, path, opts.limits)
  for _, e in ipairs(doc == nil and marks or left_out or {}) do
    local at, msg = e:match("^(.-:%d+:%d+): (.*)$")
    if not at and e:sub(1, #path + 2) == path .. ": " then at, msg = path, e:sub(#path + 3) end
    problems:add(at or path, nil, msg or e)
  end
  if doc == nil then return nil end
  if type(doc) ~= "table" or doc == yaml.null then
    problems:add(path, nil, "a recipe must be a mapping of keys (hh: 1, prompt: ..., sweep: ...)")
    return nil
  end
  loc.register_yaml(doc, marks, path)
  return doc, marks, yaml.null
end

-- Merges `base` under `over`: vars, defaults and extra merge key by key,
-- everything else in `over` replaces the base's.
local function merge(base, over)
  local out = {}
  loc.set(out, loc.of(over))
  for k, v in pairs(base) do
    out[k] = v
    loc.copy_key(out, k, base)
  end
  for k, v in pairs(over) do
    if (k == "vars" or k == "defaults" or k == "extra") and type(v) == "table" and type(base[k]) == "table" then
      local m = {}
      loc.set(m, loc.of(v))
      for kk, vv in pairs(base[k]) do m[kk] = vv; loc.copy_key(m, kk, base[k]) end
      for kk, vv in pairs(v) do m[kk] = vv; loc.copy_key(m, kk, v) end
      out[k] = m
    else
      out[k] = v
    end
    loc.copy_key(out, k, over)
  end
  out.extends = nil
  return out
end

-- The file `name` written in the file `from` (a base; for `field` rows, a
-- data file) may be read: its path, or nil after adding the problem.
-- ctx.root is the tree (nil with --trust).
local function base_path(ctx, from, name, at, problems, field)
  field = field or "extends"
  if name:sub(1, 1) == "/" then
    problems:add(at, field, "must be a path relative to this recipe (" .. name .. " is absolute)")
    return nil
  end
  local dir = dirname(from)
  local path = dir == "." and name or dir .. "/" .. name
  if ctx.root then
    local real_dir = fs.realpath(dir)
    if real_dir and not below(normalise(real_dir .. "/" .. name), ctx.root) then
      problems:add(at, field, string.format("%s: must be inside the recipe's tree (%s); --trust lifts this",
        quoted(name), ctx.root))
      return nil
    end
  end
  return path
end

-- The text of a file, or nil after adding the problem: for a base, at its
-- extends: entry (`name` as written there; `field` for another kind of
-- file); for the top file, at the file.
local function read(ctx, path, problems, at, name, field, max_bytes)
  field = field or "extends"
  if at and ctx.confined and not ctx.root then
    problems:add(at, field, quoted(name) .. ": the recipe's tree is unknown; --trust lifts this")
    return nil
  end
  local text, reason, why = fs.read_regular(path, max_bytes or ctx.max_bytes, at and ctx.root or nil)
  if text then return text end
  if not at then
    problems:add(path, nil, why == "io" and "cannot read: " .. reason or reason)
  elseif why == "outside" then
    problems:add(at, field, string.format(
      "%s: leads out of the recipe's tree (%s) through a symbolic link; --trust lifts this", quoted(name), ctx.root))
  else
    problems:add(at, field, quoted(name) .. ": " .. (why == "io" and "cannot read: " .. reason or reason))
  end
  return nil
end

local function load_with_extends(ctx, path, problems, opts, chain, at, name)
  local key = normalise(path)
  for i, p in ipairs(chain) do
    if p == key then
      local cycle = {}
      for j = i, #chain do cycle[#cycle + 1] = chain[j] end
      cycle[#cycle + 1] = key
      problems:add(at or path, "extends", "cycle: " .. table.concat(cycle, " -> "))
      return nil
    end
  end
  if #chain >= 16 then
    problems:add(at or path, "extends", "more than 16 files deep")
    return nil
  end
  local text = read(ctx, path, problems, at, name)
  if not text then return nil end
  local raw, _, null = parse(path, text, problems, opts)
  if not raw then return nil end
  opts.yaml_null = opts.yaml_null or null
  -- rows: {file: NAME}: the rows of a CSV or JSON Lines file beside it.
  local rows = raw.rows
  if type(rows) == "table" and rows[1] == nil and rows.file ~= nil then
    local at = loc.key(rows, "file")
    local name = rows.file
    local rows_file = require("hh.rows_file")
    local bad = rows_file.spec_problem(rows)
    if bad then
      problems:add(bad.at or at, bad.field, bad.rule)
      raw.rows = {}
    else
      local data_path = base_path(ctx, path, name, at, problems, "rows.file")
      local data = data_path and read(ctx, data_path, problems, at, name, "rows.file", rows_file.MAX_BYTES)
      raw.rows = data and rows_file.parse(data_path, data, problems, loc.key(raw, "rows")) or {}
    end
  end
  local ext = raw.extends
  if ext == nil then return raw end
  local list = type(ext) == "table" and ext or { ext }
  local merged
  chain[#chain + 1] = key
  for i, e in ipairs(list) do
    local eat = type(ext) == "table" and loc.item(ext, i) or loc.key(raw, "extends")
    if type(e) ~= "string" or e == "" then
      problems:add(eat, "extends", "must be a file name or a list of them")
    else
      local base_file = base_path(ctx, path, e, eat, problems)
      local base = base_file and load_with_extends(ctx, base_file, problems, opts, chain, eat, e)
      if base then merged = merged and merge(merged, base) or base end
    end
  end
  chain[#chain] = nil
  if not merged then return raw end
  return merge(merged, raw)
end

-- M.load(path, problems, opts) -> the raw recipe (bases merged in), or nil
-- when a problem stopped it. opts: trust, limits (YAML limits; max_bytes
-- also bounds Lua files), lua_api, run_dir, yaml_null (set on return).
function M.load(path, problems, opts)
  local ctx = { max_bytes = (opts.limits and opts.limits.max_bytes) or require("hh.yaml").limits.max_bytes }
  ctx.confined = not opts.trust
  if ctx.confined then ctx.root = M.tree(path) end
  return load_with_extends(ctx, path, problems, opts, {})
end

return M
