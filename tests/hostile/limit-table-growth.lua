-- hostile: a table grown until memory runs out
-- exit: 2
-- stderr: {FILE}: used more than 256 MiB of memory
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
local t = {}
for i = 1, 1e9 do t[i] = {i} end
