-- hostile: string.rep of a terabyte
-- exit: 2
-- stderr: {FILE}:6: string.rep: result would be 1000000000000 bytes, more than the 64 MiB allowed
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
local s = ('x'):rep(1e12)
