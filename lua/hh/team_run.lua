-- hh.team_run: a run's side of a team store. It opens the store for the
-- run (its person, worker id, key id and recipe), adds the recipe's jobs,
-- joins the key's rate share, and keeps a ticker renewing the worker's
-- claims while the run lasts. Jobs another worker held are waited for at
-- the end: each is taken (a teammate's clip, checked), or claimed when its
-- worker's lease lapses (a task left running is polled, not resubmitted).

local hh = require("hh")
local core = require("hh.core")
local store = require("hh.store")

local M = {}

-- The team for a run, or nil and a message (nothing has been sent).
function M.open(opts, r, jobs, journal)
  local key_id, kerr = core.key_id()
  if not key_id then return nil, kerr end
  local team, err = require("hh.team").open(opts.store, {
    person = store.person(), worker = store.host() .. ":" .. tostring(journal:meta("run_id")), key_id = key_id,
    recipe = r.name, lease = opts.lease, cache = opts.cache,
  })
  if not team then return nil, "team store: " .. err end
  local ok, perr = pcall(function()
    team:plan(jobs)
    team:join()
  end)
  if not ok then team:close() return nil, "team store: " .. tostring(perr) end
  pcall(journal.set_meta, journal, "store", opts.store)
  team.running = true
  team.ticker = hh.spawn(function()
    while team.running do
      hh.sleep(require("hh.team").TICK)
      if not team.running then break end
      local tok, terr = pcall(team.tick, team)
      if not tok and not team.unreachable then
        team.unreachable = true
        require("hh.display").say("cannot reach the team store: %s; no new job is claimed", tostring(terr))
        core.stop("the team store cannot be reached: " .. tostring(terr))
      end
    end
  end)
  return team
end

function M.close(team)
  team.running = false
  pcall(team.leave, team)
  M.stats = team.db and team.db:stats() -- benchmarks: the store's round trips and time
  team:close()
end

local function deferred(list) return list and list[#list] and list[#list].state == "deferred" end

-- Runs again, until none is left, the jobs another worker held: waiting
-- between rounds (a lease lapses in its own time), never past a stop.
function M.wait_deferred(jobs, per_job, ctx, width, run_job, offset)
  offset = offset or 0
  local delay = 0.25
  while true do
    local waiting = {}
    for i = 1, #jobs do if deferred(per_job[offset + i]) then waiting[#waiting + 1] = i end end
    if #waiting == 0 then return end
    if core.stopped() then
      for _, i in ipairs(waiting) do
        local list = per_job[offset + i]
        local rec = list[#list]
        rec.state, rec.class = "skipped", "elsewhere"
        rec.error = string.format("not waited for: another worker%s was running it when this run stopped",
          rec.owner and (" (" .. rec.owner .. ")") or "")
        pcall(ctx.journal.finish, ctx.journal, rec.job, "skipped", rec)
        ctx.emit("final", rec)
      end
      return
    end
    hh.sleep(delay)
    delay = math.min(delay * 2, 2)
    local again = hh.map(waiting, function(i) return run_job(jobs[i]) end, { concurrency = width })
    for n, i in ipairs(waiting) do per_job[offset + i] = again[n] end
  end
end

return M
