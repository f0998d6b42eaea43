-- hostile: string.dump (bytecode)
-- exit: 2
-- stderr: {FILE}:6: string.dump is not available
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
print(('').dump(print))
