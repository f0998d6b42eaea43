-- hostile: files.write while the recipe is only checked
-- exit: 2
-- stderr: {FILE}:6: files.write: no run directory (hh check and hh plan run no jobs; hh run has one)
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
files.write('x.txt', 'x')
