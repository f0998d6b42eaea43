-- hostile: the shared string metatable
-- exit: 2
-- stderr: {FILE}:6: attempt to index a nil value
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
getmetatable('').__index = {}
