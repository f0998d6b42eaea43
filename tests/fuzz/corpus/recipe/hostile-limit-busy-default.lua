-- hostile: a busy loop under the default limit (500,000,000 instructions)
-- exit: 2
-- stderr: {FILE}:6: ran for more than 500000000 instructions
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
while true do end
