-- hostile: a Lua recipe that prints an escape sequence itself (OSC 52 writes the clipboard)
-- exit: 0
-- stdout: \e]52;c;cHduZWQ=\x07	x
-- stdout: esc-lua-print.lua: ok: 1 jobs (1 cells x 1 samples x 1 variants), 300 credits, up to 300 with reruns
print("\27]52;c;cHduZWQ=\7", "x")
recipe { prompt = "a fox" }
