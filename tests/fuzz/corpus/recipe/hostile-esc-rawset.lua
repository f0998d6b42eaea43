-- hostile: rawset to get around the environment
-- exit: 2
-- stderr: {FILE}:6: unknown global 'rawset'
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
rawset(_G, 'x', 1)
