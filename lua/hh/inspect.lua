-- hh.inspect: the commands that read a run directory without running it:
-- `hh show` (what happened and what it cost), `hh runs` (every run
-- directory below one) and `hh export` (one row a job, CSV or JSON lines).

local args = require("hh.args")
local commands = require("hh.commands")
local display = require("hh.display")

local M = {}

local EXIT = commands.EXIT
local say, safe = display.say, display.safe
local spec = commands.spec

local SHOW = spec({ { name = "json", flag = true, help = "print the summary as JSON" } })
local RUNS = spec({ { name = "json", flag = true, help = "print the list as JSON" } })
local EXPORT = spec({
  { name = "csv", flag = true, help = "CSV (the default)" },
  { name = "jsonl", flag = true, help = "JSON lines, as manifest.jsonl" },
})

M.HELP = {
  show = "usage: hh show DIR [--json]\n\nSummarises a run: jobs by state, credits estimated and spent, failures by\nclass with reasons, unknown submission outcomes.\n\n" .. args.usage(SHOW),
  runs = "usage: hh runs [DIR]\n\nLists the run directories under DIR (default runs).\n\n" .. args.usage(RUNS),
  export = "usage: hh export DIR [--csv | --jsonl]\n\nPrints a run's jobs: one row each (parameters, variant, sample, cell, task id,\nstate, credits, file, sha256, timings, rerun link).\n\n" .. args.usage(EXPORT),
}

-- How long ago, in words.
local function ago(seconds)
  if seconds < 120 then return string.format("%d s", seconds) end
  if seconds < 7200 then return string.format("%d min", seconds // 60) end
  return string.format("%d h", seconds // 3600)
end

local function show_rows(rows, fmt_row)
  for i, row in ipairs(rows) do
    if i > 5 then print(string.format("    ... and %d more", #rows - 5)) break end
    display.print("    " .. fmt_row(row))
  end
end

function M.show(argv)
  local opts, dir, journal = commands.open_run(SHOW, "show", argv)
  if not opts then return dir end
  local s = journal:summary()
  local name, recipe_path, budget = journal:meta("name"), journal:meta("recipe"), tonumber(journal:meta("budget") or "")
  local checks = M.checks(journal)
  journal:close()
  local l = s.ledger
  if opts.json then
    local out = { dir = dir, name = name, recipe = recipe_path, jobs = s.jobs, states = s.states,
                  credits = { estimated = s.credits_planned, charged = l.charged, possibly_charged = l.possibly,
                              budget = budget, tasks = l.tasks, reported = l.reported,
                              planned = s.credits_planned, spent = s.credits_spent },
                  failures = {}, unknown = {}, running = {}, undelivered = {} }
    for class, rows in pairs(s.failures) do
      out.failures[class] = {}
      for _, row in ipairs(rows) do table.insert(out.failures[class], { job = row.id, task_id = row.task_id, error = row.error }) end
    end
    for _, row in ipairs(s.unknown) do table.insert(out.unknown, { job = row.id, credits = row.credits, key = row.idempotency_key }) end
    for _, row in ipairs(s.running) do table.insert(out.running, { job = row.id, task_id = row.task_id, error = row.error }) end
    for _, row in ipairs(s.undelivered) do
      table.insert(out.undelivered, { job = row.id, task_id = row.task_id, error = row.error, finished_at = row.finished_at })
    end
    out.checks = checks
    io.stdout:write(require("hh.json").encode(out), "\n")
    return EXIT.ok
  end
  display.print("%s: %s (recipe %s)", dir, name or "?", recipe_path or "?")
  local states = {}
  for _, st in ipairs({ "done", "failed", "unknown", "submitting", "submitted", "succeeded", "skipped", "new" }) do
    if s.states[st] then states[#states + 1] = string.format("%d %s", s.states[st], st) end
  end
  print(string.format("  %d jobs: %s", s.jobs, table.concat(states, ", ")))
  print(string.format("  credits: %d estimated for these jobs; this directory charged %d (%d tasks, %d at the host's word), "
    .. "possibly charged %d (%d unknown outcomes)%s", s.credits_planned, l.charged, l.tasks, l.reported, l.possibly,
    l.unknown_attempts, budget and string.format("; budget %d", budget) or ""))
  M.print_checks(checks, show_rows)
  if #s.undelivered > 0 then
    print(string.format("  pending delivery: %d (paid; hh resume downloads them without paying again)", #s.undelivered))
    local ttl = require("hh").profile().result_ttl
    show_rows(s.undelivered, function(row)
      local age = math.floor(os.time() - (row.finished_at or row.submitted_at or os.time()))
      local expiry = ttl and age > ttl and string.format(" [may have expired: it finished %s ago; hosts keep results "
        .. "about %s]", ago(age), ago(ttl)) or ""
      return string.format("%s %s: %s%s", row.id, row.task_id or "", commands.short(row.error or "", 100), expiry)
    end)
  end
  if #s.running > 0 then
    print(string.format("  still running: %d (hh resume polls them again)", #s.running))
    show_rows(s.running, function(row) return string.format("%s %s: %s", row.id, row.task_id or "", commands.short(row.error or "", 100)) end)
  end
  local classes = {}
  for class in pairs(s.failures) do classes[#classes + 1] = class end
  table.sort(classes)
  for _, class in ipairs(classes) do
    print(string.format("  failed (%s): %d", class, #s.failures[class]))
    show_rows(s.failures[class], function(row) return string.format("%s %s: %s", row.id, row.task_id or "", commands.short(row.error or "", 100)) end)
  end
  if #s.unknown > 0 then
    print(string.format("  unknown outcomes: %d (may have been billed; resubmit with hh run --resubmit-unknown)", #s.unknown))
    for _, row in ipairs(s.unknown) do
      display.print("    %s %d credits, Idempotency-Key %s", row.id, row.credits or 0, row.idempotency_key or "?")
    end
  end
  return EXIT.ok
end

function M.runs(argv)
  local opts, dir = commands.parse_dir(RUNS, "runs", argv, true)
  if not opts then return dir end
  dir = dir or "runs"
  local fs = require("hh.fs")
  local names = fs.list(dir)
  if not names then say("runs: no run directories in %s", dir) return EXIT.ok end
  table.sort(names)
  local list = {}
  for _, n in ipairs(names) do
    local journal = require("hh.journal").read(dir .. "/" .. n)
    if journal then
      local s = journal:summary()
      list[#list + 1] = { dir = dir .. "/" .. n, name = journal:meta("name") or n, jobs = s.jobs,
                          done = s.states.done or 0, failed = s.states.failed or 0,
                          unknown = (s.states.unknown or 0) + (s.states.submitting or 0),
                          pending = (s.states.new or 0) + (s.states.submitted or 0) + (s.states.succeeded or 0)
                            + (s.states.skipped or 0),
                          charged = s.credits_charged, possibly = s.credits_possibly, spent = s.credits_spent }
      journal:close()
    end
  end
  if opts.json then io.stdout:write(require("hh.json").encode(list), "\n") return EXIT.ok end
  print(string.format("%-30s %6s %6s %6s %7s %7s %9s %9s", "run", "jobs", "done", "failed", "unknown", "pending",
    "charged", "possibly"))
  for _, r in ipairs(list) do
    print(string.format("%-30s %6d %6d %6d %7d %7d %9d %9d", commands.short(safe(r.dir), 30), r.jobs, r.done, r.failed, r.unknown,
      r.pending, r.charged, r.possibly))
  end
  return EXIT.ok
end

-- The media checks of a run's delivered clips: counts, by flag, and the
-- flagged and unchecked jobs.
function M.checks(journal)
  local by_job = journal:qc_all()
  local c = { delivered = 0, checked = 0, flagged = 0, errors = 0, unchecked = 0, by_flag = {}, flagged_jobs = {},
              error_jobs = {} }
  for _, row in ipairs(journal:current()) do
    if row.state == "done" then
      c.delivered = c.delivered + 1
      local q = require("hh.journal").qc_record(by_job[row.id], row)
      if not q then
        c.unchecked = c.unchecked + 1
      elseif q.error then
        c.errors = c.errors + 1
        c.error_jobs[#c.error_jobs + 1] = { job = row.id, file = row.file, error = q.error }
      else
        c.checked = c.checked + 1
        if q.flagged then
          c.flagged = c.flagged + 1
          for _, f in ipairs(q.flags) do c.by_flag[f] = (c.by_flag[f] or 0) + 1 end
          c.flagged_jobs[#c.flagged_jobs + 1] = { job = row.id, file = row.file, flags = q.flags, reasons = q.reasons }
        end
      end
    end
  end
  return c
end

function M.print_checks(c, show_rows)
  if c.delivered == 0 then return end
  local by = {}
  for f, n in pairs(c.by_flag) do by[#by + 1] = string.format("%s %d", f, n) end
  table.sort(by)
  print(string.format("  checks: %d of %d clips checked, %d flagged%s%s%s", c.checked, c.delivered, c.flagged,
    #by > 0 and " (" .. table.concat(by, ", ") .. ")" or "",
    c.errors > 0 and string.format(", %d could not be checked", c.errors) or "",
    c.unchecked > 0 and string.format(", %d not checked yet (hh qc DIR checks them)", c.unchecked) or ""))
  show_rows(c.flagged_jobs, function(j) return string.format("%s %s: %s", j.job, j.file or "", j.reasons or "") end)
  show_rows(c.error_jobs, function(j) return string.format("%s %s: not checked: %s", j.job, j.file or "", j.error) end)
end

-- A CSV field: quoted when it must be (RFC 4180), other control characters
-- made visible (a line break inside quotes is data; an escape is not).
local function csv_field(v)
  if v == nil or v == require("hh.json").null then return "" end
  if type(v) == "table" or type(v) == "number" then v = require("hh.json").encode(v) -- 1, not 1.0
  elseif type(v) ~= "string" then v = tostring(v) end
  v = safe(v, true)
  if v:find('[,"\n\r]') then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

-- The checks as flat columns (qc_*): lists are space-separated.
local QC_COLUMNS = { "flagged", "flags", "reasons", "error", "duration", "width", "height", "fps", "vcodec", "acodec",
                     "audio", "black", "frozen", "silence", "loudness", "cuts", "shots", "poster", "strip" }

function M.export(argv)
  local opts, dir, journal = commands.open_run(EXPORT, "export", argv)
  if not opts then return dir end
  local rows = journal:current()
  local by_job = journal:qc_all()
  journal:close()
  local json = require("hh.json")
  local qc_record = require("hh.journal").qc_record
  if opts.jsonl then
    for _, row in ipairs(rows) do
      row.qc = qc_record(by_job[row.id], row)
      row.params = json.decode(row.params)
      row.cell_values = row.cell_values and json.decode(row.cell_values)
      io.stdout:write(json.encode(row), "\n")
    end
    return EXIT.ok
  end
  local cols = { "id", "cell", "variant", "sample", "state", "class", "failure_class", "error", "task_id", "credits",
                 "attempts", "output", "file", "bytes", "sha256", "polls", "seconds", "submitted_at", "finished_at",
                 "rerun_of", "rerun_rule" }
  local n = #cols
  -- One column a request field (param.NAME) and a cell value (value.NAME),
  -- named over every job, sorted: a spreadsheet filters and sorts on them.
  local params, values, pnames, vnames = {}, {}, {}, {}
  for i, row in ipairs(rows) do
    params[i] = json.decode(row.params or "") or {}
    values[i] = row.cell_values and json.decode(row.cell_values) or {}
    for k in pairs(params[i]) do pnames[k] = true end
    for k in pairs(values[i]) do vnames[k] = true end
  end
  local function sorted(set)
    local list = {}
    for k in pairs(set) do list[#list + 1] = k end
    table.sort(list)
    return list
  end
  pnames, vnames = sorted(pnames), sorted(vnames)
  local head = {}
  for i = 1, n do head[i] = cols[i] end
  for _, k in ipairs(pnames) do head[#head + 1] = csv_field("param." .. k) end
  for _, k in ipairs(vnames) do head[#head + 1] = csv_field("value." .. k) end
  for _, c in ipairs(QC_COLUMNS) do head[#head + 1] = "qc_" .. c end
  io.stdout:write(table.concat(head, ","), "\n")
  for r, row in ipairs(rows) do
    local out = {}
    for i = 1, n do out[i] = csv_field(row[cols[i]]) end
    for _, k in ipairs(pnames) do out[#out + 1] = csv_field(params[r][k]) end
    for _, k in ipairs(vnames) do out[#out + 1] = csv_field(values[r][k]) end
    local q = qc_record(by_job[row.id], row) or {}
    for _, c in ipairs(QC_COLUMNS) do
      local v = q[c]
      if c == "flags" then v = q.flags and table.concat(q.flags, " ")
      elseif c == "cuts" then v = q.cuts and table.concat(q.cuts, " ")
      elseif type(v) == "boolean" then v = v and 1 or 0 end
      out[#out + 1] = csv_field(v)
    end
    io.stdout:write(table.concat(out, ","), "\n")
  end
  return EXIT.ok
end

return M
