-- hh.display: how hh prints text it did not write itself (key names,
-- prompts and messages from a recipe, task ids and errors from the API
-- host, names from the disk): with every control character made visible,
-- so a shared recipe or a hostile host cannot retitle the window, write the
-- clipboard (OSC 52), move the cursor or hide a line. display.safe is the
-- one function that does it (native: runtime/visible.c, which hh's C
-- messages use too); the rest print through it.

local core = require("hh.core")

local M = {}

-- display.safe(s [, keep_lines]) -> s with \e, \r, \n, \t, \xNN and \u{NN}
-- escapes for the controls (newlines and tabs kept with keep_lines: a
-- traceback, a CSV field); s itself when it has none. Not a string: tostring.
M.safe = core.visible

-- "hh: " and the formatted message on stderr, made safe as a whole (hh's
-- own formats hold no control character).
function M.say(fmt, ...)
  io.stderr:write("hh: ", M.safe(string.format(fmt, ...)), "\n")
end

-- A line on stdout, made safe as a whole.
function M.print(fmt, ...)
  io.stdout:write(M.safe(select("#", ...) > 0 and string.format(fmt, ...) or fmt), "\n")
end

-- print(...) for code hh runs but did not write (an untrusted recipe): each
-- value made safe, separated by tabs.
function M.print_values(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = M.safe((select(i, ...))) end
  io.stdout:write(table.concat(parts, "\t"), "\n")
end

return M
