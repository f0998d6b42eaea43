-- hostile: an axis value that contains itself: refused with its place, not an error of hh's
-- exit: 2
-- stderr: {FILE}:7: sweep.n[0][0]: contains itself
-- stderr: hh: {FILE}: 1 problem; nothing was sent
local t = {}
t[1] = t
recipe{prompt = "a fox {n}", sweep = { n = { t, 2 } }}
