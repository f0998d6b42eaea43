-- hh.template: "{name}" placeholders in recipe strings (prompts, any string
-- field, output names). "{{" and "}}" stand for literal braces. Values are
-- written plainly: 5 not 5.0, 0.3 not 0.29999999999999999.

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

-- The template as a list of parts {text = "..."} / {name = "x"}; or nil and
-- a message saying what is wrong with it.
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
      local name = s:sub(i + 1, close - 1)
      if not name:match("^[%a_][%w_]*$") then
        return nil, string.format("bad placeholder {%s}: names are letters, digits and _ (write {{ for a literal brace)", name)
      end
      if #text > 0 then parts[#parts + 1] = { text = table.concat(text) }; text = {} end
      parts[#parts + 1] = { name = name }
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

local parsed = {}
local parsed_count = 0

-- Parsing is cached: a sweep renders the same few templates many times.
local function parse_cached(s)
  local p = parsed[s]
  if p then return p end
  local parts, err = M.parse(s)
  if not parts then return nil, err end
  if parsed_count > 10000 then parsed, parsed_count = {}, 0 end
  parsed[s] = parts
  parsed_count = parsed_count + 1
  return parts
end

-- Fills a template: lookup(name) gives a value (nil: unknown name, an
-- error); escape, when given, rewrites each value's text (file names).
function M.render(s, lookup, escape)
  if not s:find("[{}]") then return s end
  local parts, err = parse_cached(s)
  if not parts then return nil, err end
  local out = {}
  for _, p in ipairs(parts) do
    if p.text then
      out[#out + 1] = p.text
    else
      local v = lookup(p.name)
      if v == nil then return nil, string.format("unknown placeholder {%s}", p.name) end
      local t = M.format(v)
      out[#out + 1] = escape and escape(t) or t
    end
  end
  return table.concat(out)
end

return M
