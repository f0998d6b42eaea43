-- hostile: a loop inside a coroutine the recipe makes
-- env: HH_SETTINGS=recipe_instructions=20000000
-- exit: 2
-- stderr: {FILE}:9: ran for more than 20000000 instructions
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
local co = coroutine.create(function() while true do end end)
coroutine.resume(co)
while true do end
