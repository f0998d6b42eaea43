-- hostile: os.getenv (the key)
-- exit: 2
-- stderr: {FILE}:6: attempt to call a nil value (field 'getenv')
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
print(os.getenv('HH_API_KEY'))
