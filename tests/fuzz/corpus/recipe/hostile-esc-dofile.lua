-- hostile: dofile
-- exit: 2
-- stderr: {FILE}:6: unknown global 'dofile'
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
dofile('/etc/passwd')
