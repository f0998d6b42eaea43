-- hh.args: command-line option parsing for hh's commands. A spec lists the
-- options; "--name value", "--name=value", "-o value", flags, repeatable
-- options and "--" are understood. Errors name the option.

local M = {}

-- spec: { {name = "prompt", short = "p", arg = "TEXT", help = "..."},
--         {name = "wait", flag = true}, {name = "image", arg = "URL", many = true},
--         {name = "grid-image", arg = "FILE", optional = true} }
-- An optional value is given as --name=value; --name alone is true.
-- Returns options, positional arguments; or nil and an error message.
function M.parse(spec, argv, first)
  local by_long, by_short = {}, {}
  for _, o in ipairs(spec) do
    by_long[o.name] = o
    if o.short then by_short[o.short] = o end
    if o.negatable then by_long["no-" .. o.name] = { name = o.name, flag = true, negated = true } end
  end
  local opts, rest = {}, {}
  local i = first or 1
  local function set(o, value)
    if o.many then
      opts[o.name] = opts[o.name] or {}
      table.insert(opts[o.name], value)
    else
      opts[o.name] = value
    end
  end
  while i <= #argv do
    local a = argv[i]
    if a == "--" then
      for j = i + 1, #argv do rest[#rest + 1] = argv[j] end
      break
    end
    local long, value = a:match("^%-%-([%w%-]+)=(.*)$")
    if not long then long = a:match("^%-%-([%w%-]+)$") end
    local o
    if long then
      o = by_long[long]
      if not o then
        local hint = require("hh.suggest")(long, by_long)
        return nil, "unknown option --" .. long .. (hint ~= "" and hint:gsub("'(.-)'", "'--%1'") or "")
      end
    elseif a:match("^%-%a$") then
      o = by_short[a:sub(2)]
      if not o then return nil, "unknown option " .. a end
    end
    if o then
      if o.optional then
        set(o, value or true)
      elseif o.flag then
        if value then return nil, "--" .. long .. " takes no value" end
        set(o, not o.negated)
      else
        if value == nil then
          i = i + 1
          value = argv[i]
          if value == nil then return nil, (long and "--" .. long or a) .. " needs a value" end
        end
        set(o, value)
      end
    else
      rest[#rest + 1] = a
    end
    i = i + 1
  end
  return opts, rest
end

-- A command's options followed by options shared by several commands.
function M.with(spec, common)
  local all = {}
  for _, o in ipairs(spec) do all[#all + 1] = o end
  for _, o in ipairs(common) do all[#all + 1] = o end
  return all
end

-- The start of every command: parses argv (from argv[2]), says what is wrong
-- as "hh: NAME: problem (see hh help NAME)", prints the help for --help.
-- Returns options and the other arguments, or nil and the exit status.
function M.command(spec, name, argv, help)
  local opts, rest = M.parse(spec, argv, 2)
  if not opts then
    require("hh.display").say("%s: %s (see hh help %s)", name, rest, name)
    return nil, 2
  end
  if opts.help then
    print(help)
    return nil, 0
  end
  return opts, rest
end

-- A number option: the value, or nil and a message naming the option.
function M.number(opts, name, lo, hi)
  local v = opts[name]
  if v == nil then return nil end
  local n = tonumber(v)
  if not n or (lo and n < lo) or (hi and n > hi) then
    return nil, string.format("--%s: expected a number%s, got %q", name,
      lo and hi and string.format(" from %g to %g", lo, hi) or "", v)
  end
  return n
end

function M.usage(spec)
  local lines = {}
  for _, o in ipairs(spec) do
    local left = (o.short and ("-" .. o.short .. ", ") or "    ") .. "--" .. o.name
      .. (o.arg and (o.optional and ("[=" .. o.arg .. "]") or (" " .. o.arg)) or "")
    lines[#lines + 1] = string.format("  %-28s %s", left, o.help or "")
  end
  return table.concat(lines, "\n")
end

return M
