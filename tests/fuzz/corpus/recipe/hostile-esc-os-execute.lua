-- hostile: os.execute
-- exit: 2
-- stderr: {FILE}:6: attempt to call a nil value (field 'execute')
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
os.execute('id')
