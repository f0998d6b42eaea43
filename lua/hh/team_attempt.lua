-- hh.team_attempt: one job of a run that shares a team store. The store,
-- not the run directory, decides what happens to it (hh.team's claim): a
-- teammate's clip is taken from the team cache and checked (not paid for
-- again), a task a stopped worker left is polled and downloaded, an
-- unknown outcome stays unknown for everyone, a job another worker holds
-- is deferred (the engine comes back to it), and only a job nobody has is
-- submitted, with the store's reservation and fence.

local core = require("hh.core")
local fs = require("hh.fs")
local attempt = require("hh.attempt")

local M = {}

local function task_of(job, task_id)
  return { id = task_id, kind = attempt.kind(job.params, job.duration) }
end

-- The job's end as the run directory records it (and, named, the event shown).
local function ended(ctx, job, rec, parts, event)
  parts.journal_write(ctx, "outcome", ctx.journal.finish, job.id, rec.state, rec)
  if event then ctx.emit(event, rec) end
  return rec
end

local function by(person) return person and (" (" .. person .. ")") or "" end

-- A clip a teammate paid for: from the team cache, else (not there, or not
-- its bytes) from the host by the teammate's task id, which costs nothing.
local function reuse(job, ctx, rec, c, parts)
  local path, perr = fs.beneath(ctx.out, job.output)
  if not path then
    rec.state, rec.class, rec.error = "failed", "invalid", perr
    return ended(ctx, job, rec, parts)
  end
  rec.reused, rec.task_id = c.person or "a teammate", c.task_id
  local ok, why = nil, "no team cache is set (--cache DIR)"
  if ctx.team.cache then ok, why = require("hh.team_cache").get(ctx.team.cache, c.sha256, path) end
  if ok then
    rec.state, rec.file, rec.bytes, rec.sha256 = "done", job.output, c.bytes, c.sha256
    rec.class, rec.error = nil, nil
    return ended(ctx, job, rec, parts, "reused")
  end
  if not c.task_id then
    rec.state, rec.class = "failed", "cache"
    rec.error = string.format("paid for by %s, but %s and the store has no task id to ask the host for it; "
      .. "--fresh pays for it again", rec.reused, why)
    return ended(ctx, job, rec, parts, "failed")
  end
  rec.resumed = true
  parts.wait_and_fetch(job, ctx, rec, task_of(job, c.task_id), true)
  if rec.state == "done" and ctx.team.cache and rec.sha256 then
    require("hh.team_cache").put(ctx.team.cache, path, rec.sha256)
  end
  return ended(ctx, job, rec, parts)
end

-- Claims the job in the store, or says why it is not this worker's to run.
function M.run(job, ctx, rec, row, parts)
  local stopped, interrupted = core.stopped()
  -- A rerun or an after() job may be a teammate's: the run directory lists it too.
  if not row then parts.journal_write(ctx, "plan", ctx.journal.plan_one, job) end
  local ok, c = pcall(ctx.team.claim, ctx.team, job, {
    fresh = ctx.fresh, retry_failed = ctx.retry_failed, resubmit_unknown = ctx.resubmit_unknown,
    task_id = row and row.task_id, key = row and row.idempotency_key,
  })
  if not ok then
    require("hh.display").say("cannot reach the team store: %s", tostring(c))
    core.stop("the team store cannot be reached: " .. tostring(c))
    return parts.skip(ctx, rec, "store", "not submitted: the team store cannot be reached (" .. tostring(c) .. ")")
  end
  if c.kind == "elsewhere" then
    rec.state, rec.owner = "deferred", c.person
    return rec
  end
  if c.kind == "budget" then return parts.skip(ctx, rec, "budget", "not submitted: " .. c.why) end
  if c.kind == "reuse" then return reuse(job, ctx, rec, c, parts) end
  if c.kind == "failed" then
    rec.state, rec.class, rec.task_id = "failed", c.class or "failed", c.task_id
    rec.error = (c.error or "failed") .. "; as the team store has it" .. by(c.person)
    return ended(ctx, job, rec, parts, "failed")
  end
  if c.kind == "unknown" then
    rec.state, rec.class = "unknown", "unknown"
    rec.error = (c.error or "sent, and its outcome is unknown") .. "; unknown for the whole team until a person "
      .. "decides (--resubmit-unknown pays again)"
    return ended(ctx, job, rec, parts, "unknown")
  end
  rec.claim = c
  if c.kind == "resume" then
    rec.task_id, rec.resumed = c.task_id, true
    ctx.emit("resumed", rec)
    parts.wait_and_fetch(job, ctx, rec, task_of(job, c.task_id), not (row and row.task_id == c.task_id))
    parts.journal_write(ctx, "outcome", ctx.journal.finish, job.id, rec.state, rec)
    attempt.team_finish(job, ctx, rec)
    return rec
  end
  if stopped then
    return parts.skip(ctx, rec, interrupted and "interrupted" or "stopped", "not submitted: " .. stopped)
  end
  if c.kind == "resend" then
    local base = row or {}
    return parts.submit(job, ctx, rec, { idempotency_key = c.key or base.idempotency_key, error = c.error,
                                         task_id = base.task_id, attempts = base.attempts }, true)
  end
  return parts.submit(job, ctx, rec, row, false)
end

return M
