-- hostile: the same through a string method
-- exit: 2
-- stderr: {FILE}:7: string.find: the pattern has 3 repeated items: on a 100000-byte subject it could backtrack for too long (simplify it, or shorten the subject)
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
local s = ('x'):rep(100000)
s:find('x*x*x*y')
