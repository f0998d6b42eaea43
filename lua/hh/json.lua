-- hh.json: canonical JSON (sorted keys, integral numbers without a
-- fraction, shortest round-trip floats), so the same request always has the
-- same bytes: its hash is the job's identity and its idempotency key. The
-- encoder is native (hh.core.canonical); decoding is lua-cjson's.

local cjson = require("cjson")
local core = require("hh.core")

local M = {}

-- Empty tables encode as []; M.object() is an empty table that encodes as {}.
local object_mt = { __name = "hh.json.object" }
debug.getregistry()["hh.json.object_mt"] = object_mt

function M.object()
  return setmetatable({}, object_mt)
end

function M.encode(v)
  local s, err = core.canonical(v)
  if not s then error("JSON: " .. err, 2) end
  return s
end

-- Decodes, returning nil and a message instead of raising.
function M.decode(s)
  local ok, v = pcall(cjson.decode, s)
  if ok then return v end
  return nil, tostring(v)
end

M.null = cjson.null

return M
