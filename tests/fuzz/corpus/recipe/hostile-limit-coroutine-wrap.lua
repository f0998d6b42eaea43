-- hostile: a loop inside coroutine.wrap
-- env: HH_SETTINGS=recipe_instructions=20000000
-- exit: 2
-- stderr: {FILE}:7: {FILE}:7: ran for more than 20000000 instructions
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
coroutine.wrap(function() while true do end end)()
