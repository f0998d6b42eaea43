-- hostile: load
-- exit: 2
-- stderr: {FILE}:6: unknown global 'load'
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
load('return 1')
