-- hostile: a Lua recipe whose error message clears the screen and forges a line
-- exit: 2
-- stderr: esc-lua-error.lua:5: \e[2J\e[Hesc-lua-error.lua: ok\r
-- stderr: hh: esc-lua-error.lua: 1 problem; nothing was sent
error("\27[2J\27[Hesc-lua-error.lua: ok\r")
