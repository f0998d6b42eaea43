-- hh.attempt: one job of a run, picked up where the journal left it. A job
-- is cached (its file is there), delivered (a paid success whose file is
-- not: a fresh URL is asked for, nothing is submitted), polled (a task still
-- running), held (an unknown outcome: only --resubmit-unknown, or a host
-- that honours Idempotency-Key, sends it again), or submitted within the
-- budget, its intent journaled before the first byte. An outcome stays
-- unknown until a host answer proves otherwise: a resend that is blocked or
-- refused leaves it unknown. The credits of every attempt are counted in
-- ctx.committed: charged or possibly charged, for the whole run directory.

local hh = require("hh")
local core = require("hh.core")
local fs = require("hh.fs")

local M = {}

-- What a run does with a job, from its journal row (nil: never seen):
-- cached, deliver, poll, hold, keep (a final failure), resend or submit.
function M.action(job, row, ctx)
  local state = row and row.state or "new"
  if state == "done" then
    if ctx.fresh then return "submit" end
    local size = fs.size(ctx.out .. "/" .. (row.file or job.output))
    if size and size == row.bytes then return "cached" end
    return row.task_id and "deliver" or "submit" -- the file went missing
  end
  if state == "succeeded" then return "deliver" end
  if state == "submitted" then return row.task_id and "poll" or "submit" end
  if state == "failed" then
    if ctx.fresh or ctx.retry_failed or (not row.task_id and row.class == "not_sent") then return "submit" end
    return "keep"
  end
  if state == "submitting" or state == "unknown" then
    return (ctx.resubmit_unknown or ctx.idempotent) and "resend" or "hold"
  end
  return "submit" -- new, skipped
end

-- A journal write that fails (a full disk, a read-only directory) must not
-- lose a paid task: say everything about it on stderr, stop new submissions.
local function journal_write(ctx, what, fn, ...)
  local ok, res = pcall(fn, ctx.journal, ...)
  if ok then return true, res end
  require("hh.display").say("cannot write the journal (%s): %s", what, tostring(res))
  core.stop("the journal cannot be written: " .. tostring(res))
  return false
end

-- The record of a job as the journal left it.
local function record_of(job, row)
  return {
    job = job.id, cell = job.cell, variant = job.variant, sample = job.sample, params = job.params,
    cell_values = job.cell_values, credits = job.credits, output = job.output,
    rerun_of = job.rerun_of, rerun_rule = job.rerun_rule,
    state = row and row.state or "new", task_id = row and row.task_id, class = row and row.class,
    error = row and row.error, failure_class = row and row.failure_class, file = row and row.file,
    bytes = row and row.bytes, sha256 = row and row.sha256, polls = row and row.polls,
    seconds = row and row.seconds,
  }
end

-- A team store's write (hh.team) that fails: the run directory still has
-- every step, so nothing paid for is lost; no new job is claimed.
local function team_write(ctx, what, method, ...)
  local ok, err = pcall(method, ctx.team, ...)
  if ok then return true end
  require("hh.display").say("cannot write the team store (%s): %s", what, tostring(err))
  core.stop("the team store cannot be written: " .. tostring(err))
  return false
end
M.team_write = team_write

-- The host's word on what a task cost replaces hh's estimate in the budget.
local function settle(ctx, rec, charged)
  if math.type(charged) ~= "integer" or charged == rec.charged then return end
  ctx.committed = ctx.committed + charged - (rec.charged or rec.credits or 0)
  rec.charged = charged
  if rec.task_id then journal_write(ctx, "charge", ctx.journal.set_charged, rec.task_id, charged) end
  if rec.claim then team_write(ctx, "charge", ctx.team.charged, rec.claim, charged) end
end

-- Only the host saying a task FAILED (or that it has no such task) ends it;
-- any other way a wait stops leaves a paid task pending for the next run.
local FINAL_FAILURE = { failed = true, cancelled = true, not_found = true }

-- Waits for a task already paid for and downloads its result; fills rec.
local function wait_and_fetch(job, ctx, rec, task, fresh_task)
  local path, perr = fs.beneath(ctx.out, job.output)
  if not path then
    rec.state, rec.class, rec.error = "failed", "invalid", perr
    return
  end
  -- A partial file of another task must not be resumed into this one's.
  if fresh_task then fs.remove(path .. ".part") end
  local t0 = hh.now()
  local res, werr, wclass, wres = hh.wait(task, { output = path, deadline = ctx.deadline })
  rec.seconds = (rec.seconds or 0) + (hh.now() - t0)
  settle(ctx, rec, (res or wres or {}).charged)
  if res then
    rec.state, rec.file, rec.bytes, rec.polls, rec.url = "done", job.output, res.bytes, res.polls, res.url
    rec.class, rec.error = nil, nil
    rec.sha256 = fs.sha256_file(path)
    ctx.emit("downloaded", rec)
    return
  end
  rec.class, rec.error = wclass, werr
  if wres then rec.failure_class, rec.status = wres.failure_class, wres.status end
  if wres and wres.status == "succeeded" then
    rec.state = "succeeded" -- paid for and done at the host: pending delivery
  elseif FINAL_FAILURE[wclass] then
    rec.state = "failed"
    if wclass == "not_found" and rec.resumed then
      rec.class, rec.failure_class = "expired", "expired"
      rec.error = string.format("the host no longer knows task %s: its result is lost (%s)", rec.task_id, werr)
    end
  else
    rec.state = "submitted" -- still running, or the host could not be asked: pending
  end
  ctx.emit(rec.state == "failed" and "failed" or "pending", rec)
end

-- A task id from the journal, as hh.wait takes it: its kind (for the
-- polling model's deadline) and its age (how long it has been running).
-- The kind of a request for the polling model (as hh.profile names it).
function M.kind(p, duration)
  return string.format("%s/%d/%s", p.mode or "std", duration or p.duration or 5, p.sound == false and "s" or "a")
end

local function journaled_task(job, row)
  local task = { id = row.task_id, kind = M.kind(job.params, job.duration) }
  if row.submitted_at then task.age = math.max(0, core.wall() - row.submitted_at) end
  return task
end

-- An unknown outcome whose resend did not happen (or was refused): it stays
-- unknown, with why it was not settled.
local function hold(ctx, rec, row, why)
  rec.state, rec.class = "unknown", "unknown"
  local base = row and row.error and row.error:gsub("; not resent: .*$", "")
  rec.error = base or "sent, but hh stopped before the answer arrived; it may have been billed"
  if why then rec.error = rec.error .. "; not resent: " .. why end
  if rec.claim then team_write(ctx, "outcome", ctx.team.unknown, { id = rec.job }, rec.claim, rec.error) end
  journal_write(ctx, "outcome", ctx.journal.finish, rec.job, "unknown", rec)
  ctx.emit("unknown", rec)
  return rec
end

local function skip(ctx, rec, class, why)
  rec.state, rec.class, rec.error = "skipped", class, why
  if rec.claim then team_write(ctx, "skip", ctx.team.released, { id = rec.job }, rec.claim, false, rec) end
  journal_write(ctx, "skip", ctx.journal.finish, rec.job, "skipped", rec)
  return rec
end

-- The budget as a sentence: what the directory has spent or may have.
function M.spent_text(ctx)
  return string.format("%d charged or possibly charged so far", ctx.committed)
end

-- Submits a job (a resend of an unknown outcome keeps its key), then waits.
local function submit(job, ctx, rec, row, resend)
  local j = ctx.journal
  -- Resent with its key to a host that honours keys, an unknown outcome
  -- costs nothing more than the possible charge already counted.
  local cost = (resend and ctx.idempotent) and 0 or job.credits
  if ctx.budget and ctx.committed + cost > ctx.budget then
    local why = string.format("%d credits would pass the budget of %d (%s)", job.credits, ctx.budget, M.spent_text(ctx))
    if resend then return hold(ctx, rec, row, why) end
    return skip(ctx, rec, "budget", "not submitted: " .. why)
  end
  local stopped, interrupted = core.stopped()
  if stopped then
    if resend then return hold(ctx, rec, row, stopped) end
    return skip(ctx, rec, interrupted and "interrupted" or "stopped", "not submitted: " .. stopped)
  end
  local path, perr = fs.beneath(ctx.out, job.output)
  if not path then
    rec.state, rec.class, rec.error = "failed", "invalid", perr
    journal_write(ctx, "outcome", j.finish, job.id, "failed", rec)
    ctx.emit("failed", rec)
    return rec
  end
  -- One key per job, so a resent unknown outcome is recognised by a host
  -- that honours keys; a deliberate new attempt (--fresh, --retry-failed)
  -- after a known outcome gets a key of its own.
  local key = "hh-" .. job.id
  if resend and row.idempotency_key then
    key = row.idempotency_key
  elseif row and row.task_id then
    key = key .. "-" .. ((row.attempts or 0) + 1)
  end
  -- The intent is journaled by the loop just before the request's first
  -- byte (on_send): a job still queued when hh dies is simply not sent yet.
  local n, intent_err, team_err
  local function on_send()
    local ok, res = pcall(j.intent, j, job, key)
    if not ok then
      intent_err = tostring(res)
      error(intent_err, 0)
    end
    n = res
    if rec.claim then
      local tok, terr = pcall(ctx.team.intent, ctx.team, job, rec.claim, key)
      if not tok then
        team_err = tostring(terr)
        pcall(j.attempt_outcome, j, job.id, n, "not_sent", team_err)
        error(team_err, 0)
      end
    end
  end
  ctx.committed = ctx.committed + cost -- reserved before the POST: a concurrent job sees it
  local task, msg, class = hh.generate(job.params, { idempotency_key = key, on_send = on_send })
  if intent_err then
    ctx.committed = ctx.committed - cost
    require("hh.display").say("cannot write the journal before submitting: %s", intent_err)
    core.stop("the journal cannot be written: " .. intent_err)
    if resend then return hold(ctx, rec, row, "the journal cannot be written") end
    return skip(ctx, rec, "journal", "not submitted: the journal cannot be written (" .. intent_err .. ")")
  end
  if team_err then
    ctx.committed = ctx.committed - cost
    if rec.claim.lost then
      rec.state, rec.claim = "deferred", nil -- another worker has it now
      return rec
    end
    require("hh.display").say("cannot write the team store before submitting: %s", team_err)
    core.stop("the team store cannot be written: " .. team_err)
    return skip(ctx, rec, "store", "not submitted: the team store cannot be written (" .. team_err .. ")")
  end
  if not task then
    if class == "unknown" then
      rec.state, rec.class, rec.error, rec.sent_now = "unknown", "unknown", msg, true
      if n then journal_write(ctx, "outcome", j.attempt_outcome, job.id, n, "unknown", msg) end
      if rec.claim then team_write(ctx, "outcome", ctx.team.unknown, job, rec.claim, msg) end
      journal_write(ctx, "outcome", j.finish, job.id, "unknown", rec)
      ctx.emit("unknown", rec)
      return rec
    end
    ctx.committed = ctx.committed - cost -- provably not billed: never sent, or the host said no
    local never_sent = class == "not_sent" or class == "stopped" or class == "interrupted" or class == "rate_limited"
    if n then journal_write(ctx, "outcome", j.attempt_outcome, job.id, n, never_sent and "not_sent" or "refused", msg) end
    -- A refusal of the resend says nothing of the attempt before it, unless
    -- the request itself is invalid.
    if resend and class ~= "invalid" then return hold(ctx, rec, row, msg) end
    if never_sent then return skip(ctx, rec, class, msg) end
    rec.state, rec.class, rec.error = "failed", class, msg
    if rec.claim then team_write(ctx, "outcome", ctx.team.released, job, rec.claim, true, rec) end
    journal_write(ctx, "outcome", j.finish, job.id, "failed", rec)
    ctx.emit("failed", rec)
    return rec
  end
  rec.task_id = task.id
  rec.billed_now = true
  ctx.answers = (ctx.answers or 0) + 1
  if ctx.crash_after_answers and ctx.answers >= ctx.crash_after_answers then
    -- Tests only (HH_CRASH_AFTER_ANSWERS): die between a paid answer and its journal entry.
    require("hh.display").say("crashing on purpose before journaling task %s", task.id)
    os.exit(137, false)
  end
  if rec.claim then team_write(ctx, "task id", ctx.team.submitted, job, rec.claim, task.id, key) end
  local ok, released = journal_write(ctx, "task id", j.submitted, job.id, n, task.id, ctx.idempotent)
  if ok then
    if cost > 0 then ctx.committed = ctx.committed - (released or 0) end
  else
    require("hh.display").say("job %s is task %s (paid): keep this line", job.id, task.id)
  end
  ctx.emit("submitted", rec)
  wait_and_fetch(job, ctx, rec, task, true)
  journal_write(ctx, "outcome", j.finish, job.id, rec.state, rec)
  M.team_finish(job, ctx, rec)
  return rec
end

-- A claimed job's end, told to the team store (its clip to the team cache).
function M.team_finish(job, ctx, rec)
  if not rec.claim then return end
  team_write(ctx, "outcome", ctx.team.finish, job, rec.claim, rec, fs.beneath(ctx.out, job.output))
end

-- Runs one job (no reruns), picking up where the journal says it stopped.
M.parts = { submit = submit, wait_and_fetch = wait_and_fetch, hold = hold, skip = skip,
            journal_write = journal_write }

function M.run(job, ctx)
  local j = ctx.journal
  local row = j:get(job.id)
  local rec = record_of(job, row)
  local action = M.action(job, row, ctx)
  if action == "cached" then
    fs.remove(ctx.out .. "/" .. (row.file or job.output) .. ".part")
    rec.cached = true
    if ctx.team and not row.reused then
      team_write(ctx, "publish", ctx.team.publish, job, row, fs.beneath(ctx.out, row.file or job.output))
    end
    ctx.emit("cached", rec)
    return rec
  end
  if ctx.team then return require("hh.team_attempt").run(job, ctx, rec, row, M.parts) end
  if action == "keep" then return rec end
  if action == "hold" then return hold(ctx, rec, row) end
  if action == "deliver" or action == "poll" then
    rec.resumed = true
    ctx.emit("resumed", rec)
    wait_and_fetch(job, ctx, rec, journaled_task(job, row), false)
    journal_write(ctx, "outcome", j.finish, job.id, rec.state, rec)
    return rec
  end
  return submit(job, ctx, rec, row, action == "resend")
end

return M
