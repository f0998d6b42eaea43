-- hh.team_cache: the team's clips, content-addressed: each file is named
-- by its sha256 (DIR/ab/abcdef....mp4), written whole (a unique temporary
-- name, fsync, rename) and read-only, so a directory on a network share is
-- safe where a shared SQLite file is not: no file is ever changed in place,
-- and a reader checks every byte against the name before using it.

local fs = require("hh.fs")

local M = {}

function M.path(dir, sha256)
  return string.format("%s/%s/%s.mp4", dir, sha256:sub(1, 2), sha256)
end

local function valid(sha256) return type(sha256) == "string" and sha256:match("^%x+$") and #sha256 == 64 end

-- Puts the file at path into the cache under its sha256 (already computed).
function M.put(dir, path, sha256)
  if not valid(sha256) then return nil, "no sha256 for " .. tostring(path) end
  local dest = M.path(dir, sha256)
  if fs.size(dest) and fs.size(dest) == fs.size(path) then return true end
  local ok, err = fs.mkdirs(dest:match("^(.*)/[^/]*$"))
  if not ok then return nil, err end
  return fs.copy_atomic(path, dest, tonumber("444", 8))
end

-- Copies the clip with this sha256 to dest and checks it. true, or nil and
-- why (not there, or its bytes are not those the name says).
function M.get(dir, sha256, dest)
  if not valid(sha256) then return nil, "the store gives no sha256 for it" end
  local src = M.path(dir, sha256)
  if not fs.size(src) then return nil, string.format("%s is not in the team cache", src) end
  local ok, err = fs.copy_atomic(src, dest, tonumber("644", 8))
  if not ok then return nil, err end
  local got = fs.sha256_file(dest)
  if got ~= sha256 then
    fs.remove(dest)
    return nil, string.format("%s in the team cache has other bytes (sha256 %s); it was not used", src,
      tostring(got):sub(1, 12))
  end
  return true
end

return M
