-- hostile: resuming a coroutine hh made
-- exit: 2
-- stderr: {FILE}:6: coroutine.resume: not a coroutine this recipe created
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
coroutine.resume(coroutine.running())
