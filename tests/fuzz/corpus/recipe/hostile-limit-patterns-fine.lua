-- allowed: ordinary patterns on ordinary text
-- exit: 0
-- stdout: {FILE}: ok: 1 jobs (1 cells x 1 samples x 1 variants), 300 credits, up to 300 with reruns
recipe{prompt = "a fox", output = "fox.mp4"}
local s = ('a b  c'):gsub('%s+', ' ')
assert(s == 'a b c')
assert(('x=1'):match('^(%w+)=(%d+)$') == 'x')
