-- hh.patterns: checks of include/exclude patterns ({name: value}) against
-- the recipe's axes, vars and rows, so a pattern that can match no cell is
-- an error before anything is sent, not an exclude that excludes nothing.

local loc = require("hh.loc")
local suggest = require("hh.suggest")
local template = require("hh.template")

local M = {}

-- The problems of an include/exclude pattern ({name: value}): a name that is
-- no axis, var or row name, a value no axis or row of that name has.
function M.problems(r, axis_names, c, field, problems)
  local n = 0
  for _, k in ipairs(loc.keys(c)) do
    local v, values = c[k], {}
    for _, a in ipairs(r.axes) do
      for _, row in ipairs(a.rows) do if row[k] ~= nil then values[#values + 1] = row[k] end end
    end
    for _, row in ipairs(r.rows) do if row.values[k] ~= nil then values[#values + 1] = row.values[k] end end
    if r.vars[k] ~= nil then values[#values + 1] = r.vars[k] end
    local at = loc.key(c, k)
    if not (axis_names[k] or r.vars[k] ~= nil or #values > 0) then
      local known = {}
      for name in pairs(axis_names) do known[name] = true end
      for name in pairs(r.vars) do known[name] = true end
      problems:add(loc.keypos(c, k), field .. "." .. tostring(k), "no axis, var or row has this name; the pattern would match no cell"
        .. suggest(tostring(k), known))
      n = n + 1
    elseif #values > 0 then
      local texts, set, found = {}, {}, false
      for _, x in ipairs(values) do
        local t = template.format(x)
        if t == template.format(v) then found = true break end
        if not set[t] then set[t] = true texts[#texts + 1] = t end
      end
      if not found then
        local list = #texts <= 10 and table.concat(texts, ", ") or table.concat(texts, ", ", 1, 10) .. ", ..."
        problems:add(at, field .. "." .. k, string.format('no cell has %s %s; the pattern would match no cell (its values: %s)%s',
          k, template.format(v), list, suggest(template.format(v), set)))
        n = n + 1
      end
    end
  end
  return n
end

return M
