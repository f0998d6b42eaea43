-- hostile: string.format of big strings
-- exit: 2
-- stderr: {FILE}: used more than 256 MiB of memory
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
local s = ('x'):rep(2^25)
local t = string.format('%s%s%s%s%s%s%s%s%s', s, s, s, s, s, s, s, s, s)
