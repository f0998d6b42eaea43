-- allowed: setmetatable on the recipe's own copy of hh (harmless)
-- exit: 0
-- stdout: {FILE}: ok: 1 jobs (1 cells x 1 samples x 1 variants), 300 credits, up to 300 with reruns
recipe{prompt = "a fox", output = "fox.mp4"}
setmetatable(hh, {})
