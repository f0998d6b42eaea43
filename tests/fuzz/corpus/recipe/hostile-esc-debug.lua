-- hostile: debug
-- exit: 2
-- stderr: {FILE}:6: unknown global 'debug'
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
debug.sethook()
