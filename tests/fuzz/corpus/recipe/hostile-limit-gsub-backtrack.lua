-- hostile: a backtracking gsub
-- exit: 2
-- stderr: {FILE}:6: string.gsub: the pattern has 3 repeated items: on a 5000-byte subject it could backtrack for too long (simplify it, or shorten the subject)
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
local s = (('a'):rep(5000)):gsub('a-a-a-b', '')
