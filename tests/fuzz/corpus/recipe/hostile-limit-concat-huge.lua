-- hostile: table.concat of a huge list of strings
-- exit: 2
-- stderr: {FILE}:9: table.concat: result would be 68157440 bytes, more than the 64 MiB allowed
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
local s = ('x'):rep(2^20)
local t = {}
for i = 1, 200 do t[i] = s end
local u = table.concat(t)
