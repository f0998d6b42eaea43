-- hh.report_blind: file names for the judging view that say nothing of the
-- variant. Each delivered clip gets DIR/blind/<sha256>.<ext>, a hard link to
-- it (no space used), or a copy where the file system refuses hard links;
-- names that no clip of the run has any more are removed, so a clip deleted
-- to free space is not kept alive here. Relies on the journal's sha256 of
-- each file (in hh.report's data) and on hh.fs.link, which refuses symlinks.

local fs = require("hh.fs")

local M = {}

M.DIR = "blind"

local function extension(file)
  local ext = file:match("%.(%w+)$")
  return ext and #ext <= 8 and ext:lower() or "mp4"
end

-- Puts the clip `file` (relative to dir) at `rel`: "link", "copy", "kept",
-- or nil and a message.
local function place(dir, file, rel)
  local from, err = fs.beneath(dir, file)
  if not from then return nil, err end
  local to
  to, err = fs.beneath(dir, rel)
  if not to then return nil, err end
  local ok, why
  ok, err, why = fs.link(from, to)
  if ok then return "link" end
  if why == "exists" then
    -- Named by its content: a file of the same size is that clip already
    -- (a copy, or a link to an earlier download of the same bytes).
    if fs.kind(to) == "file" and fs.size(to) == fs.size(from) then return "kept" end
    fs.remove(to)
    ok, err, why = fs.link(from, to)
    if ok then return "link" end
  end
  if why ~= "unsupported" then return nil, err end
  local text, rerr = fs.read(from)
  if not text then return nil, rerr end
  ok, err = fs.write_atomic(to, text)
  if not ok then return nil, err end
  return "copy"
end

-- Sets job.blind (a path relative to dir) on every done job whose file is
-- there and has a sha256; returns a list of warnings for hh report to print.
function M.link(dir, data)
  local warnings, wanted, copies = {}, {}, 0
  for _, job in ipairs(data.jobs) do
    local sha = type(job.sha256) == "string" and job.sha256:lower() or ""
    if job.state == "done" and job.file and job.present and sha:match("^" .. ("%x"):rep(64) .. "$") then
      local name = sha .. "." .. extension(job.file)
      if wanted[name] == nil then
        local how, err = place(dir, job.file, M.DIR .. "/" .. name)
        if not how then warnings[#warnings + 1] = string.format("%s: no blind copy for judging (%s)", job.file, err) end
        if how == "copy" then copies = copies + 1 end
        wanted[name] = how ~= nil
      end
      if wanted[name] then job.blind = M.DIR .. "/" .. name end
    end
  end
  if copies > 0 then
    warnings[#warnings + 1] = string.format("%s/: hard links are refused here, so %d clip%s copied for blind judging",
      M.DIR, copies, copies == 1 and " was" or "s were")
  end
  local root = dir .. "/" .. M.DIR
  if fs.kind(root) == "directory" then
    for _, name in ipairs(fs.list(root) or {}) do
      if wanted[name] == nil and name:match("^" .. ("%x"):rep(64) .. "%.%w+$") then fs.remove(root .. "/" .. name) end
    end
  end
  return warnings
end

return M
