-- hh.journal: the run directory's SQLite journal. Every paid step is
-- recorded: the intent to submit a job before its first byte is sent, the
-- task id the moment it arrives, then the outcome, the file and its sha256.
-- Each submission attempt keeps hh's estimate and what the host reported it
-- charged, so the directory's spending is known exactly: charged (tasks the
-- host accepted), possibly charged (sent, outcome unknown), never guessed.
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
M.SCHEMA_VERSION = 4

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
  state TEXT NOT NULL,      -- new submitting submitted succeeded done failed unknown skipped
  class TEXT, error TEXT, failure_class TEXT,
  task_id TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT,
  file TEXT, bytes INTEGER, sha256 TEXT,
  polls INTEGER, seconds REAL,
  submitted_at REAL, finished_at REAL,
  recipe_hash TEXT,
  in_plan INTEGER NOT NULL DEFAULT 1, -- in the recipe as last run (others stay cached)
  updated_at REAL,
  reused TEXT               -- who paid for it: a teammate's clip from a team store (format 4)
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE TABLE IF NOT EXISTS attempts (
  job TEXT NOT NULL, n INTEGER NOT NULL,
  idempotency_key TEXT, started_at REAL,
  outcome TEXT,             -- sending accepted unknown refused not_sent retried
  task_id TEXT, error TEXT,
  credits INTEGER,          -- hh's estimate when it was sent
  charged INTEGER,          -- what the host reported it charged; NULL when it never said
  run INTEGER,              -- which run of the directory sent it (meta "runs")
  PRIMARY KEY (job, n)
);
CREATE INDEX IF NOT EXISTS attempts_task ON attempts(task_id);
CREATE TABLE IF NOT EXISTS qc (  -- media checks of a job's file (format 3)
  job TEXT PRIMARY KEY, sha256 TEXT, version TEXT, checked_at REAL, seconds REAL,
  flagged INTEGER, flags TEXT, reasons TEXT, error TEXT,
  duration REAL, width INTEGER, height INTEGER, fps REAL, vcodec TEXT, acodec TEXT, audio INTEGER,
  black REAL, frozen REAL, silence REAL, loudness REAL, cuts TEXT, shots INTEGER,
  poster TEXT, strip TEXT, detail TEXT
);
]]

-- Format 1 (before the attempts' credits): the columns, the estimate each
-- attempt was sent with, and the states a paid task is really in. In format 1
-- every HTTP retry of a submission was an attempt of its own: those before
-- the accepted one were provably not billed. A download that failed after
-- the task succeeded was "failed"; it is pending delivery.
local MIGRATE_1 = [[
ALTER TABLE attempts ADD COLUMN credits INTEGER;
ALTER TABLE attempts ADD COLUMN charged INTEGER;
ALTER TABLE attempts ADD COLUMN run INTEGER;
UPDATE attempts SET credits = (SELECT credits FROM jobs WHERE jobs.id = attempts.job), run = 0;
UPDATE attempts SET outcome = 'retried' WHERE outcome = 'sending' AND EXISTS (SELECT 1 FROM attempts a
  WHERE a.job = attempts.job AND a.n > attempts.n AND a.outcome = 'accepted');
UPDATE jobs SET state = 'succeeded' WHERE state = 'failed' AND task_id IS NOT NULL
  AND class IN ('download', 'bad_url', 'no_url', 'too_large', 'bad_file');
UPDATE jobs SET state = 'submitted' WHERE state = 'failed' AND task_id IS NOT NULL AND class IN ('transport', 'timeout');
]]

local function now() return require("hh.core").wall() end

-- What makes dir unusable as a run directory, or nil: a symbolic link
-- (one shipped in a shared repository would put the journal, the lock and
-- the videos wherever it points). Only the directory itself is looked at;
-- a trailing slash does not hide it.
function M.dir_problem(dir)
  local name = tostring(dir):gsub("(.)/+$", "%1")
  if fs.kind(name) == "symbolic link" then
    return string.format("%s is a symbolic link; a run directory must be a real directory", name)
  end
  return nil
end

-- Opens (creating) the journal of a run directory and takes its lock.
-- nil, message when another hh holds the run.
function M.open(dir, opts)
  opts = opts or {}
  local bad = M.dir_problem(dir)
  if bad then return nil, bad end
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
  local v = tonumber(j:meta("schema") or "")
  if v and v > M.SCHEMA_VERSION then
    j:close()
    return nil, string.format("%s/%s is a journal of format %d; this hh reads formats up to %d", dir, M.FILE, v,
      M.SCHEMA_VERSION)
  end
  if v == 1 then
    local ok3, merr = pcall(j.transaction, j, function() db:exec(MIGRATE_1) end)
    if not ok3 then j:close() return nil, "cannot update the journal: " .. tostring(merr) end
  end
  if v and v < 4 then
    local has = false
    for _, c in ipairs(db:rows("PRAGMA table_info(jobs)")) do if c.name == "reused" then has = true end end
    if not has then
      local ok4, merr = pcall(db.exec, db, "ALTER TABLE jobs ADD COLUMN reused TEXT")
      if not ok4 then j:close() return nil, "cannot update the journal: " .. tostring(merr) end
    end
  end
  j:set_meta("schema", tostring(M.SCHEMA_VERSION))
  -- This directory's own identity: two runs of one recipe share a name and
  -- cell ids but not their videos, so votes must not pass from one to the
  -- other. Journals from before it get theirs on their next run.
  if not j:meta("run_id") then j:set_meta("run_id", require("hh.core").random_hex(8)) end
  return j
end

-- Reads a journal without taking the lock (hh plan, hh show, hh runs). A
-- journal of an older format is brought up to date first when no hh holds
-- it (one that does has already done so).
function M.read(dir)
  local bad = M.dir_problem(dir)
  if bad then return nil, bad end
  local path = dir .. "/" .. M.FILE
  if not fs.size(path) then return nil end
  local db, err = sqlite.open(path)
  if not db then return nil, err end
  local ok, e = pcall(db.exec, db, "PRAGMA busy_timeout=5000;")
  if not ok then db:close() return nil, tostring(e) end
  local j = setmetatable({ db = db, dir = dir, readonly = true }, Journal)
  local okv, v = pcall(j.meta, j, "schema")
  if okv and tonumber(v or "") and tonumber(v) < M.SCHEMA_VERSION then
    db:close()
    local w, werr = M.open(dir)
    if not w then return nil, werr end
    w:close()
    return M.read(dir)
  end
  return j
end

function Journal:close()
  if self.db then
    if not self.readonly then M.stats = self.db:stats() end -- benchmarks: statements and time
    self.db:close()
    self.db = nil
  end
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
-- Render times of tasks done in earlier runs (submission to file), newest
-- first, by kind of request: they seed the polling model of a resumed run.
function Journal:render_times(limit)
  return self.db:rows([[SELECT params, finished_at - submitted_at AS seconds FROM jobs WHERE state = 'done'
    AND finished_at > submitted_at ORDER BY finished_at DESC LIMIT ?]], limit or 2000)
end

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

-- A new run of the directory: its number, for the attempts it makes.
function Journal:begin_run()
  local n = tonumber(self:meta("runs") or "0") + 1
  self:set_meta("runs", tostring(n))
  self.run = n
  return n
end

function Journal:intent(job, key)
  return self:transaction(function()
    if not self:get(job.id) then self:plan_one(job) end
    self.db:run([[UPDATE jobs SET state = 'submitting', attempts = attempts + 1, idempotency_key = ?,
        error = NULL, class = NULL, updated_at = ? WHERE id = ?]], key, now(), job.id)
    local n = self.db:rows("SELECT attempts FROM jobs WHERE id = ?", job.id)[1].attempts
    self.db:run([[INSERT OR REPLACE INTO attempts(job, n, idempotency_key, started_at, outcome, credits, run)
        VALUES (?, ?, ?, ?, 'sending', ?, ?)]], job.id, n, key, now(), job.credits, self.run or 0)
    return n
  end)
end

-- The task id, the moment it arrives. `idempotent`: the host honours
-- Idempotency-Key, so earlier attempts with this key that never got an
-- answer were this very task, not another charge.
-- Returns the credits of those earlier attempts, no longer possibly charged.
local SAME_KEY = [[job = ? AND n < ? AND outcome IN ('sending', 'unknown')
  AND idempotency_key = (SELECT idempotency_key FROM attempts WHERE job = ? AND n = ?)]]
function Journal:submitted(id, n, task_id, idempotent)
  return self:transaction(function()
    self.db:run("UPDATE jobs SET state = 'submitted', task_id = ?, submitted_at = ?, updated_at = ? WHERE id = ?",
      task_id, now(), now(), id)
    self.db:run("UPDATE attempts SET outcome = 'accepted', task_id = ? WHERE job = ? AND n = ?", task_id, id, n)
    if not idempotent then return 0 end
    local released = self.db:rows("SELECT coalesce(sum(credits), 0) AS c FROM attempts WHERE " .. SAME_KEY,
      id, n, id, n)[1].c
    self.db:run("UPDATE attempts SET outcome = 'same_task', task_id = ? WHERE " .. SAME_KEY, task_id, id, n, id, n)
    return released
  end)
end

-- How an attempt ended when no task id came back: unknown (possibly
-- billed), refused (the host said no) or not_sent.
function Journal:attempt_outcome(id, n, outcome, err)
  self.db:run("UPDATE attempts SET outcome = ?, error = ? WHERE job = ? AND n = ?", outcome, err, id, n)
end

-- What the host says it charged for a task (its status answers).
function Journal:set_charged(task_id, charged)
  self.db:run("UPDATE attempts SET charged = ? WHERE task_id = ? AND outcome = 'accepted'", charged, task_id)
end

-- A final or paused state with what is known of it.
function Journal:finish(id, state, f)
  f = f or {}
  self.db:run([[UPDATE jobs SET state = ?, class = ?, error = ?, failure_class = ?, file = ?, bytes = ?, sha256 = ?,
      polls = ?, seconds = ?, finished_at = ?, updated_at = ?, reused = ?, task_id = coalesce(?, task_id) WHERE id = ?]],
    state, f.class, f.error, f.failure_class, f.file, f.bytes, f.sha256, f.polls, f.seconds,
    (state == "done" or state == "failed" or state == "succeeded") and (f.finished_at or now()) or nil, now(),
    f.reused, f.task_id, id)
end

-- The directory's money: credits charged (each accepted task once, at the
-- host's word, else hh's estimate), possibly charged (attempts sent whose
-- outcome is unknown), and how many of each. With `run`, only what that
-- run of the directory sent.
local LEDGER_CHARGED = [[SELECT count(*) AS tasks, coalesce(sum(c), 0) AS credits,
    coalesce(sum(reported), 0) AS reported FROM (SELECT task_id, min(run) AS first_run,
    max(coalesce(charged, credits, 0)) AS c, max(charged IS NOT NULL) AS reported
    FROM attempts WHERE outcome = 'accepted' AND task_id IS NOT NULL GROUP BY task_id)]]
local LEDGER_POSSIBLY = [[SELECT count(*) AS attempts, coalesce(sum(credits), 0) AS credits FROM attempts
    WHERE outcome IN ('sending', 'unknown')]]
function Journal:ledger(run)
  local charged, possibly
  if run then
    charged = self.db:rows(LEDGER_CHARGED .. " WHERE first_run = ?", run)[1]
    possibly = self.db:rows(LEDGER_POSSIBLY .. " AND run = ?", run)[1]
  else
    charged = self.db:rows(LEDGER_CHARGED)[1]
    possibly = self.db:rows(LEDGER_POSSIBLY)[1]
  end
  return { charged = charged.credits, tasks = charged.tasks, reported = charged.reported,
           possibly = possibly.credits, unknown_attempts = possibly.attempts }
end

-- Counts by state, credits (estimated for the recipe's jobs; charged and
-- possibly charged for the whole directory), failures by class, unknown
-- outcomes and pending tasks.
function Journal:summary()
  local s = { states = {}, jobs = 0, credits_planned = 0, failures = {}, unknown = {}, running = {}, undelivered = {} }
  for _, row in ipairs(self:current()) do
    s.jobs = s.jobs + 1
    s.states[row.state] = (s.states[row.state] or 0) + 1
    s.credits_planned = s.credits_planned + (row.credits or 0)
    if row.state == "failed" then
      local c = row.failure_class or row.class or "failed"
      s.failures[c] = s.failures[c] or {}
      table.insert(s.failures[c], row)
    elseif row.state == "unknown" or row.state == "submitting" then
      table.insert(s.unknown, row)
    elseif row.state == "submitted" then
      table.insert(s.running, row)
    elseif row.state == "succeeded" then
      table.insert(s.undelivered, row)
    end
  end
  s.ledger = self:ledger()
  s.credits_charged, s.credits_possibly = s.ledger.charged, s.ledger.possibly
  s.credits_spent = s.credits_charged + s.credits_possibly
  return s
end

-- A job's media check, or nil.
function Journal:qc_get(id)
  return self.db:rows("SELECT * FROM qc WHERE job = ?", id)[1]
end

-- A check is not money: losing its row to a power cut costs only a check
-- again, so it is committed without waiting for the disk (the next paid
-- step's commit makes it durable), and never stalls the loop on an fsync.
function Journal:qc_put(id, sha256, version, r)
  local qc = require("hh.qc")
  self.db:exec("PRAGMA synchronous=NORMAL")
  local ok, err = pcall(self.qc_insert, self, id, sha256, version, r, qc)
  self.db:exec("PRAGMA synchronous=FULL")
  if not ok then error(err, 0) end
end

function Journal:qc_insert(id, sha256, version, r, qc)
  self.db:run([[INSERT OR REPLACE INTO qc(job, sha256, version, checked_at, seconds, flagged, flags, reasons, error,
      duration, width, height, fps, vcodec, acodec, audio, black, frozen, silence, loudness, cuts, shots,
      poster, strip, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)]],
    id, sha256, version, now(), r.seconds, r.flagged and 1 or 0, qc.codes(r), r.error and nil or qc.summary(r), r.error,
    r.duration, r.width, r.height, r.fps, r.vcodec, r.acodec, r.audio == nil and nil or (r.audio and 1 or 0),
    r.black, r.frozen, r.silence, r.loudness, r.cuts and json.encode(r.cuts) or nil, r.shots, r.poster, r.strip,
    json.encode({ flags = r.flags or {}, detail = r.detail }))
end

-- Every job's media check, by job id.
function Journal:qc_all()
  local by = {}
  local ok, rows = pcall(self.db.rows, self.db, "SELECT * FROM qc")
  for _, row in ipairs(ok and rows or {}) do by[row.job] = row end
  return by
end

-- manifest.jsonl: one line a job, written atomically.
-- Each job's charged and possibly charged credits, by job id.
function Journal:job_charges()
  local by = {}
  for _, r in ipairs(self.db:rows([[SELECT job,
      sum(CASE WHEN outcome = 'accepted' THEN coalesce(charged, credits, 0) ELSE 0 END) AS charged,
      sum(CASE WHEN outcome IN ('sending', 'unknown') THEN coalesce(credits, 0) ELSE 0 END) AS possibly
      FROM attempts GROUP BY job]])) do
    by[r.job] = r
  end
  return by
end

-- A job's check as the manifest has it (nil when its file was not checked,
-- or was checked when it held other bytes).
function M.qc_record(q, row)
  if not q or q.sha256 ~= row.sha256 or row.state ~= "done" then return nil end
  local r = require("hh.qc_run").from_row(q)
  local codes = {}
  for _, f in ipairs(r.flags) do codes[#codes + 1] = f.code end
  return {
    flagged = r.flagged, flags = codes, reasons = q.reasons, error = r.error,
    duration = r.duration, width = r.width, height = r.height, fps = r.fps, vcodec = r.vcodec, acodec = r.acodec,
    audio = q.audio ~= nil and r.audio or nil, black = r.black, frozen = r.frozen, silence = r.silence,
    loudness = r.loudness, cuts = r.cuts, shots = r.shots, poster = r.poster,
    strip = r.strip,
  }
end

function Journal:write_manifest()
  local lines = {}
  local charges = self:job_charges()
  local checks = self:qc_all()
  for _, row in ipairs(self:current()) do
    local c = charges[row.id] or {}
    local rec = {
      job = row.id, cell = row.cell, variant = row.variant, sample = row.sample,
      cell_values = row.cell_values and row.cell_values ~= "[]" and json.decode(row.cell_values) or json.object(),
      params = json.decode(row.params),
      output = row.output, state = row.state, class = row.class, error = row.error,
      failure_class = row.failure_class, task_id = row.task_id, credits = row.credits,
      attempts = row.attempts, file = row.file, bytes = row.bytes, sha256 = row.sha256,
      polls = row.polls, seconds = row.seconds, submitted_at = row.submitted_at, finished_at = row.finished_at,
      rerun_of = row.rerun_of, rerun_rule = row.rerun_rule,
      charged = c.charged or 0, possibly_charged = c.possibly or 0,
      reused = row.reused and true or nil, paid_by = row.reused,
      qc = M.qc_record(checks[row.id], row),
    }
    lines[#lines + 1] = json.encode(rec)
  end
  return fs.write_atomic(self.dir .. "/manifest.jsonl", table.concat(lines, "\n") .. (#lines > 0 and "\n" or ""))
end

return M
