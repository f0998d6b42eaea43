-- hh.template: "{name}" placeholders in recipe strings (prompts, any string
-- field, output names). "{{" and "}}" stand for literal braces. Values are
-- written plainly: 5 not 5.0, 0.3 not 0.29999999999999999. Filters after a
-- bar change a value's text: {weather|slug}, {name|upper}, {cfg|%.2f}.

local M = {}

-- A value as text in a prompt or a file name.
function M.format(v)
  if math.type(v) == "float" then
    if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%d", math.tointeger(v)) end
    local s = string.format("%.15g", v)
    if tonumber(s) ~= v then s = string.format("%.17g", v) end
    return s
  end
  return tostring(v)
end

-- The filters: text to text, or a number format (%d, %.2f, %05.1f, %e, %g).
local function slug(t)
  t = t:lower():gsub("[^%w\128-\255]+", "-"):gsub("^%-+", ""):gsub("%-+$", "")
  return t
end
M.FILTERS = { slug = slug, lower = string.lower, upper = string.upper }
local FILTER_NAMES = "slug, lower, upper, or a number format such as %.2f or %03d"

local function parse_filters(spec, whole)
  local list = {}
  for f in (spec .. "|"):gmatch("(.-)|") do
    if M.FILTERS[f] then
      list[#list + 1] = { name = f, fn = M.FILTERS[f] }
    elseif f:match("^%%0?%d?%d?%.?%d?%d?[dfeg]$") and not f:match("%.[dfeg]$") then
      list[#list + 1] = { name = f, format = f }
    else
      local hint = require("hh.suggest")(f, M.FILTERS)
      return nil, string.format("unknown filter '%s' in {%s}%s: the filters are %s", f, whole, hint, FILTER_NAMES)
    end
  end
  return list
end

-- The template as a list of parts {text = "..."} / {name = "x" [, filters]};
-- or nil and a message saying what is wrong with it.
function M.parse(s)
  local parts, i, n = {}, 1, #s
  local text = {}
  while i <= n do
    local c = s:sub(i, i)
    if c == "{" and s:sub(i + 1, i + 1) == "{" then
      text[#text + 1] = "{"
      i = i + 2
    elseif c == "}" and s:sub(i + 1, i + 1) == "}" then
      text[#text + 1] = "}"
      i = i + 2
    elseif c == "{" then
      local close = s:find("}", i + 1, true)
      if not close then return nil, string.format("unclosed placeholder at character %d (write {{ for a literal brace)", i) end
      local whole = s:sub(i + 1, close - 1)
      local name, spec = whole:match("^([^|]*)|(.*)$")
      name = name or whole
      if not name:match("^[%a_][%w_]*$") then
        return nil, string.format("bad placeholder {%s}: names are letters, digits and _ (write {{ for a literal brace)", whole)
      end
      local filters
      if spec then
        local ferr
        filters, ferr = parse_filters(spec, whole)
        if not filters then return nil, ferr end
      end
      if #text > 0 then parts[#parts + 1] = { text = table.concat(text) }; text = {} end
      parts[#parts + 1] = { name = name, filters = filters, whole = whole }
      i = close + 1
    elseif c == "}" then
      return nil, string.format("unmatched } at character %d (write }} for a literal brace)", i)
    else
      local j = s:find("[{}]", i) or n + 1
      text[#text + 1] = s:sub(i, j - 1)
      i = j
    end
  end
  if #text > 0 then parts[#parts + 1] = { text = table.concat(text) } end
  return parts
end

-- The placeholder names of a template, in order of first use.
function M.names(s)
  local parts, err = M.parse(s)
  if not parts then return nil, err end
  local names, seen = {}, {}
  for _, p in ipairs(parts) do
    if p.name and not seen[p.name] then
      seen[p.name] = true
      names[#names + 1] = p.name
    end
  end
  return names
end

-- The text of a value, remembered: a sweep writes the same few values into
-- every job, and turning a number into text is the slow part of a render.
-- Strings map to themselves. Indexed, not called, from the compiled
-- templates (type() and a call per placeholder cost more than the lookup).
local remembered = 0
local text_of = setmetatable({}, { __index = function(cache, v)
  local s = type(v) == "string" and v or M.format(v)
  if v == v and type(v) ~= "table" then
    if remembered >= 100000 then
      for k in pairs(cache) do cache[k] = nil end
      remembered = 0
    end
    cache[v] = s
    remembered = remembered + 1
  end
  return s
end })

-- Templates are compiled once into Lua functions: a sweep renders the
-- same few templates for every job.
local compiled, compiled_count = {}, 0

-- A placeholder's filters as one function of its value: its text, or nil
-- and why not.
local function filter_chain(p)
  return function(v)
    local t
    local first = p.filters[1]
    if first.format then
      if type(v) ~= "number" then
        return nil, string.format("{%s}: %s is not a number", p.whole, type(v) == "string" and string.format("%q", v) or type(v))
      end
      if first.format:sub(-1) == "d" then
        if math.tointeger(v) == nil then return nil, string.format("{%s}: %s is not a whole number", p.whole, M.format(v)) end
        v = math.tointeger(v)
      end
      t = string.format(first.format, v)
    else
      t = text_of[v]
    end
    for k = 1, #p.filters do
      local f = p.filters[k]
      if f.fn then t = f.fn(t)
      elseif k > 1 then return nil, string.format("{%s}: a number format goes first", p.whole) end
    end
    return t
  end
end

local function compile(s)
  local parts, err = M.parse(s)
  if not parts then return nil, err end
  local chains = {}
  local code, pieces = { "local text_of, chains = ...\nreturn function(lookup, escape, first)\n" }, {}
  for i, p in ipairs(parts) do
    if p.text then
      pieces[#pieces + 1] = string.format("%q", p.text)
    elseif p.filters then
      local v = "v" .. i
      chains[i] = filter_chain(p)
      code[#code + 1] = string.format(
        "local %s = first and first[%q]\n" ..
        "if %s == nil then %s = lookup(%q) if %s == nil then return nil, %q end end\n" ..
        "local why %s, why = chains[%d](%s) if %s == nil then return nil, why end\n" ..
        "if escape then %s = escape(%s) end\n",
        v, p.name, v, v, p.name, v, "unknown placeholder {" .. p.name .. "}", v, i, v, v, v, v)
      pieces[#pieces + 1] = v
    else
      local v = "v" .. i
      code[#code + 1] = string.format(
        "local %s = first and first[%q]\n" ..
        "if %s == nil then %s = lookup(%q) if %s == nil then return nil, %q end end\n" ..
        "%s = text_of[%s]\nif escape then %s = escape(%s) end\n",
        v, p.name, v, v, p.name, v, "unknown placeholder {" .. p.name .. "}", v, v, v, v)
      pieces[#pieces + 1] = v
    end
  end
  code[#code + 1] = "return " .. (#pieces > 0 and table.concat(pieces, " .. ") or '""') .. "\nend\n"
  local chunk = assert(load(table.concat(code), "=template", "t", {}))
  return chunk(text_of, chains)
end

-- Every placeholder of a template that names no value (render stops at the
-- first), in the order written, each once.
function M.unknown(s, lookup, first)
  local parts = M.parse(s)
  local list, seen = {}, {}
  for _, p in ipairs(parts or {}) do
    if p.name and not seen[p.name] and (first == nil or first[p.name] == nil) and lookup(p.name) == nil then
      seen[p.name] = true
      list[#list + 1] = p.name
    end
  end
  return list
end

-- Fills a template: lookup(name) gives a value (nil: unknown name, an
-- error); escape, when given, rewrites each value's text (file names);
-- first, when given, is a table of values tried before lookup (a sweep's
-- cell: one index instead of a call).
function M.render(s, lookup, escape, first)
  local fn = compiled[s]
  if not fn then
    local err
    if s:find("[{}]") then
      fn, err = compile(s)
      if not fn then return nil, err end
    else
      fn = function() return s end
    end
    if compiled_count > 10000 then compiled, compiled_count = {}, 0 end
    compiled[s] = fn
    compiled_count = compiled_count + 1
  end
  return fn(lookup, escape, first)
end

return M
