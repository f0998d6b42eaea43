-- hh.startup: what every command that talks to the host does first: load
-- hh (which checks HH_BASE_URL and HH_SETTINGS), apply the command's
-- --base-url and --rate, and check that hh may talk to that host at all.
-- Each problem is one line that names where the bad value came from; the
-- caller prints it and exits 2, before anything is sent.

local M = {}

-- An error message without the position hh's own files give it
-- ("lua/hh/init.lua:96: "): the position means nothing to a user.
function M.clean(e)
  if type(e) == "table" and e.message then e = e.message end
  e = tostring(e)
  local before
  repeat
    before = e
    e = e:gsub("^[^\n:]-lua/hh/[%w_]+%.lua:%d+: ", "", 1)
  until e == before
  return e
end

-- Loads hh with the command's settings: `o.base_url` (from --base-url),
-- `o.rate`, `o.extra_fields` (what a recipe's extra: declares the host
-- takes). With `o.script` the http rule waits for the first request (a
-- script may still allow plain http with hh.config). Returns hh, or nil
-- and the message.
function M.connect(o)
  o = o or {}
  local ok, hh = pcall(require, "hh")
  if not ok then return nil, M.clean(hh) end
  local host = require("hh.host")
  local settings = {}
  if o.base_url then
    local problem = host.check_base_url(o.base_url)
    if problem then return nil, "--base-url: " .. problem end
    settings.base_url = o.base_url
  end
  settings.rate = o.rate
  if o.extra_fields and #o.extra_fields > 0 then
    local list = {}
    for _, f in ipairs(hh.profile().extra_fields) do list[#list + 1] = f end
    for _, f in ipairs(o.extra_fields) do list[#list + 1] = f end
    settings.profile = { extra_fields = list }
  end
  if next(settings) then
    local cok, err = pcall(hh.config, settings)
    if not cok then return nil, M.clean(err) end
  end
  local p = hh.profile()
  local why = not o.script and host.allowed(p.base_url .. "/")
  if why then return nil, (o.base_url and "--base-url" or p.base_url_from or "HH_BASE_URL") .. ": " .. why end
  return hh
end

-- Has hh given up on the API host (it never answered)? Then the reason.
function M.unreachable()
  local loaded = package.loaded["hh"]
  return loaded and require("hh.host").unreachable(loaded.profile().base_url .. "/")
end

return M
