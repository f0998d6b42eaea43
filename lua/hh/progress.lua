-- hh.progress: what `hh run` shows while it works. On a terminal, one
-- summary line redrawn in place (counts by state, credits spent of the
-- budget, an ETA, the latest failure); otherwise one plain line an event;
-- with --json, one JSON object an event on stdout for other tools; with
-- --quiet, nothing. NO_COLOR turns colour off. Text from the host or the
-- recipe (errors, task ids, file names) is shown through hh.display.

local display = require("hh.display")
local fs = require("hh.fs")
local json = require("hh.json")

local M = {}
local Progress = {}
Progress.__index = Progress

local EVENT_NAMES = {
  submitted = "submitted", downloaded = "downloaded", failed = "failed", rerun = "rerun",
  unknown = "unknown", cached = "cached", resumed = "resumed", succeeded = "succeeded", pending = "pending",
  checked = "checked",
}

function M.new(opts)
  local p = setmetatable({
    mode = opts.json and "json" or opts.quiet and "quiet" or (fs.isatty(2) and "tty" or "lines"),
    color = os.getenv("NO_COLOR") == nil or os.getenv("NO_COLOR") == "",
    total = opts.total or 0, budget = opts.budget, started = require("hh").now(),
    counts = { done = 0, failed = 0, unknown = 0, skipped = 0, pending = 0, cached = 0, running = 0, reruns = 0,
               flagged = 0 },
    spent = opts.spent or 0, last_failure = nil, drawn = false,
  }, Progress)
  return p
end

local function paint(p, code, text)
  if not p.color then return text end
  return "\27[" .. code .. "m" .. text .. "\27[0m"
end

local function duration(s)
  if s < 60 then return string.format("%ds", math.floor(s + 0.5)) end
  if s < 3600 then return string.format("%dm%02ds", math.floor(s / 60), math.floor(s % 60)) end
  return string.format("%dh%02dm", math.floor(s / 3600), math.floor(s % 3600 / 60))
end

function Progress:line()
  local c = self.counts
  local finished = c.done + c.failed + c.unknown + c.skipped + c.pending
  local parts = {
    string.format("%d/%d", finished, self.total),
    paint(self, "32", c.done .. " done") .. (c.cached > 0 and string.format(" (%d cached)", c.cached) or ""),
    c.running .. " running",
  }
  if c.failed > 0 then parts[#parts + 1] = paint(self, "31", c.failed .. " failed") end
  if c.unknown > 0 then parts[#parts + 1] = paint(self, "33", c.unknown .. " unknown") end
  if c.skipped > 0 then parts[#parts + 1] = c.skipped .. " skipped" end
  if c.pending > 0 then parts[#parts + 1] = paint(self, "33", c.pending .. " pending") end
  if c.reruns > 0 then parts[#parts + 1] = c.reruns .. " reruns" end
  if c.flagged > 0 then parts[#parts + 1] = paint(self, "33", c.flagged .. " flagged") end
  parts[#parts + 1] = self.budget and string.format("%d/%d credits", self.spent, math.floor(self.budget))
    or string.format("%d credits", self.spent)
  local elapsed = require("hh").now() - self.started
  local fresh_done = finished - c.cached
  if fresh_done > 0 and finished < self.total then
    parts[#parts + 1] = "ETA " .. duration(elapsed / fresh_done * (self.total - finished))
  end
  local line = table.concat(parts, " · ")
  if self.last_failure then line = line .. " · last failure: " .. self.last_failure end
  return line
end

function Progress:draw()
  if self.mode ~= "tty" then return end
  local line = self:line()
  io.stderr:write("\r\27[K", line:sub(1, 300))
  io.stderr:flush()
  self.drawn = true
end

-- Records an event from the engine and shows it.
function Progress:event(kind, rec)
  local c = self.counts
  if kind == "submitted" then
    c.running = c.running + 1
    self.spent = self.spent + (rec.credits or 0)
  elseif kind == "resumed" then
    c.running = c.running + 1
  elseif kind == "downloaded" then
    c.running = math.max(0, c.running - 1)
  elseif kind == "failed" or kind == "pending" then
    if rec.task_id then c.running = math.max(0, c.running - 1) end
    self.last_failure = display.safe(string.format("%s: %s", rec.job, tostring(rec.error or rec.class or "?"):sub(1, 80)))
  elseif kind == "unknown" then
    if rec.sent_now then self.spent = self.spent + (rec.credits or 0) end
  elseif kind == "rerun" then
    c.reruns = c.reruns + 1
  elseif kind == "cached" then
    c.cached = c.cached + 1
  elseif kind == "checked" then
    if rec.qc and rec.qc.flagged then c.flagged = c.flagged + 1 end
  end
  if self.mode == "json" then
    local ev = { event = EVENT_NAMES[kind] or kind, job = rec.job, task_id = rec.task_id, cell = rec.cell,
                 variant = rec.variant, sample = rec.sample, credits = rec.credits, file = rec.file,
                 bytes = rec.bytes, error = rec.error, class = rec.class, rerun_of = rec.rerun_of,
                 rule = rec.rule, time = os.time() }
    if kind == "checked" and rec.qc then
      local q = require("hh.qc")
      ev.flagged, ev.flags, ev.error = rec.qc.flagged or false, q.codes(rec.qc), rec.qc.error
      ev.reasons = not rec.qc.error and q.summary(rec.qc) or nil
    end
    if kind == "downloaded" then
      io.stdout:write(json.encode({ event = "succeeded", job = rec.job, task_id = rec.task_id, time = ev.time }), "\n")
    end
    io.stdout:write(json.encode(ev), "\n")
    io.stdout:flush()
  elseif self.mode == "lines" then
    local text
    if kind == "submitted" then text = string.format("submitted  %s %s (%d credits)", rec.job, rec.task_id or "", rec.credits or 0)
    elseif kind == "downloaded" then text = string.format("done       %s -> %s", rec.job, rec.file)
    elseif kind == "failed" then text = string.format("failed     %s: %s", rec.job, rec.error or rec.class or "?")
    elseif kind == "unknown" then text = string.format("unknown    %s: %s", rec.job, rec.error or "")
    elseif kind == "pending" then text = string.format("pending    %s %s: %s", rec.job, rec.task_id or "", rec.error or "")
    elseif kind == "rerun" then text = string.format("rerun      %s of %s (rule %d)", rec.job, rec.rerun_of, rec.rule)
    elseif kind == "resumed" then text = string.format("resumed    %s %s", rec.job, rec.task_id or "")
    elseif kind == "checked" and rec.qc and (rec.qc.flagged or rec.qc.error) then
      text = string.format("flagged    %s %s: %s", rec.job, rec.file or "", require("hh.qc").summary(rec.qc))
    end
    if text then display.say("%s", text) end
  end
  self:draw()
end

-- Counts the final state of a job once it has no more reruns.
function Progress:finished(state)
  local c = self.counts
  if state == "done" then c.done = c.done + 1
  elseif state == "failed" then c.failed = c.failed + 1
  elseif state == "unknown" then c.unknown = c.unknown + 1
  elseif state == "skipped" then c.skipped = c.skipped + 1
  elseif state == "submitted" or state == "succeeded" then c.pending = c.pending + 1 end
  if self.mode == "json" then
    local line = {}
    for k, v in pairs(c) do line[k] = v end
    line.event, line.total, line.credits, line.time = "progress", self.total, self.spent, os.time()
    io.stdout:write(json.encode(line), "\n")
    io.stdout:flush()
  end
  self:draw()
end

-- Ends the redrawn line before the summary is printed.
function Progress:close()
  if self.mode == "tty" and self.drawn then
    self:draw()
    io.stderr:write("\n")
  end
end

return M
