-- hostile: a pattern that backtracks forever inside string.find
-- exit: 2
-- stderr: {FILE}:6: string.find: the pattern has 25 repeated items: on a 60-byte subject it could backtrack for too long (simplify it, or shorten the subject)
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
string.find(string.rep('a', 60), string.rep('a-', 25) .. 'b')
