-- hh.journal: the run directory's SQLite journal. Every paid step is
-- recorded: the intent to submit a job before its first byte is sent, the
-- task id the moment it arrives, then the outcome, the file and its sha256.
-- WAL with synchronous=FULL: a committed step survives a crash or a power
-- cut (NORMAL could lose the last commits on power loss). One lock per run
-- directory keeps a second hh out.

local fs = require("hh.fs")
local json = require("hh.json")
local sqlite = require("hh.sqlite")

local M = {}
local Journal = {}
Journal.__index = Journal

M.FILE = "journal.db"
M.SCHEMA_VERSION = 1

local SCHEMA = [[
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,      -- hash of the canonical request, sample and variant
  idx INTEGER,              -- position in the recipe's job list
  cell TEXT, variant TEXT, sample INTEGER,
  cell_values TEXT,         -- JSON
  params TEXT NOT NULL,     -- canonical JSON of the request
  output TEXT,              -- file name below the run directory
  credits INTEGER,          -- from the price table
  rerun_of TEXT, rerun_rule INTEGER,
  state TEXT NOT NULL,      -- new submitting submitted done failed unknown skipped
  class TEXT, error TEXT, failure_class TEXT,
  task_id TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT,
  file TEXT, bytes INTEGER, sha256 TEXT,
  polls INTEGER, seconds REAL,
  submitted_at REAL, finished_at REAL,
  recipe_hash TEXT,
  in_plan INTEGER NOT NULL DEFAULT 1, -- in the recipe as last run (others stay cached)
  updated_at REAL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE TABLE IF NOT EXISTS attempts (
  job TEXT NOT NULL, n INTEGER NOT NULL,
  idempotency_key TEXT, started_at REAL, outcome TEXT, task_id TEXT, error TEXT,
  PRIMARY KEY (job, n)
);
]]

local function now() return os.time() end

-- Opens (creating) the journal of a run directory and takes its lock.
-- nil, message when another hh holds the run.
function M.open(dir, opts)
  opts = opts or {}
  local ok, err = fs.mkdirs(dir)
  if not ok then return nil, err end
  local lock, pid, lerr = fs.lock(dir .. "/.lock")
  if not lock then
    if pid then
      return nil, string.format("another hh (process %d) is running %s; wait for it or stop it first", pid, dir)
    end
    return nil, lerr
  end
  local db, derr = sqlite.open(dir .. "/" .. M.FILE)
  if not db then lock:release() return nil, derr end
  local ok2, serr = pcall(function()
    db:exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;")
    db:exec(SCHEMA)
  end)
  if not ok2 then db:close() lock:release() return nil, tostring(serr) end
  local j = setmetatable({ db = db, lock = lock, dir = dir }, Journal)
  local v = j:meta("schema")
  if v and tonumber(v) ~= M.SCHEMA_VERSION then
    j:close()
    return nil, string.format("%s/%s is a journal of format %s; this hh reads format %d", dir, M.FILE, v, M.SCHEMA_VERSION)
  end
  j:set_meta("schema", tostring(M.SCHEMA_VERSION))
  -- This directory's own identity: two runs of one recipe share a name and
  -- cell ids but not their videos, so votes must not pass from one to the
  -- other. Journals from before it get theirs on their next run.
  if not j:meta("run_id") then j:set_meta("run_id", require("hh.core").random_hex(8)) end
  return j
end

-- Reads a journal without taking the lock (hh plan, hh show, hh runs).
function M.read(dir)
  local path = dir .. "/" .. M.FILE
  if not fs.size(path) then return nil end
  local db, err = sqlite.open(path)
  if not db then return nil, err end
  local ok, e = pcall(db.exec, db, "PRAGMA busy_timeout=5000;")
  if not ok then db:close() return nil, tostring(e) end
  return setmetatable({ db = db, dir = dir, readonly = true }, Journal)
end

function Journal:close()
  if self.db then self.db:close() self.db = nil end
  if self.lock then self.lock:release() self.lock = nil end
end

function Journal:meta(key)
  local rows = self.db:rows("SELECT value FROM meta WHERE key = ?", key)
  return rows[1] and rows[1].value
end

function Journal:set_meta(key, value)
  self.db:run("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value)
end

function Journal:get(id)
  return self.db:rows("SELECT * FROM jobs WHERE id = ?", id)[1]
end

function Journal:all()
  return self.db:rows("SELECT * FROM jobs ORDER BY idx, (rerun_of IS NOT NULL), id")
end

-- The jobs of the recipe as last run, with their reruns.
function Journal:current()
  return self.db:rows([[SELECT * FROM jobs WHERE in_plan = 1
    OR rerun_of IN (SELECT id FROM jobs WHERE in_plan = 1) ORDER BY idx, (rerun_of IS NOT NULL), id]])
end

-- Records the planned jobs that are not in the journal yet (one
-- transaction). With `all`, these are the recipe's jobs now: the others are
-- kept (a job that comes back is cached) but leave the manifest.
local INSERT_JOB = [[INSERT INTO jobs(id, idx, cell, variant, sample, cell_values, params, output, credits,
    rerun_of, rerun_rule, state, recipe_hash, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?)
  ON CONFLICT(id) DO UPDATE SET idx = excluded.idx, output = excluded.output,
    recipe_hash = coalesce(excluded.recipe_hash, recipe_hash), in_plan = 1]]

-- One job (a rerun, or a Lua recipe's after() job), inside a transaction.
function Journal:plan_one(job)
  self.db:run(INSERT_JOB, job.id, job.index, job.cell, job.variant, job.sample,
    json.encode(job.cell_values or json.object()), json.encode(job.params), job.output, job.credits,
    job.rerun_of, job.rerun_rule, nil, now())
end

function Journal:plan(jobs, recipe_hash, all)
  self.db:exec("BEGIN IMMEDIATE")
  local ok, err = pcall(function()
    if all then self.db:run("UPDATE jobs SET in_plan = 0 WHERE rerun_of IS NULL") end
    for _, job in ipairs(jobs) do
      self.db:run(INSERT_JOB, job.id, job.index, job.cell, job.variant, job.sample, json.encode(job.cell_values or json.object()),
        json.encode(job.params), job.output, job.credits, job.rerun_of, job.rerun_rule, recipe_hash, now())
    end
  end)
  if not ok then self.db:exec("ROLLBACK") error(err, 0) end
  self.db:exec("COMMIT")
end

-- Before the first byte of a submission: durable before it returns.
-- Runs fn in one transaction: one fsync for several statements.
function Journal:transaction(fn, ...)
  self.db:exec("BEGIN IMMEDIATE")
  local ok, res = pcall(fn, ...)
  if not ok then
    pcall(self.db.exec, self.db, "ROLLBACK")
    error(res, 0)
  end
  self.db:exec("COMMIT")
  return res
end

function Journal:intent(job, key)
  return self:transaction(function()
    if not self:get(job.id) then self:plan_one(job) end
    self.db:run([[UPDATE jobs SET state = 'submitting', attempts = attempts + 1, idempotency_key = ?,
        error = NULL, class = NULL, updated_at = ? WHERE id = ?]], key, now(), job.id)
    local n = self.db:rows("SELECT attempts FROM jobs WHERE id = ?", job.id)[1].attempts
    self.db:run("INSERT OR REPLACE INTO attempts(job, n, idempotency_key, started_at, outcome) VALUES (?, ?, ?, ?, 'sending')",
      job.id, n, key, now())
    return n
  end)
end

-- The task id, the moment it arrives.
function Journal:submitted(id, n, task_id)
  self:transaction(function()
    self.db:run("UPDATE jobs SET state = 'submitted', task_id = ?, submitted_at = ?, updated_at = ? WHERE id = ?",
      task_id, now(), now(), id)
    self.db:run("UPDATE attempts SET outcome = 'accepted', task_id = ? WHERE job = ? AND n = ?", task_id, id, n)
  end)
end

function Journal:attempt_outcome(id, n, outcome, err)
  self.db:run("UPDATE attempts SET outcome = ?, error = ? WHERE job = ? AND n = ?", outcome, err, id, n)
end

-- A final or paused state with what is known of it.
function Journal:finish(id, state, f)
  f = f or {}
  self.db:run([[UPDATE jobs SET state = ?, class = ?, error = ?, failure_class = ?, file = ?, bytes = ?, sha256 = ?,
      polls = ?, seconds = ?, finished_at = ?, updated_at = ? WHERE id = ?]],
    state, f.class, f.error, f.failure_class, f.file, f.bytes, f.sha256, f.polls, f.seconds,
    (state == "done" or state == "failed") and now() or nil, now(), id)
end

-- Counts by state and credits (estimated for all, spent for submitted ones).
function Journal:summary()
  local s = { states = {}, jobs = 0, credits_planned = 0, credits_spent = 0, failures = {}, unknown = {} }
  for _, row in ipairs(self:current()) do
    s.jobs = s.jobs + 1
    s.states[row.state] = (s.states[row.state] or 0) + 1
    s.credits_planned = s.credits_planned + (row.credits or 0)
    if row.task_id or row.state == "unknown" or row.state == "submitting" then
      s.credits_spent = s.credits_spent + (row.credits or 0)
    end
    if row.state == "failed" then
      local c = row.failure_class or row.class or "failed"
      s.failures[c] = s.failures[c] or {}
      table.insert(s.failures[c], row)
    elseif row.state == "unknown" or row.state == "submitting" then
      table.insert(s.unknown, row)
    end
  end
  return s
end

-- manifest.jsonl: one line a job, written atomically.
function Journal:write_manifest()
  local lines = {}
  for _, row in ipairs(self:current()) do
    local rec = {
      job = row.id, cell = row.cell, variant = row.variant, sample = row.sample,
      cell_values = row.cell_values and row.cell_values ~= "[]" and json.decode(row.cell_values) or json.object(),
      params = json.decode(row.params),
      output = row.output, state = row.state, class = row.class, error = row.error,
      failure_class = row.failure_class, task_id = row.task_id, credits = row.credits,
      attempts = row.attempts, file = row.file, bytes = row.bytes, sha256 = row.sha256,
      polls = row.polls, seconds = row.seconds, submitted_at = row.submitted_at, finished_at = row.finished_at,
      rerun_of = row.rerun_of, rerun_rule = row.rerun_rule,
    }
    lines[#lines + 1] = json.encode(rec)
  end
  return fs.write_atomic(self.dir .. "/manifest.jsonl", table.concat(lines, "\n") .. (#lines > 0 and "\n" or ""))
end

return M
