-- hh.json: canonical JSON (sorted keys, integral numbers without a
-- fraction), so the same request always has the same bytes: its hash is the
-- job's identity and its idempotency key. Decoding is lua-cjson's.

local cjson = require("cjson")

local M = {}

local function encode(v, out)
  local t = type(v)
  if t == "table" then
    if v == cjson.null then
      out[#out + 1] = "null"
      return
    end
    local n = #v
    local count = 0
    for _ in pairs(v) do count = count + 1 end
    if count == n and (n > 0 or getmetatable(v) == cjson.array_mt) then
      out[#out + 1] = "["
      for i = 1, n do
        if i > 1 then out[#out + 1] = "," end
        encode(v[i], out)
      end
      out[#out + 1] = "]"
      return
    end
    local keys = {}
    for k in pairs(v) do
      if type(k) ~= "string" then error("JSON object keys must be strings (got " .. type(k) .. ")", 0) end
      keys[#keys + 1] = k
    end
    table.sort(keys)
    out[#out + 1] = "{"
    for i, k in ipairs(keys) do
      if i > 1 then out[#out + 1] = "," end
      out[#out + 1] = (cjson.encode(k):gsub("\\/", "/"))
      out[#out + 1] = ":"
      encode(v[k], out)
    end
    out[#out + 1] = "}"
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then error("cannot encode " .. tostring(v) .. " in JSON", 0) end
    if math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 2^53 then
      out[#out + 1] = string.format("%d", math.tointeger(v))
    elseif math.type(v) == "integer" then
      out[#out + 1] = string.format("%d", v)
    else
      -- the shortest form that reads back as the same number
      local s = string.format("%.15g", v)
      if tonumber(s) ~= v then s = string.format("%.16g", v) end
      if tonumber(s) ~= v then s = string.format("%.17g", v) end
      out[#out + 1] = s
    end
  elseif t == "string" then
    -- lua-cjson escapes "/" as "\/"; both are valid, the plain form reads better
    out[#out + 1] = (cjson.encode(v):gsub("\\/", "/"))
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  elseif v == nil then
    out[#out + 1] = "null"
  else
    error("cannot encode a " .. t .. " in JSON", 0)
  end
end

function M.encode(v)
  local out = {}
  encode(v, out)
  return table.concat(out)
end

-- Decodes, returning nil and a message instead of raising.
function M.decode(s)
  local ok, v = pcall(cjson.decode, s)
  if ok then return v end
  return nil, tostring(v)
end

M.null = cjson.null

return M
