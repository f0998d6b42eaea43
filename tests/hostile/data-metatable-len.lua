-- hostile: an axis list whose __len and __pairs loop: refused, never run
-- exit: 2
-- stderr: {FILE}:7: sweep.n: has a metatable; a recipe's values are plain strings, numbers, booleans, lists and mappings
-- stderr: hh: {FILE}: 1 problem; nothing was sent
local function spin() while true do end end
local list = setmetatable({ 1, 2 }, { __len = spin, __pairs = spin })
recipe{prompt = "a fox {n}", sweep = { n = list }}
