-- 0/0 in a Lua recipe
recipe{prompt = "a fox", extra = {motion = 0/0}}
