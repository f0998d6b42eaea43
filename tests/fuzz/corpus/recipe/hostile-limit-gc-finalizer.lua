-- hostile: a finalizer that loops (finalizers run outside the recipe's limits)
-- exit: 2
-- stderr: {FILE}:6: setmetatable: __gc is not available to recipes (finalizers run outside the recipe's limits)
-- stderr: hh: {FILE}: 1 problem; nothing was sent
recipe{prompt = "a fox", output = "fox.mp4"}
setmetatable({}, {__gc = function() while true do end end})
