-- hostile: a download whose .part file is a symbolic link planted after any
-- earlier check (a script's hh.wait opens it directly): it must be refused
-- when it is opened, not followed
-- sim:
-- setup: ln -s ../stolen.mp4 clip.mp4.part
-- hh: {FILE}
-- exit: 0
-- stdout: nil	download	download of task TASK failed: cannot create clip.mp4.part: it is a symbolic link
-- after: test ! -e ../stolen.mp4 && test ! -e clip.mp4
local r, msg, class = hh.wait(hh.generate{prompt = "a fox"}, {output = "clip.mp4"})
print(r, class, (tostring(msg):gsub("hs%d+%-%x+", "TASK")))
