-- hh.votes: blind-judging votes kept with a run, in DIR/votes.jsonl (one
-- vote a line, canonical JSON, sorted, so it diffs well in git).
-- `hh votes import DIR FILE...` checks every line of the files the report's
-- export button wrote, names each bad one as FILE:LINE, and merges the rest
-- without duplicates; nothing is written while any line is wrong.

local fs = require("hh.fs")
local json = require("hh.json")

local M = {}

M.FILE = "votes.jsonl"

local EXIT = { ok = 0, usage = 2, failed = 4 }
local CHOICES = { left = true, right = true, tie = true }
local MAX_ERRORS = 50

local say = require("hh.display").say

local read_file = require("hh.fs").read

local function nonempty_string(v, max)
  return type(v) == "string" and v ~= "" and #v <= max and not v:find("[%c]")
end

-- A vote's identity: the same judge judging the same pair at the same moment.
function M.key(v)
  return table.concat({ v.judge, v.time, v.cell, tostring(v.sample), v.left, v.right }, "\0")
end

-- Checks one decoded line; returns the vote as it is kept, or nil and why.
-- `run` (optional) is what the run knows: its name, its directory's id, and
-- which cell, variant and sample jobs exist. A vote names the run's id when
-- the report it was cast in knew it (older votes name the run only).
function M.check(v, run)
  if type(v) ~= "table" or v[1] ~= nil then return nil, "expected a JSON object" end
  for _, f in ipairs({ "run", "cell", "left", "right", "choice", "judge", "time" }) do
    if v[f] == nil or v[f] == json.null then return nil, string.format("missing %q", f) end
  end
  if v.sample == nil or v.sample == json.null then return nil, 'missing "sample"' end
  for _, f in ipairs({ "run", "cell", "left", "right" }) do
    if not nonempty_string(v[f], 200) then return nil, string.format("%q must be a non-empty string", f) end
  end
  if not nonempty_string(v.judge, 100) then return nil, '"judge" must be a non-empty string of at most 100 characters' end
  local sample = math.type(v.sample) and math.tointeger(v.sample)
  if not sample or sample < 1 then return nil, '"sample" must be a whole number from 1' end
  if type(v.choice) ~= "string" or not CHOICES[v.choice] then
    return nil, string.format('"choice" must be "left", "right" or "tie", not %s', json.encode(v.choice))
  end
  if v.left == v.right then return nil, '"left" and "right" must be different variants' end
  if type(v.time) ~= "string" or not (v.time:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.?%d*Z$")
      or v.time:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.?%d*[+-]%d%d:%d%d$")) then
    return nil, '"time" must be an ISO 8601 time like 2026-01-31T12:00:00Z'
  end
  if v.run_id ~= nil and not (type(v.run_id) == "string" and v.run_id:match("^%x+$") and #v.run_id <= 64) then
    return nil, '"run_id" must be the hex id of a run directory'
  end
  local vote = { run = v.run, run_id = v.run_id, cell = v.cell, sample = sample, left = v.left, right = v.right,
                 choice = v.choice, judge = v.judge, time = v.time }
  if run then
    if v.run ~= run.name then
      return nil, string.format("the vote is for run %q, not this run (%q)", v.run, run.name)
    end
    if v.run_id and run.id and v.run_id ~= run.id then
      return nil, string.format("the vote is for another run directory named %q (run_id %s; this one is %s): "
        .. "its videos are not these", v.run, v.run_id, run.id)
    end
    if not run.cells[v.cell] then return nil, string.format("cell %q is not in this run", v.cell) end
    for _, side in ipairs({ "left", "right" }) do
      if not run.slots[v.cell .. "\0" .. v[side] .. "\0" .. sample] then
        return nil, string.format("%s variant %q has no job in cell %s, sample %d", side, v[side], v.cell, sample)
      end
    end
  end
  return vote
end

-- Parses vote lines: the votes, and errors as "NAME:LINE: message".
function M.parse(text, name, run)
  local votes, errors = {}, {}
  local n = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    line = line:gsub("\r$", "")
    if line:find("%S") then
      local v, derr = json.decode(line)
      local vote, why
      if v == nil then why = "not JSON: " .. tostring(derr):gsub("^Expected", "expected") else vote, why = M.check(v, run) end
      if vote then
        vote.line = n
        votes[#votes + 1] = vote
      else
        errors[#errors + 1] = string.format("%s:%d: %s", name, n, why)
      end
    end
  end
  return votes, errors
end

-- What a run directory knows for checking votes: nil, message when it is not one.
function M.run_info(dir)
  local journal, err = require("hh.journal").read(dir)
  if not journal then return nil, err or (dir .. ": not a run directory (no journal.db)") end
  local ok, rows, name, id = pcall(function() return journal:all(), journal:meta("name"), journal:meta("run_id") end)
  journal:close()
  if not ok then return nil, string.format("%s: cannot read the journal: %s", dir, tostring(rows)) end
  local run = { name = name or dir:match("([^/]+)/*$") or dir, id = id, cells = {}, slots = {} }
  for _, row in ipairs(rows) do
    if row.cell then
      run.cells[row.cell] = true
      run.slots[row.cell .. "\0" .. tostring(row.variant) .. "\0" .. tostring(row.sample)] = true
    end
  end
  return run
end

local function sort_votes(votes)
  table.sort(votes, function(a, b)
    if a.time ~= b.time then return a.time < b.time end
    return M.key(a) < M.key(b)
  end)
end

local function encode_lines(votes)
  local lines = {}
  for i, v in ipairs(votes) do
    lines[i] = json.encode({ run = v.run, run_id = v.run_id, cell = v.cell, sample = v.sample, left = v.left,
                             right = v.right, choice = v.choice, judge = v.judge, time = v.time })
  end
  return table.concat(lines, "\n") .. (#lines > 0 and "\n" or "")
end

-- The committed votes of a run directory, for the report: votes and
-- warnings for lines that are wrong (those are left out).
function M.load(dir)
  local path = dir .. "/" .. M.FILE
  if not fs.size(path) then return {}, {} end
  local text, err = read_file(path)
  if not text then return {}, { err } end
  local votes, errors = M.parse(text, path)
  for _, v in ipairs(votes) do v.line = nil end
  return votes, errors
end

-- Merges vote files into DIR/votes.jsonl. Returns counts, or nil and a list
-- of errors (nothing written).
function M.import(dir, files)
  local run, rerr = M.run_info(dir)
  if not run then return nil, { rerr } end
  local path = dir .. "/" .. M.FILE
  local errors, merged, by_key = {}, {}, {}
  local function add_errors(list)
    for _, e in ipairs(list) do errors[#errors + 1] = e end
  end
  if fs.size(path) then
    local text, err = read_file(path)
    if not text then return nil, { err } end
    local votes, errs = M.parse(text, path, run)
    add_errors(errs)
    for _, v in ipairs(votes) do
      local k = M.key(v)
      if not by_key[k] then by_key[k] = { vote = v, where = path .. ":" .. v.line } merged[#merged + 1] = v end
    end
  end
  local before, added, duplicates = #merged, 0, 0
  for _, file in ipairs(files) do
    local text, err = read_file(file)
    if not text then
      errors[#errors + 1] = err
    else
      local votes, errs = M.parse(text, file, run)
      add_errors(errs)
      for _, v in ipairs(votes) do
        local k = M.key(v)
        local seen = by_key[k]
        if not seen then
          by_key[k] = { vote = v, where = file .. ":" .. v.line }
          merged[#merged + 1] = v
          added = added + 1
        elseif seen.vote.choice ~= v.choice then
          errors[#errors + 1] = string.format("%s:%d: the same vote (judge %q, %s) says %q at %s but %q here",
            file, v.line, v.judge, v.time, seen.vote.choice, seen.where, v.choice)
        else
          duplicates = duplicates + 1
        end
      end
    end
  end
  if #errors > 0 then return nil, errors end
  sort_votes(merged)
  local ok, werr = fs.write_atomic(path, encode_lines(merged))
  if not ok then return nil, { werr } end
  return { before = before, added = added, duplicates = duplicates, total = #merged, path = path }
end

local SPEC = { { name = "help", short = "h", flag = true, help = "show this help" } }

M.HELP = "usage: hh votes import DIR FILE...\n\nMerges vote files exported from the report's judging view into DIR/votes.jsonl:\n"
  .. "every line is checked (its run, cell, variants and sample must be in DIR), a\n"
  .. "vote already there is counted once, and nothing is written while any line is\n"
  .. "wrong. Then hh report DIR shows them in the ranking.\n\n" .. require("hh.args").usage(SPEC)

function M.command(argv)
  local opts, rest = require("hh.args").command(SPEC, "votes", argv, M.HELP)
  if not opts then return rest end
  if rest[1] ~= "import" then
    say("votes: expected: hh votes import DIR FILE... (see hh help votes)")
    return EXIT.usage
  end
  if #rest < 3 then say("votes import: expected a run directory and at least one vote file") return EXIT.usage end
  local dir = rest[2]:gsub("(.)/+$", "%1")
  local files = {}
  for i = 3, #rest do files[#files + 1] = rest[i] end
  local counts, errors = M.import(dir, files)
  if not counts then
    for i, e in ipairs(errors) do
      if i > MAX_ERRORS then say("votes import: ... and %d more", #errors - MAX_ERRORS) break end
      say("votes import: %s", e)
    end
    say("votes import: nothing was imported")
    return EXIT.usage
  end
  require("hh.display").print("%s: %d new vote%s, %d already there; %d in all", counts.path, counts.added,
    counts.added == 1 and "" or "s", counts.duplicates, counts.total)
  return EXIT.ok
end

return M
