-- hh.store: where a team store is and how hh reaches it. A store is a
-- PostgreSQL database named by a URI (--store, HH_STORE, or the first line
-- of ~/.config/hh/store); its password never appears in any of those: it
-- comes from PGPASSWORD or from ~/.config/hh/pgpass (pgpass format, mode
-- 0600, refused otherwise), so it is never in a recipe, a command line, a
-- log or a journal. Opening a store brings its schema up to date
-- (hh.store_schema) and refuses one newer than this hh.

local fs = require("hh.fs")
local schema = require("hh.store_schema")

local M = {}

local function config_dir()
  local xdg = os.getenv("XDG_CONFIG_HOME")
  if xdg and xdg ~= "" then return xdg .. "/hh" end
  local home = os.getenv("HOME")
  return home and home ~= "" and (home .. "/.config/hh") or nil
end
M.config_dir = config_dir

local function first_line(path)
  local text = fs.read(path)
  if not text then return nil end
  for line in text:gmatch("[^\n]+") do
    line = line:gsub("^%s+", ""):gsub("%s+$", "")
    if line ~= "" and line:sub(1, 1) ~= "#" then return line end
  end
  return nil
end

-- What is wrong with a store address, or nil.
function M.address_problem(uri)
  if not (uri:match("^postgresql://") or uri:match("^postgres://")) then
    return "expected a PostgreSQL URI, postgresql://USER@HOST:PORT/DATABASE"
  end
  local authority = uri:match("^postgres[ql]*://([^/?#]*)") or ""
  if authority:match("^[^@]*:[^@]*@") or uri:match("[?&]password=") then
    return "it holds a password; keep it out of addresses (they end up in shell history and process lists): "
      .. "put it in PGPASSWORD or ~/.config/hh/pgpass (mode 0600)"
  end
  return nil
end

-- The store to use: the option, else HH_STORE, else ~/.config/hh/store.
-- nil when there is none (the run directory's journal alone); nil, message
-- when the address given is not usable.
function M.locate(option)
  local uri, from = option, "--store"
  if not uri or uri == "" then uri, from = os.getenv("HH_STORE"), "HH_STORE" end
  if not uri or uri == "" then
    local dir = config_dir()
    if dir and fs.size(dir .. "/store") then uri, from = first_line(dir .. "/store"), dir .. "/store" end
  end
  if not uri or uri == "" then return nil end
  local why = M.address_problem(uri)
  if why then
    local shown = uri:gsub("://[^@/]*@", "://...@"):gsub("([?&]password=)[^&]*", "%1...")
    return nil, string.format("%s: %s: %s", from, shown, why)
  end
  return uri
end

-- A run's team settings from its options (store, cache, lease), else
-- HH_STORE / HH_CACHE and ~/.config/hh/{store,cache}: a table (store nil
-- for the run directory alone: --store local), or nil and a message.
function M.settings(opts)
  local out = {}
  if opts.store ~= "local" then
    local uri, err = M.locate(opts.store)
    if err then return nil, err end
    out.store = uri
  end
  if not out.store then
    if opts.cache or opts.lease then return nil, "--cache and --lease belong to a team store (--store URI)" end
    return out
  end
  local cache = opts.cache or os.getenv("HH_CACHE")
  local dir = config_dir()
  if (not cache or cache == "") and dir and fs.size(dir .. "/cache") then cache = first_line(dir .. "/cache") end
  if cache and cache ~= "" then
    local ok, cerr = fs.mkdirs(cache)
    if not ok then return nil, string.format("--cache %s: %s", cache, cerr) end
    out.cache = cache
  end
  if opts.lease then
    local n = tonumber(opts.lease)
    if not n or n < 1 or n > 3600 then
      return nil, string.format("--lease: expected seconds from 1 to 3600, got %q", tostring(opts.lease))
    end
    out.lease = n
  end
  return out
end

-- ~/.config/hh/pgpass when there is one: it must be readable by its owner alone.
local function passfile()
  local dir = config_dir()
  local path = dir and dir .. "/pgpass"
  if not path or not fs.size(path) then return nil end
  local mode = fs.mode(path)
  if mode and mode & 0x3f ~= 0 then
    return nil, string.format("%s can be read by others (mode %04o); the store's password must not be: chmod 600 %s",
      path, mode, path)
  end
  return path
end

local function with_param(uri, key, value)
  return uri .. (uri:find("?", 1, true) and "&" or "?") .. key .. "=" .. value:gsub("[^%w%-%._~/]", function(c)
    return string.format("%%%02X", c:byte())
  end)
end

-- Opens the store at uri and brings its schema up to date: a connection,
-- or nil and a message.
function M.open(uri)
  local pf, perr = passfile()
  if perr then return nil, perr end
  local conninfo = uri
  if pf then conninfo = with_param(conninfo, "passfile", pf) end
  if not uri:find("connect_timeout=", 1, true) then conninfo = with_param(conninfo, "connect_timeout", "10") end
  conninfo = with_param(conninfo, "application_name", "hh")
  local db, err = require("hh.pg").connect(conninfo)
  if not db then return nil, string.format("%s: %s", uri, err) end
  local ok, merr = pcall(M.migrate, db)
  if not ok then db:close() return nil, string.format("%s: %s", uri, tostring(merr)) end
  return db
end

-- Applies the migrations the store has not had, all in one transaction.
function M.migrate(db)
  db:exec("SET lock_timeout = '20s'; SET statement_timeout = '60s'")
  db:exec("BEGIN")
  local ok, err = pcall(function()
    db:rows("SELECT pg_advisory_xact_lock($1)", schema.LOCK)
    db:exec([[CREATE TABLE IF NOT EXISTS hh_migrations (version integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now(), by_hh text)]])
    local have = db:rows("SELECT coalesce(max(version), 0) AS v FROM hh_migrations")[1].v
    if have > schema.VERSION then
      error(string.format("the store's schema is version %d; this hh knows versions up to %d: use a newer hh",
        have, schema.VERSION), 0)
    end
    for v = have + 1, schema.VERSION do
      db:exec(schema.MIGRATIONS[v])
      db:run("INSERT INTO hh_migrations(version, by_hh) VALUES ($1, $2)", v, require("hh.core").versions().hh)
    end
  end)
  if not ok then pcall(db.exec, db, "ROLLBACK") error(err, 0) end
  db:exec("COMMIT")
end

-- Who is running: HH_PERSON, else the login name.
function M.person()
  for _, name in ipairs({ "HH_PERSON", "USER", "LOGNAME" }) do
    local v = os.getenv(name)
    if v and v ~= "" then return v end
  end
  return "someone"
end

function M.host()
  local text = fs.read("/proc/sys/kernel/hostname") or os.getenv("HOSTNAME") or "host"
  return (text:gsub("%s+$", ""))
end

return M
