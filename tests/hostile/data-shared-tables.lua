-- hostile: a table of two references to the one before, forty deep (2^40 values to encode): refused like a billion laughs
-- exit: 2
-- stderr: {FILE}:7: extra: holds more than 100000 values (a table used N times counts N times)
-- stderr: hh: {FILE}: 1 problem; nothing was sent
local t = {}
for _ = 1, 40 do t = { t, t } end
recipe{prompt = "a fox", extra = { motion = t }}
