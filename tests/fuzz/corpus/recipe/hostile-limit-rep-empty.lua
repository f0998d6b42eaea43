-- hostile: string.rep of the empty string 2^60 times (Lua would loop)
-- exit: 0
-- stdout: {FILE}: ok: 1 jobs (1 cells x 1 samples x 1 variants), 300 credits, up to 300 with reruns
recipe{prompt = "a fox", output = "fox.mp4"}
local s = (''):rep(2^60)
assert(s == '')
