-- hh.team: several hh processes, on one machine or several, running jobs
-- through one team store (hh.store) so that each request is paid for once.
-- A job is claimed in a transaction (SELECT ... FOR UPDATE SKIP LOCKED) that
-- gives the worker a lease and a fencing token and reserves the job's price
-- against the team's budgets; every later write names the token, so a
-- worker whose lease lapsed (it hung, or was cut off) cannot overwrite the
-- worker that took over. The intent is committed before the request's
-- first byte and the task id right after the answer: a worker taking over
-- a lapsed claim polls a task that exists, and one whose intent has no
-- answer makes it unknown, for everyone, until a person decides.
-- Every reservation is a row of hh_spend, settled to what the host charged.

local core = require("hh.core")
local json = require("hh.json")
local store = require("hh.store")

local M = {}
local Team = {}
Team.__index = Team

M.LEASE = 30 -- seconds a claim lasts unless renewed (renewed every TICK)
M.TICK = 1
M.LIVE_WORKER = 5 -- seconds since a worker was last seen for it to share the rate limit

local LIVE = "('claimed', 'submitting', 'submitted', 'succeeded')"
local COLUMNS = "state, owner, fence, task_id, idempotency_key, sha256, bytes, class, error, person, "
  .. "(lease_until IS NOT NULL AND lease_until > now()) AS live"

-- opts: person, worker, key_id, recipe, lease, cache. A team, or nil and a message.
function M.open(uri, opts)
  local db, err = store.open(uri)
  if not db then return nil, err end
  local t = setmetatable({ db = db, uri = uri, person = opts.person or store.person(), worker = opts.worker,
                           key_id = opts.key_id, recipe = opts.recipe or "", lease = opts.lease or M.LEASE,
                           cache = opts.cache, share = 1 }, Team)
  return t
end

function Team:close()
  if self.db then self.db:close() self.db = nil end
end

-- The recipe's jobs, added to the store unless a teammate's run already did.
function Team:plan(jobs)
  local batch = {}
  local function flush()
    if #batch == 0 then return end
    self.db:run([[INSERT INTO hh_jobs (id, params, credits, recipe)
      SELECT id, params, credits, $2 FROM json_to_recordset($1::json) AS x(id text, params text, credits integer)
      ON CONFLICT (id) DO NOTHING]], json.encode(batch), self.recipe)
    batch = {}
  end
  for _, job in ipairs(jobs) do
    batch[#batch + 1] = { id = job.id, params = json.encode(job.params), credits = job.credits }
    if #batch == 1000 then flush() end
  end
  flush()
end

-- Of these jobs, the ids a teammate has done (their clips are taken, not paid for).
function Team:done_ids(jobs)
  local ids = {}
  for i, job in ipairs(jobs) do ids[i] = job.id end
  local set = {}
  if #ids == 0 then return set end
  for _, row in ipairs(self.db:rows([[SELECT id FROM hh_jobs WHERE state = 'done'
      AND id IN (SELECT json_array_elements_text($1::json))]], json.encode(ids))) do
    set[row.id] = true
  end
  return set
end

-- What a job's row says without claiming it, or nil when it must be claimed.
local function settled(self, row, opts)
  if row.state == "done" and not opts.fresh then
    return { kind = "reuse", sha256 = row.sha256, bytes = row.bytes, task_id = row.task_id, person = row.person }
  end
  if row.state == "failed" and not (opts.fresh or opts.retry_failed) then
    return { kind = "failed", class = row.class, error = row.error, person = row.person, task_id = row.task_id }
  end
  if row.state == "unknown" and not opts.resubmit_unknown then
    return { kind = "unknown", error = row.error, person = row.person }
  end
  if row.live and row.owner ~= self.worker then return { kind = "elsewhere", person = row.person, owner = row.owner } end
  return nil
end

local USED = [[SELECT coalesce(sum(CASE WHEN state IN ('reserved', 'sending', 'unknown') THEN reserved
    WHEN state = 'charged' THEN coalesce(charged, reserved) ELSE 0 END), 0) AS used FROM hh_spend
  WHERE at >= (CASE $3 WHEN 'day' THEN date_trunc('day', now()) WHEN 'month' THEN date_trunc('month', now())
    ELSE '-infinity'::timestamptz END)
    AND ($1 = 'team' OR ($1 = 'recipe' AND recipe = $2) OR ($1 = 'key' AND key_id = $2))]]

M.USED = USED

local PERIOD = { day = "today", month = "this month", total = "in all" }
function M.scope_text(b)
  if b.scope == "team" then return "the team's budget" end
  return string.format("the %s budget of %s", b.scope, b.name)
end

-- Inside the claim's transaction: nil, or why the job's price would pass a
-- budget. The budgets' rows stay locked until the commit, so two workers
-- cannot both take the last credits.
local function over_budget(self, credits)
  local budgets = self.db:rows([[SELECT scope, name, period, credits FROM hh_budgets
    WHERE scope = 'team' OR (scope = 'recipe' AND name = $1) OR (scope = 'key' AND name = $2)
    ORDER BY scope, name FOR UPDATE]], self.recipe, self.key_id)
  for _, b in ipairs(budgets) do
    local used = self.db:rows(USED, b.scope, b.name, b.period)[1].used
    if used + credits > b.credits then
      return string.format("%d credits would pass %s of %d %s (%d charged, possibly charged or reserved %s)",
        credits, M.scope_text(b), b.credits, b.period == "total" and "in all" or ("a " .. b.period), used, PERIOD[b.period])
    end
  end
  return nil
end

local function lease_sql(self) return string.format("now() + interval '%d milliseconds'", math.floor(self.lease * 1000)) end

-- Claims a job. opts: fresh, retry_failed, resubmit_unknown, and what the
-- run directory knows (task_id, key: a task id the store missed). Returns
-- a claim: kind submit or resend (fence, spend, key), resume (task_id,
-- fence), reuse (sha256, bytes, task_id, person), failed, unknown,
-- elsewhere (another worker holds it) or budget (why).
function Team:claim(job, opts)
  local db = self.db
  local peek = db:rows("SELECT " .. COLUMNS .. " FROM hh_jobs WHERE id = $1", job.id)[1]
  if peek then
    local s = settled(self, peek, opts)
    if s then return s end
  else
    self:plan({ job }) -- a rerun or an after() job: not in the recipe's list
  end
  db:exec("BEGIN")
  local ok, res = pcall(function()
    local row = db:rows("SELECT " .. COLUMNS .. " FROM hh_jobs WHERE id = $1 FOR UPDATE SKIP LOCKED", job.id)[1]
    if not row then return { kind = "elsewhere", busy = true } end
    local s = settled(self, row, opts)
    if s then return s end
    local resend = row.state == "unknown"
    if row.state == "submitting" then
      if opts.task_id and opts.key and opts.key == row.idempotency_key then
        -- The answer reached the run directory but not the store.
        db:run("UPDATE hh_jobs SET state = 'submitted', task_id = $2 WHERE id = $1", job.id, opts.task_id)
        db:run("UPDATE hh_spend SET state = 'charged', task_id = $2 WHERE job = $1 AND state = 'sending'", job.id,
          opts.task_id)
        row.state, row.task_id = "submitted", opts.task_id
      else
        -- Sent by a worker that is gone, before its answer: nobody knows.
        local why = string.format("sent by %s's worker %s, which stopped before the answer arrived; it may have been billed",
          row.person or "someone", row.owner or "?")
        db:run([[UPDATE hh_jobs SET state = 'unknown', class = 'unknown', error = $2, owner = NULL, lease_until = NULL,
          updated_at = now() WHERE id = $1]], job.id, why)
        db:run("UPDATE hh_spend SET state = 'unknown' WHERE job = $1 AND state = 'sending'", job.id)
        if not opts.resubmit_unknown then return { kind = "unknown", error = why, person = row.person } end
        resend = true
      end
    end
    if (row.state == "submitted" or row.state == "succeeded") and row.task_id then
      local f = db:rows("UPDATE hh_jobs SET owner = $2, fence = fence + 1, lease_until = " .. lease_sql(self)
        .. " WHERE id = $1 RETURNING fence", job.id, self.worker)[1].fence
      return { kind = "resume", task_id = row.task_id, state = row.state, fence = f }
    end
    -- A claim that lapsed before its intent sent nothing: its reservation goes.
    db:run("UPDATE hh_spend SET state = 'released' WHERE job = $1 AND state = 'reserved'", job.id)
    local why = over_budget(self, job.credits)
    if why then
      db:run("UPDATE hh_jobs SET state = CASE WHEN state = 'claimed' THEN 'new' ELSE state END, owner = NULL, "
        .. "lease_until = NULL WHERE id = $1", job.id)
      return { kind = "budget", why = why }
    end
    local spend = db:rows([[INSERT INTO hh_spend (job, person, recipe, key_id, worker, reserved, state)
      VALUES ($1, $2, $3, $4, $5, $6, 'reserved') RETURNING id]], job.id, self.person, self.recipe, self.key_id,
      self.worker, job.credits)[1].id
    local f = db:rows("UPDATE hh_jobs SET state = CASE WHEN state = 'unknown' THEN state ELSE 'claimed' END, "
      .. "owner = $2, person = $3, fence = fence + 1, lease_until = " .. lease_sql(self)
      .. ", updated_at = now() WHERE id = $1 RETURNING fence", job.id, self.worker, self.person)[1].fence
    return { kind = resend and "resend" or "submit", fence = f, spend = spend, key = row.idempotency_key,
             error = row.error }
  end)
  if not ok then
    pcall(db.exec, db, "ROLLBACK")
    error(res, 0)
  end
  db:exec("COMMIT")
  return res
end

-- Just before the request's first byte: the intent, under the claim's
-- fence. Raises when the claim passed to another worker (nothing is sent).
function Team:intent(job, claim, key)
  local row = self.db:rows([[WITH j AS (UPDATE hh_jobs SET state = 'submitting', attempts = attempts + 1,
      idempotency_key = $3, person = $4, class = NULL, error = NULL, updated_at = now()
      WHERE id = $1 AND fence = $2 AND owner = $5 RETURNING attempts)
    UPDATE hh_spend SET state = 'sending', attempt = (SELECT attempts FROM j)
      WHERE id = $6 AND EXISTS (SELECT 1 FROM j) RETURNING attempt]],
    job.id, claim.fence, key, self.person, self.worker, claim.spend)[1]
  if not row then
    claim.lost = true
    error(string.format("the claim on job %s passed to another worker (its lease lapsed)", job.id), 0)
  end
end

-- The task id, the moment it arrives. A claim that lapsed meanwhile made
-- the job unknown: the answer settles that (same key, no task id yet).
function Team:submitted(job, claim, task_id, key)
  local row = self.db:rows([[WITH j AS (UPDATE hh_jobs SET state = 'submitted', task_id = $2, owner = $6,
      fence = CASE WHEN fence = $3 THEN fence ELSE fence + 1 END, lease_until = ]] .. lease_sql(self) .. [[,
      class = NULL, error = NULL, updated_at = now()
      WHERE id = $1 AND (fence = $3 OR (state = 'unknown' AND task_id IS NULL AND idempotency_key = $4)) RETURNING fence),
    s AS (UPDATE hh_spend SET state = 'charged', task_id = $2 WHERE id = $5 RETURNING id)
    SELECT (SELECT fence FROM j) AS fence]], job.id, task_id, claim.fence, key, claim.spend, self.worker)[1]
  if row and row.fence then claim.fence = row.fence else claim.lost = true end
end

-- What the host says a task cost.
function Team:charged(claim, credits)
  if claim.spend then self.db:run("UPDATE hh_spend SET charged = $2 WHERE id = $1", claim.spend, credits) end
end

-- A claim given back: never sent (the job is free to claim again), or
-- refused by the host (it failed, for everyone).
function Team:released(job, claim, refused, rec)
  if claim.spend then
    self.db:run("UPDATE hh_spend SET state = 'released' WHERE id = $1 AND state IN ('reserved', 'sending')", claim.spend)
  end
  if refused then
    self.db:run([[UPDATE hh_jobs SET state = 'failed', class = $3, error = $4, owner = NULL, lease_until = NULL,
      updated_at = now() WHERE id = $1 AND fence = $2]], job.id, claim.fence, rec.class, rec.error)
  else
    self.db:run([[UPDATE hh_jobs SET state = CASE WHEN state IN ('claimed', 'submitting') THEN 'new' ELSE state END,
      owner = NULL, lease_until = NULL, updated_at = now() WHERE id = $1 AND fence = $2]], job.id, claim.fence)
  end
end

-- Sent, and no answer: possibly billed; unknown for everyone.
function Team:unknown(job, claim, why)
  if claim.spend then self.db:run("UPDATE hh_spend SET state = 'unknown' WHERE id = $1 AND state <> 'charged'", claim.spend) end
  self.db:run([[UPDATE hh_jobs SET state = 'unknown', class = 'unknown', error = $3, owner = NULL, lease_until = NULL,
    updated_at = now() WHERE id = $1 AND fence = $2 AND task_id IS NULL]], job.id, claim.fence, why)
end

-- How a claimed job ended here. A done job's clip goes into the team cache
-- before the store says done, so whoever reads "done" finds the file.
function Team:finish(job, claim, rec, path)
  if rec.state == "done" then
    if self.cache and path and rec.sha256 then
      local ok, err = require("hh.team_cache").put(self.cache, path, rec.sha256)
      if not ok then require("hh.display").say("team cache: %s", err) end
    end
    self.db:run([[UPDATE hh_jobs SET state = 'done', sha256 = $3, bytes = $4, task_id = coalesce($5, task_id),
      class = NULL, error = NULL, owner = NULL, lease_until = NULL, updated_at = now() WHERE id = $1 AND fence = $2]],
      job.id, claim.fence, rec.sha256, rec.bytes, rec.task_id)
  elseif rec.state == "failed" then
    self.db:run([[UPDATE hh_jobs SET state = 'failed', class = $3, error = $4, owner = NULL, lease_until = NULL,
      updated_at = now() WHERE id = $1 AND fence = $2]], job.id, claim.fence, rec.failure_class or rec.class, rec.error)
  elseif rec.state == "submitted" or rec.state == "succeeded" then
    -- Still pending: the claim lapses now, so a waiting worker may carry on.
    self.db:run([[UPDATE hh_jobs SET state = $3, class = $4, error = $5, lease_until = now(), updated_at = now()
      WHERE id = $1 AND fence = $2]], job.id, claim.fence, rec.state, rec.class, rec.error)
  end
end

-- A job the run directory has done while the store may not know it (the
-- store could not be written then): the store learns it, and the cache
-- gets its clip, unless another worker holds it.
function Team:publish(job, row, path)
  local s = self.db:rows("SELECT " .. COLUMNS .. " FROM hh_jobs WHERE id = $1", job.id)[1]
  if s and s.state == "done" then return end
  if s and s.live and s.owner ~= self.worker then return end
  if not s then self:plan({ job }) end
  local f = self.db:rows([[UPDATE hh_jobs SET fence = fence + 1, owner = $2 WHERE id = $1 AND state <> 'done'
    RETURNING fence]], job.id, self.worker)[1]
  if f then
    self:finish(job, { fence = f.fence }, { state = "done", sha256 = row.sha256, bytes = row.bytes,
                                            task_id = row.task_id }, path)
  end
end

-- The worker joins the store: it counts in the key's rate share from now.
-- When others are running on the key it waits one renewal period first, so
-- they have lowered their rates before it sends anything.
function Team:join()
  self.db:run([[INSERT INTO hh_workers (worker, person, host, pid, key_id, recipe) VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (worker) DO UPDATE SET seen_at = now(), started_at = now(), pid = excluded.pid,
      person = excluded.person, recipe = excluded.recipe]],
    self.worker, self.person, store.host(), core.pid and core.pid() or 0, self.key_id, self.recipe)
  self.db:run("DELETE FROM hh_workers WHERE seen_at < now() - interval '1 day'")
  local n = self:share_now()
  if n > 1 then require("hh").sleep(M.TICK * 1.5) end
  return n
end

function Team:share_now()
  local n = self.db:rows(string.format([[SELECT count(*) AS n FROM hh_workers WHERE key_id = $1
    AND seen_at > now() - interval '%d seconds']], M.LIVE_WORKER), self.key_id)[1].n
  n = math.max(1, n)
  if n ~= self.share then
    self.share = n
    core.configure({ rate_share = math.min(n, 1024) })
  end
  return n
end

-- Every TICK: the worker is seen, its claims renewed, its rate share read.
function Team:tick()
  self.db:run("UPDATE hh_workers SET seen_at = now() WHERE worker = $1", self.worker)
  self.db:run("UPDATE hh_jobs SET lease_until = " .. lease_sql(self) .. " WHERE owner = $1 AND state IN " .. LIVE
    .. " AND lease_until > now()", self.worker)
  return self:share_now()
end

-- The worker leaves: its rate share goes to the others, its pending claims
-- lapse at once.
function Team:leave()
  self.db:run("DELETE FROM hh_workers WHERE worker = $1", self.worker)
  self.db:run("UPDATE hh_jobs SET lease_until = now() WHERE owner = $1 AND state IN " .. LIVE, self.worker)
end

return M
