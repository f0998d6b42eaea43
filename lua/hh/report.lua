-- hh.report: `hh report DIR` writes DIR/report.html, one self-contained page
-- that works offline: the summary is rendered here (every value escaped),
-- the run's jobs and committed votes are embedded as JSON, and the page's own
-- script (hh.report_assets) lays out the grid, the A/B view and blind
-- judging. Videos are referenced by paths relative to the run directory.

local core = require("hh.core")
local fs = require("hh.fs")
local json = require("hh.json")

local M = {}

M.FILE = "report.html"

local EXIT = { ok = 0, usage = 2, failed = 4 }

local say = require("hh.display").say

-- Text for HTML: element content and quoted attribute values alike.
local HTML_ESCAPES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }
function M.escape(s)
  return (tostring(s):gsub("[&<>\"']", HTML_ESCAPES))
end

-- JSON that is safe inside <script type="application/json">: no "<", ">" or
-- "&" (so no "</script>" or "<!--"), and no U+2028/U+2029.
function M.script_json(v)
  local s = json.encode(v)
  s = s:gsub("[<>&]", { ["<"] = "\\u003c", [">"] = "\\u003e", ["&"] = "\\u0026" })
  s = s:gsub("\226\128\168", "\\u2028"):gsub("\226\128\169", "\\u2029")
  return s
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

-- Base64 of a hex digest's bytes (for a Content-Security-Policy hash).
local function hex_to_base64(hex)
  local bytes = hex:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end)
  local out = {}
  for i = 1, #bytes, 3 do
    local a, b, c = bytes:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = {}
    for k = 3, 0, -1 do
      local idx = (n >> (6 * k)) & 63
      chars[#chars + 1] = B64:sub(idx + 1, idx + 1)
    end
    if not b then chars[3], chars[4] = "=", "=" elseif not c then chars[4] = "=" end
    out[#out + 1] = table.concat(chars)
  end
  return table.concat(out)
end

-- A script's hash for a Content-Security-Policy ('sha256-...').
function M.csp_hash(script)
  return hex_to_base64(core.sha256(script))
end

-- A file name from the journal, usable as a relative URL: nil when it is
-- absolute or leaves the run directory.
local function relative_file(file)
  if type(file) ~= "string" or file == "" or file:sub(1, 1) == "/" then return nil end
  for part in file:gmatch("[^/]+") do
    if part == ".." then return nil end
  end
  return file
end

-- Where the recipe is, for people: relative to the working directory when it
-- is below it, else its file name (no machine paths in a shared report).
local function recipe_label(path)
  if not path then return nil end
  local pwd = os.getenv("PWD")
  if pwd and pwd ~= "" and path:sub(1, #pwd + 1) == pwd .. "/" then return path:sub(#pwd + 2) end
  if path:sub(1, 1) ~= "/" then return path end
  return path:match("([^/]+)$")
end

local function decode_or(text, default)
  if not text then return default end
  local v = json.decode(text)
  if v == nil or v == json.null then return default end
  return v
end

-- One job as the page has it, from its journal row and its check's row.
function M.job_entry(dir, row, check)
  local file = relative_file(row.file)
  local job = {
    job = row.id, cell = row.cell, variant = row.variant, sample = row.sample,
    cell_values = decode_or(row.cell_values, json.object()), params = decode_or(row.params, json.object()),
    state = row.state, class = row.class, failure_class = row.failure_class, error = row.error,
    task_id = row.task_id, credits = row.credits, attempts = row.attempts,
    file = file, present = file and fs.size(dir .. "/" .. file) ~= nil or nil, bytes = row.bytes, sha256 = row.sha256,
    polls = row.polls, seconds = row.seconds, submitted_at = row.submitted_at, finished_at = row.finished_at,
    rerun_of = row.rerun_of, rerun_rule = row.rerun_rule,
  }
  local q = require("hh.journal").qc_record(check, row)
  if q then
    job.qc = { flagged = q.flagged, flags = q.flags, reasons = q.reasons, error = q.error,
               poster = q.poster and fs.size(dir .. "/" .. q.poster) and q.poster or nil,
               strip = q.strip and fs.size(dir .. "/" .. q.strip) and q.strip or nil,
               duration = q.duration, width = q.width, height = q.height, black = q.black, frozen = q.frozen,
               silence = q.silence, loudness = q.loudness }
  end
  if next(job.cell_values) == nil then job.cell_values = json.object() end
  return job
end

-- The facts line from the jobs (and the directory's ledger), and the jobs
-- that are not done.
function M.summarise(jobs, ledger)
  local states, planned, first, last, failures = {}, 0, nil, nil, {}
  for _, job in ipairs(jobs) do
    states[job.state] = (states[job.state] or 0) + 1
    planned = planned + (job.credits or 0)
    if job.submitted_at and (not first or job.submitted_at < first) then first = job.submitted_at end
    if job.finished_at and (not last or job.finished_at > last) then last = job.finished_at end
    if job.state ~= "done" then failures[#failures + 1] = job end
  end
  return { jobs = #jobs, states = next(states) and states or json.object(), credits_planned = planned,
           credits_spent = ledger.charged + ledger.possibly, started_at = first, finished_at = last,
           elapsed = first and last and (last - first) or nil }, failures
end

-- Everything the page needs, from the journal and votes.jsonl: a table, or
-- nil and a message. Problems with votes.jsonl come back as warnings.
function M.data(dir)
  local journal, err = require("hh.journal").read(dir)
  if not journal then return nil, err or (dir .. ": not a run directory (no journal.db)") end
  local ok, rows, ledger, name, recipe_path, run_id, checks, axes = pcall(function()
    return journal:current(), journal:ledger(), journal:meta("name"), journal:meta("recipe"), journal:meta("run_id"),
      journal:qc_all(), journal:meta("axes")
  end)
  journal:close()
  if not ok then return nil, string.format("%s: cannot read the journal: %s", dir, tostring(rows)) end

  local jobs = {}
  for _, row in ipairs(rows) do jobs[#jobs + 1] = M.job_entry(dir, row, checks[row.id]) end
  local summary, failures = M.summarise(jobs, ledger)
  local votes, warnings = require("hh.votes").load(dir)
  local data = {
    -- The recipe's axes as written (a zip group or rows block is one axis);
    -- empty for a run from before they were recorded.
    axes = decode_or(axes, {}),
    run = { name = name or dir:match("([^/]+)/*$") or dir, id = run_id, recipe = recipe_label(recipe_path),
            generated_at = os.date("!%Y-%m-%dT%H:%M:%SZ"), hh = core.versions().hh, live = false },
    summary = summary, jobs = jobs, votes = votes,
  }
  return data, warnings, failures
end

local function fmt_seconds(s)
  if not s then return "-" end
  if s < 1 then return "under a second" end
  if s < 60 then return string.format("%.0f s", s) end
  if s < 3600 then return string.format("%d min %02d s", s // 60, math.floor(s % 60)) end
  return string.format("%d h %02d min", s // 3600, math.floor(s % 3600) // 60)
end

local function values_label(job)
  local keys = {}
  for k in pairs(job.cell_values) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = job.cell_values[k]
    parts[#parts + 1] = k .. "=" .. (type(v) == "table" and json.encode(v) or tostring(v))
  end
  return table.concat(parts, ", ")
end

local STATE_ORDER = { "done", "failed", "unknown", "submitting", "submitted", "skipped", "new" }

-- The run's facts (always shown) and the jobs that are not done, rendered
-- here so the page says what happened even without its script.
local function render_summary(data, failures)
  local e = M.escape
  local s = data.summary
  local out = {}
  local function add(...) for i = 1, select("#", ...) do out[#out + 1] = select(i, ...) end end
  add('<dl id="facts">\n')
  add("<dt>recipe</dt><dd>", e(data.run.name), data.run.recipe and (" <small>" .. e(data.run.recipe) .. "</small>") or "", "</dd>\n")
  local states = {}
  for _, st in ipairs(STATE_ORDER) do
    if s.states[st] then states[#states + 1] = '<span class="state ' .. e(st) .. '">' .. e(s.states[st] .. " " .. st) .. "</span>" end
  end
  add("<dt>jobs</dt><dd>", e(s.jobs), ": ", table.concat(states, " "), "</dd>\n")
  add("<dt>credits</dt><dd>", e(s.credits_planned), " estimated, ", e(s.credits_spent), " spent</dd>\n")
  add("<dt>time</dt><dd>", e(fmt_seconds(s.elapsed)),
    s.started_at and (" <small>from " .. e(os.date("!%Y-%m-%d %H:%M:%S", math.floor(s.started_at))) .. " UTC</small>") or "", "</dd>\n")
  add("<dt>votes</dt><dd>", e(#data.votes), " in votes.jsonl</dd>\n</dl>\n")
  add('<section id="failures" class="view">\n<h2>Not done: ', e(#failures), "</h2>\n")
  if #failures > 0 then
    add('<table class="failures">\n<thead><tr><th>job</th><th>cell</th>',
      "<th>variant</th><th>sample</th><th>state</th><th>class</th><th>reason</th></tr></thead>\n<tbody>\n")
    for _, j in ipairs(failures) do
      add("<tr><td><code>", e(j.job), "</code></td><td>", e(values_label(j)), "</td><td>", e(j.variant or ""),
        "</td><td>", e(j.sample or ""), "</td><td>", e(j.state), "</td><td>", e(j.failure_class or j.class or ""),
        "</td><td>", e(j.error or ""), "</td></tr>\n")
    end
    add("</tbody>\n</table>\n")
  else
    add("<p>Every job is done.</p>\n")
  end
  add("</section>\n")
  return table.concat(out)
end

-- The whole page as a string.
function M.render(data, failures)
  local assets = require("hh.report_assets")
  data.grid = require("hh.report_axes").layout(data) -- the axes, for the page
  local script = assets.js
  -- frame-src: the run's report-live.html, which hands an open page new results.
  local csp = "default-src 'none'; script-src 'sha256-" .. M.csp_hash(script) .. "'; "
    .. "style-src 'unsafe-inline'; media-src *; img-src * data:; frame-src *; base-uri 'none'; form-action 'none'"
  local e = M.escape
  return table.concat({
    "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<link rel=\"icon\" href=\"data:,\">\n",
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
    '<meta http-equiv="Content-Security-Policy" content="', e(csp), '">\n',
    '<meta name="generator" content="hh ', e(data.run.hh or ""), '">\n',
    "<title>", e(data.run.name), " &mdash; hh report</title>\n<style>\n", assets.css, "</style>\n</head>\n<body>\n",
    '<header>\n<h1>', e(data.run.name), ' <small>hh report</small></h1>\n<nav id="tabs">',
    '<a href="#grid">Grid</a> <a href="#ab">A/B</a> <a href="#judge">Judge</a> <a href="#ranking">Ranking</a> <a href="#failures">Not done (',
    e(#(failures or {})), ")</a></nav>\n</header>\n<main>\n",
    render_summary(data, failures or {}),
    '<section id="grid" class="view" hidden></section>\n',
    '<section id="ab" class="view" hidden></section>\n',
    '<section id="judge" class="view" hidden></section>\n',
    '<section id="ranking" class="view" hidden></section>\n',
    "<noscript><p>The grid, A/B and judging views need JavaScript; the videos are beside this file.</p></noscript>\n",
    "</main>\n",
    '<footer>hh ', e(data.run.hh or ""), " &middot; generated ", e(data.run.generated_at), "</footer>\n",
    '<script type="application/json" id="hh-data">', M.script_json(data), "</script>\n",
    "<script>", script, "</script>\n</body>\n</html>\n",
  })
end

-- Writes DIR/report.html: true, or nil and a message. Warnings (bad lines
-- in votes.jsonl, which are left out) go to stderr.
function M.write(dir)
  local data, warnings, failures = M.data(dir)
  if not data then return nil, warnings end
  for _, w in ipairs(warnings or {}) do say("report: %s (left out)", w) end
  for _, w in ipairs(require("hh.report_blind").link(dir, data)) do say("report: %s", w) end
  local ok, err = fs.write_atomic(dir .. "/" .. M.FILE, M.render(data, failures))
  if not ok then return nil, err end
  return true
end

local SPEC = {
  { name = "open", flag = true, help = "open it in the browser (xdg-open)" },
  { name = "grid-image", arg = "FILE", optional = true, help = "write the grid as one image instead (DIR/grid.png; or DIR FILE)" },
  { name = "columns", arg = "AXIS", help = "--grid-image: the axis across (default: as the report opens)" },
  { name = "rows", arg = "AXIS", help = "--grid-image: the axis down" },
  { name = "page", arg = "NAME=VALUE", many = true, help = "--grid-image: the value of another axis (default: its first)" },
  { name = "help", short = "h", flag = true, help = "show this help" },
}
local VIEW_SPEC = { SPEC[#SPEC] }

M.HELP = "usage: hh report DIR [--open]\n"
  .. "       hh report DIR --grid-image [FILE] [--columns AXIS] [--rows AXIS] [--page NAME=VALUE ...]\n"
  .. "       hh view DIR\n\n"
  .. "Writes DIR/report.html: a page that works offline, with the run's summary, a\n"
  .. "grid of the videos on two chosen axes, an A/B view of the variants, and blind\n"
  .. "judging with a Bradley-Terry ranking (votes from DIR/votes.jsonl included).\n"
  .. "hh run writes it as results arrive and at the end of every run; an open page\n"
  .. "picks new results up. hh view opens it (writing it first if it is missing).\n\n"
  .. "With --grid-image, writes one page of the grid as one picture instead (.png or\n"
  .. ".jpg): the clips' posters with the axes' values as labels, made with ffmpeg.\n\n"
  .. require("hh.args").usage(SPEC)

-- Opens a file in the user's browser with xdg-open, from a job of the loop:
-- true, or nil and what to do instead.
function M.open(path)
  local abs = path:sub(1, 1) == "/" and path or ((os.getenv("PWD") or ".") .. "/" .. path)
  local url = "file://" .. abs:gsub("[^%w/%._~-]", function(c) return string.format("%%%02X", c:byte()) end)
  local hint = "open " .. url .. " in a browser"
  if not core.findable("xdg-open") then return nil, "no xdg-open here (Debian package xdg-utils); " .. hint end
  local r = core.process({ "xdg-open", url }, { timeout = 20 })
  if r.exit == 0 then return true end
  return nil, string.format("xdg-open could not open it (%s); %s",
    r.timed_out and "it did not finish" or r.exit and ("exit " .. r.exit) or r.error or "it crashed", hint)
end

local function open_now(path)
  local ok, err
  core.run(function() ok, err = M.open(path) end)
  if not ok then say("%s", err) end
  return ok
end

-- The options, the run directory (and for report, the grid image's file);
-- or nil and the exit status.
local function run_dir(name, argv, spec)
  local opts, rest = require("hh.args").command(spec, name, argv, M.HELP)
  if not opts then return nil, rest end
  local image = opts["grid-image"]
  if not image and (opts.columns or opts.rows or opts.page) then
    say("report: --columns, --rows and --page go with --grid-image (see hh help report)") return nil, EXIT.usage
  end
  if image == true and #rest == 2 then image = table.remove(rest) end
  if #rest ~= 1 then say("%s: expected one run directory (see hh help report)", name) return nil, EXIT.usage end
  local dir = rest[1]:gsub("(.)/+$", "%1")
  local bad = require("hh.journal").dir_problem(dir)
  if bad then say("%s: %s", name, bad) return nil, EXIT.usage end
  if not fs.size(dir .. "/journal.db") then
    say("%s: %s: not a run directory (no journal.db)", name, dir)
    return nil, EXIT.usage
  end
  return opts, dir, image
end

function M.command(argv)
  local opts, dir, image = run_dir("report", argv, SPEC)
  if not opts then return dir end
  if image then return require("hh.grid_image").command(dir, opts, image ~= true and image or nil) end
  local ok, err = M.write(dir)
  if not ok then say("report: %s", err) return EXIT.failed end
  require("hh.display").print(dir .. "/" .. M.FILE)
  if opts.open then open_now(dir .. "/" .. M.FILE) end
  return EXIT.ok
end

function M.view(argv)
  local opts, dir = run_dir("view", argv, VIEW_SPEC)
  if not opts then return dir end
  if not fs.size(dir .. "/" .. M.FILE) then
    local ok, err = M.write(dir)
    if not ok then say("view: %s", err) return EXIT.failed end
  end
  return open_now(dir .. "/" .. M.FILE) and EXIT.ok or EXIT.failed
end

return M
