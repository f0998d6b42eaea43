-- hostile: replacing _ENV
-- exit: 2
-- stderr: {FILE}:7: attempt to index a nil value (global 'os')
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
local _ENV = {print = print}
os.exit(1)
