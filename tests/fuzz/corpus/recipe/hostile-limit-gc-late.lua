-- allowed: __gc added to a metatable after setmetatable (Lua never calls it: the object was not marked for finalization)
-- exit: 0
-- stdout: {FILE}: ok: 1 jobs (1 cells x 1 samples x 1 variants), 300 credits, up to 300 with reruns
recipe{prompt = "a fox", output = "fox.mp4"}
local mt = {}
setmetatable({}, mt)
mt.__gc = function() while true do end end
