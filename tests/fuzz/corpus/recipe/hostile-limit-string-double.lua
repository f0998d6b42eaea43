-- hostile: a string doubled until memory runs out
-- exit: 2
-- stderr: {FILE}: used more than 256 MiB of memory
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
local s = 'x'
for i = 1, 40 do s = s .. s end
