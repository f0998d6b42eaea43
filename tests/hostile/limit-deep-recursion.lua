-- hostile: endless recursion (a stack overflow, reported)
-- env: HH_SETTINGS=recipe_instructions=20000000
-- exit: 2
-- stderr: {FILE}:7: stack overflow
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
local function f() return 1 + f() end
f()
