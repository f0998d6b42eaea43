-- hh.rows_file: a recipe's rows from a data file, `rows: {file: NAME}`: CSV
-- (RFC 4180: a header line naming the columns, quoted fields, "" for a
-- quote) or JSON Lines (one object a line). Each row becomes a mapping like
-- an inline row, placed at its line (a CSV value at its column too), so the
-- recipe's checks point into the data file.

local json = require("hh.json")
local loc = require("hh.loc")

local M = {}

M.MAX_BYTES = 16 * 1024 * 1024 -- a data file may be larger than a recipe
M.MAX_ROWS = 100000

local KINDS = { csv = "csv", jsonl = "jsonl", ndjson = "jsonl" }

local function kind_of(name)
  local ext = name:match("%.([%w]+)$")
  return ext and KINDS[ext:lower()]
end

-- What is wrong with the rows: mapping, or nil: { at, field, rule }.
function M.spec_problem(spec)
  for _, k in ipairs(loc.keys(spec)) do
    if k ~= "file" then
      return { at = loc.keypos(spec, k), field = "rows." .. k, rule = "unknown key (rows: {file: NAME} takes only file)" }
    end
  end
  local name = spec.file
  if type(name) ~= "string" or name == "" then
    return { field = "rows.file", rule = "must be a file name (a .csv or .jsonl file, relative to the recipe)" }
  end
  if not kind_of(name) then
    return { field = "rows.file", rule = string.format('"%s": must end in .csv or .jsonl (.ndjson)', name) }
  end
  return nil
end

-- An unquoted CSV value as YAML would read it: a whole number, a number,
-- true or false, else the text; empty is no value.
local function csv_value(s)
  if s == "" then return nil end
  if s:match("^[+-]?%d+$") then return math.tointeger(tonumber(s)) or tonumber(s) end
  if s:match("^[+-]?%d*%.?%d+[eE][+-]?%d+$") or s:match("^[+-]?%d*%.%d+$") or s:match("^[+-]?%d+%.$") then
    return tonumber(s)
  end
  if s == "true" then return true end
  if s == "false" then return false end
  return s
end

-- The records of a CSV text: { {line, fields = { {text, quoted, line, col}... }}... }
-- or nil, line, why.
local function csv_records(text)
  local records, i, n, line = {}, 1, #text, 1
  if text:sub(1, 3) == "\239\187\191" then i = 4 end -- a byte order mark
  local line_start = i
  while i <= n do
    local rec = { line = line, fields = {} }
    while true do
      local col = utf8.len(text, line_start, i - 1) or (i - line_start)
      local field = { line = line, col = col + 1 }
      if text:sub(i, i) == '"' then
        local parts, j = {}, i + 1
        while true do
          local q = text:find('"', j, true)
          if not q then return nil, field.line, "a quoted value is never closed" end
          parts[#parts + 1] = text:sub(j, q - 1)
          if text:sub(q + 1, q + 1) == '"' then
            parts[#parts + 1] = '"'
            j = q + 2
          else
            j = q + 1
            break
          end
        end
        field.text, field.quoted = table.concat(parts), true
        local k = i -- line breaks inside the quotes
        while true do
          local nl = text:find("\n", k, true)
          if not nl or nl >= j then break end
          line, line_start, k = line + 1, nl + 1, nl + 1
        end
        i = j
        local c = text:sub(i, i)
        if c ~= "," and c ~= "\n" and c ~= "\r" and c ~= "" then
          return nil, line, "text after a quoted value (a value with a quote in it is quoted whole, with \"\" for each quote)"
        end
      else
        local j = text:find("[,\r\n]", i) or n + 1
        field.text = text:sub(i, j - 1)
        if field.text:find('"', 1, true) then
          return nil, line, 'a quote inside an unquoted value (quote the whole value, with "" for each quote)'
        end
        i = j
      end
      rec.fields[#rec.fields + 1] = field
      local c = text:sub(i, i)
      if c == "," then
        i = i + 1
      else
        if c == "\r" and text:sub(i + 1, i + 1) == "\n" then i = i + 2 elseif c ~= "" then i = i + 1 end
        line = line + 1
        line_start = i
        break
      end
    end
    -- A blank line is no record.
    if not (#rec.fields == 1 and rec.fields[1].text == "" and not rec.fields[1].quoted) then
      records[#records + 1] = rec
    end
  end
  return records
end

local function parse_csv(path, text, problems)
  local records, bad_line, why = csv_records(text)
  if not records then
    problems:add(string.format("%s:%d", path, bad_line), "rows.file", why)
    return nil
  end
  if #records == 0 then
    problems:add(path, "rows.file", "no header line: the first line names the columns")
    return nil
  end
  local header, names, seen = records[1], {}, {}
  for c, f in ipairs(header.fields) do
    local at = string.format("%s:%d:%d", path, f.line, f.col)
    if f.text == "" then
      problems:add(at, "rows.file", string.format("column %d has no name in the header", c))
      return nil
    end
    if seen[f.text] then
      problems:add(at, "rows.file", string.format('column "%s" is named twice in the header', f.text))
      return nil
    end
    seen[f.text] = true
    names[c] = f.text
  end
  local rows = {}
  for r = 2, #records do
    local rec = records[r]
    if #rec.fields ~= #names then
      problems:add(string.format("%s:%d", path, rec.line), "rows.file",
        string.format("has %d values; the header names %d columns", #rec.fields, #names))
    else
      local values, keys, order = {}, {}, {}
      for c, f in ipairs(rec.fields) do
        local v
        if f.quoted then v = f.text else v = csv_value(f.text) end
        if v ~= nil then
          values[names[c]] = v
          keys[names[c]] = string.format("%s:%d:%d", path, f.line, f.col)
          order[#order + 1] = names[c]
        end
      end
      rows[#rows + 1] = { values = values, at = string.format("%s:%d", path, rec.line), keys = keys, order = order }
    end
  end
  return rows
end

-- A number from JSON as a recipe's YAML would have it: whole ones whole.
local function plain_number(v)
  if math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 2 ^ 53 then return math.tointeger(v) end
  return v
end

local function parse_jsonl(path, text, problems)
  local rows, line = {}, 0
  for s in (text:gsub("\r\n", "\n") .. "\n"):gmatch("(.-)\n") do
    line = line + 1
    if s:find("%S") then
      local at = string.format("%s:%d", path, line)
      local obj, err = json.decode(s)
      if type(obj) ~= "table" or (obj[1] ~= nil) then
        problems:add(at, "rows.file", obj == nil and ("not JSON: " .. tostring(err)) or "must be a JSON object (names to values)")
      else
        local values, keys, order = {}, {}, {}
        for k, v in pairs(obj) do
          if v ~= json.null then
            values[k] = type(v) == "number" and plain_number(v) or v
            keys[k] = at
            order[#order + 1] = k
          end
        end
        table.sort(order)
        rows[#rows + 1] = { values = values, at = at, keys = keys, order = order }
      end
    end
  end
  return rows
end

-- The rows of the data file at path: a list of mappings registered with
-- hh.loc (the list at `at`, the rows: entry), or nil after adding problems.
function M.parse(path, text, problems, at)
  local parse = kind_of(path) == "csv" and parse_csv or parse_jsonl
  local rows = parse(path, text, problems)
  if not rows then return nil end
  if #rows > M.MAX_ROWS then
    problems:add(path, "rows.file", string.format("has %d rows; at most %d", #rows, M.MAX_ROWS))
    return nil
  end
  if #rows == 0 then
    problems:add(path, "rows.file", "has no rows")
    return nil
  end
  local list = {}
  for i, r in ipairs(rows) do list[i] = r.values end
  loc.register_rows(list, at, rows)
  return list
end

return M
