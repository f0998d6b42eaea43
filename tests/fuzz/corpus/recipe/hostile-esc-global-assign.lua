-- hostile: a global assignment
-- exit: 2
-- stderr: {FILE}:6: assignment to global 'x' (use local)
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
x = 1
