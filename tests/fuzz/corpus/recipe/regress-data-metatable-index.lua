-- hostile: a recipe table whose __index loops, read by hh after the chunk (outside its limits): refused, never run
-- exit: 2
-- stderr: {FILE}:6: sweep: has a metatable; a recipe's values are plain strings, numbers, booleans, lists and mappings
-- stderr: hh: {FILE}: 1 problem; nothing was sent
local spin = setmetatable({}, { __index = function() while true do end end })
recipe{prompt = "a fox {n}", sweep = spin}
