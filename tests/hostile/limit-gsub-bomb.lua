-- hostile: one gsub multiplying its subject (the cap holds inside the C call)
-- exit: 2
-- stderr: {FILE}: used more than 256 MiB of memory
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
local s = ('x'):rep(1000000)
s = s:gsub('.', '%0%0%0%0%0%0%0%0%0%0%0%0%0%0%0%0')
s = s:gsub('.', '%0%0%0%0%0%0%0%0%0%0%0%0%0%0%0%0')
