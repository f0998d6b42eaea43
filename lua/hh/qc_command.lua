-- hh.qc_command: `hh qc DIR` checks every delivered clip of a run again
-- (after a new hh, or with other thresholds) and rewrites its journal's
-- checks, manifest and report; `hh qc FILE...` checks any clip. Exit 0 when
-- every clip passed, 4 when one was flagged or could not be checked.

local args = require("hh.args")
local commands = require("hh.commands")
local display = require("hh.display")
local fs = require("hh.fs")
local json = require("hh.json")
local qc = require("hh.qc")
local qc_run = require("hh.qc_run")

local M = {}

local EXIT = commands.EXIT
local say = display.say

local QC = {
  { name = "set", arg = "NAME=VALUE", many = true, help = "a check setting, e.g. --set black_max=0.1 (docs/checks.md)" },
  { name = "duration", arg = "SECONDS", help = "FILE: the duration asked for" },
  { name = "aspect", arg = "RATIO", help = "FILE: the aspect ratio asked for (16:9, 9:16, 1:1)" },
  { name = "sound", flag = true, negatable = true, help = "FILE: sound was asked for (--no-sound: it was not)" },
  { name = "json", flag = true, help = "one JSON object a clip on stdout" },
  { name = "help", short = "h", flag = true, help = "show this help" },
}

M.HELP = "usage: hh qc DIR [--set NAME=VALUE ...]\n       hh qc FILE... [--duration S] [--aspect R] [--sound|--no-sound]\n\n"
  .. "Checks clips with ffprobe and ffmpeg: duration, size, frame rate, codecs and\n"
  .. "audio against the request, black and frozen pictures, silence, loudness and\n"
  .. "scene cuts against the shots asked for. A run directory's clips are checked\n"
  .. "again with its recipe's qc: settings (and --set), and its journal, manifest and\n"
  .. "report are brought up to date. Exit 0 when every clip passed, 4 when one was\n"
  .. "flagged or could not be checked.\n\n" .. args.usage(QC)

local function parse_settings(list, base)
  local t = {}
  for k, v in pairs(base or {}) do t[k] = v end
  for _, item in ipairs(list or {}) do
    local k, v = item:match("^([%w_]+)=(.*)$")
    if not k then return nil, string.format("--set %s: expected NAME=VALUE", item) end
    if v == "true" or v == "false" then t[k] = v == "true" else t[k] = tonumber(v) or v end
  end
  local bad = qc.problems(t)[1]
  if bad then
    local hint = bad.rule == "unknown check setting" and require("hh.recipe").suggest(tostring(bad.key), qc.DEFAULTS) or ""
    return nil, string.format("--set %s: %s%s", tostring(bad.key), bad.rule, hint)
  end
  return t
end

local function facts(r)
  local parts = {}
  if r.duration then parts[#parts + 1] = string.format("%.2f s", r.duration) end
  if r.width then parts[#parts + 1] = string.format("%d×%d", r.width, r.height) end
  if r.fps then parts[#parts + 1] = string.format("%g fps", r.fps) end
  parts[#parts + 1] = (r.vcodec or "no video") .. "/" .. (r.acodec or "no audio")
  if r.black then parts[#parts + 1] = string.format("black %d%%", math.floor(r.black * 100 + 0.5)) end
  if r.frozen then parts[#parts + 1] = string.format("frozen %d%%", math.floor(r.frozen * 100 + 0.5)) end
  if r.silence then parts[#parts + 1] = string.format("silent %d%%", math.floor(r.silence * 100 + 0.5)) end
  if r.loudness then parts[#parts + 1] = string.format("%.1f LUFS", r.loudness) end
  parts[#parts + 1] = string.format("%d cut(s)", #(r.cuts or {}))
  return table.concat(parts, ", ")
end

local function show(name, r, opts)
  if opts.json then
    io.stdout:write(json.encode({ file = name, flagged = r.flagged or false, flags = qc.codes(r), error = r.error,
      reasons = not r.error and qc.summary(r) or nil, duration = r.duration, width = r.width, height = r.height,
      fps = r.fps, vcodec = r.vcodec, acodec = r.acodec, audio = r.audio, black = r.black, frozen = r.frozen,
      silence = r.silence, loudness = r.loudness, cuts = r.cuts, poster = r.poster }), "\n")
  elseif r.error then
    display.print("%s: not checked: %s", name, r.error)
  elseif r.flagged then
    display.print("%s: flagged: %s", name, qc.summary(r))
  else
    display.print("%s: ok (%s)", name, facts(r))
  end
end

-- Runs fn over the list on the loop: the checks run a core each.
local function run_all(list, fn)
  local hh = require("hh")
  local results
  local _, aborted = require("hh.core").run(function()
    results = hh.map(list, fn, { concurrency = 64 })
  end)
  return results or {}, aborted
end

local function check_files(files, opts)
  local s, err = parse_settings(opts.set)
  if not s then say("qc: %s", err) return EXIT.usage end
  local settings = qc.settings(s)
  local p
  if opts.duration or opts.aspect or opts.sound ~= nil then
    p = { duration = tonumber(opts.duration), aspect_ratio = opts.aspect, sound = opts.sound }
    if opts.duration and not p.duration then say("qc: --duration: expected a number of seconds") return EXIT.usage end
    if opts.aspect and not require("hh.rules").ASPECTS[opts.aspect] then
      say('qc: --aspect: must be one of "16:9", "9:16", "1:1"') return EXIT.usage
    end
  end
  for _, f in ipairs(files) do
    local kind = fs.kind(f)
    if kind ~= "file" then say("qc: %s: %s", f, kind and "not a regular file" or "no such file") return EXIT.usage end
  end
  local results = run_all(files, function(f)
    return qc_run.check_file(f, p, settings, { duration = p and p.duration, partial = true })
  end)
  local bad = 0
  for i, f in ipairs(files) do
    local r = results[i] or { error = "interrupted" }
    show(f, r, opts)
    if r.error or r.flagged then bad = bad + 1 end
  end
  return bad > 0 and EXIT.failed or EXIT.ok
end

local function check_dir(dir, opts)
  local journal, jerr = require("hh.journal").open(dir)
  if not journal then say("qc: %s", jerr) return EXIT.usage end
  local base = json.decode(journal:meta("qc") or "{}") or {}
  local s, err = parse_settings(opts.set, base)
  if not s then journal:close() say("qc: %s", err) return EXIT.usage end
  if not qc_run.available() then journal:close() say("qc: %s", qc_run.MISSING) return EXIT.error end
  local ctx = { journal = journal, out = dir, qc = qc_run.context(s) or qc_run.context({}), recheck = true }
  ctx.qc.available = true
  local list = {}
  for _, row in ipairs(journal:current()) do
    if row.state == "done" and row.file then list[#list + 1] = row end
  end
  local recs = run_all(list, function(row)
    local rec = { state = "done", file = row.file, sha256 = row.sha256 }
    if not fs.size(dir .. "/" .. row.file) then return { error = "the file is gone (hh resume downloads it again)" } end
    local job = { id = row.id, params = json.decode(row.params) or {} }
    job.duration = select(2, require("hh.rules").check(job.params))
    return qc_run.attach(rec, job, ctx) or { error = "not checked" }
  end)
  local flagged, errors = 0, 0
  for i, row in ipairs(list) do
    local r = recs[i] or { error = "interrupted" }
    if r.error then errors = errors + 1 elseif r.flagged then flagged = flagged + 1 end
    if opts.json or r.error or r.flagged then show(row.file, r, opts) end
  end
  require("hh.engine").finish(journal)
  local ok, rerr = require("hh.report").write(dir)
  if not ok then say("cannot write the report: %s", rerr) end
  if not opts.json then
    say("qc: %d clip(s) checked, %d flagged, %d could not be checked", #list - errors, flagged, errors)
  end
  return (flagged > 0 or errors > 0) and EXIT.failed or EXIT.ok
end

function M.command(argv)
  local opts, rest = args.command(QC, "qc", argv, M.HELP)
  if not opts then return rest end
  if #rest == 0 then say("qc: expected a run directory or clips (see hh help qc)") return EXIT.usage end
  if #rest == 1 and fs.kind(rest[1]) == "directory" then
    local bad = require("hh.journal").dir_problem(rest[1])
    if bad then say("qc: %s", bad) return EXIT.usage end
    if not fs.size(rest[1] .. "/" .. require("hh.journal").FILE) then
      say("qc: %s is not a run directory (no journal.db)", rest[1]) return EXIT.usage
    end
    return check_dir(rest[1], opts)
  end
  return check_files(rest, opts)
end

return M
