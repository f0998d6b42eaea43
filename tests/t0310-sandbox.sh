#!/usr/bin/env bash
# hh.sandbox: `when:` expressions (allowed uses, every escape tried and
# refused with its exact message, no leak between evaluations, the
# instruction and memory limits, statement smuggling) and Lua recipe
# environments (the allow-list, unknown and assigned globals, files confined
# to the run directory, downloads confined too, binary chunks refused, the
# trusted environment). Runs the embedded library.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"

# --- expressions ---------------------------------------------------------

# EXPR: compiles arg[1] at recipe.yaml:12:11 and evaluates it against a job
# that failed by policy (limits from the Lua expression arg[2]); prints the
# value or the message.
cat > "$SCRATCH/expr.lua" <<'LUA'
local sandbox = require("hh.sandbox")
local vars = {
  status = "failed", error = "task rejected by content policy", size = 52000, duration = 5,
  result = { status = "failed", size = 52000, timings = { queued = 2, render = 40 } },
  job = { prompt = "a fox", seed = 7, tags = { "a", "b" } },
}
local fn, err = sandbox.expression(arg[1], "recipe.yaml:12:11")
if not fn then print(err) return end
local value, problem = sandbox.evaluate(fn, vars, load("return " .. (arg[2] or "nil"))())
if problem then print(problem) else print(tostring(value)) end
LUA
ev() { run_hh "$SCRATCH/expr.lua" "$@"; }
P="recipe.yaml:12:11: when:"

ev 'result.size < 100000'
is "$OUT" "true" "a comparison on a variable"
ev 'status == "failed" and error:find("policy") ~= nil'
is "$OUT" "true" "and/or, with error:find on the error variable"
ev 'status == "succeeded" or size > 60000'
is "$OUT" "false" "or, false"
ev '("abc"):upper() .. job.prompt:sub(3)'
is "$OUT" "ABCfox" "string methods"
ev 'math.max(duration, 3) * 2 + math.floor(result.timings.render / 3)'
is "$OUT" "23" "math and nested variables"
ev 'string.format("%s-%d", job.tags[2], #job.tags) .. table.concat(job.tags, "+")'
is "$OUT" "b-2a+b" "string.format, # and table.concat"
ev 'select("#", 1, 2, 3) + tonumber("4") + utf8.len("héllo")'
is "$OUT" "12" "select, tonumber, utf8"
ev '(function() local n = 0 for k in pairs(result) do n = n + 1 end return n end)()'
is "$OUT" "3" "a function literal with a loop over pairs"
ev 'pcall(error, "x")'
is "$OUT" "false" "pcall"
ev '("x"):rep(3, ",")'
is "$OUT" "x,x,x" "a small string.rep"

# Escapes, each refused with its exact message.
ev 'os.execute("touch '"$SCRATCH"'/pwned")'
is "$OUT" "$P unknown name 'os'" "os.execute: no os"
ev 'io.open("/etc/passwd"):read("a")'
is "$OUT" "$P unknown name 'io'" "io.open: no io"
ev 'require("os")'
is "$OUT" "$P unknown name 'require'" "require"
ev 'load("return os")()'
is "$OUT" "$P unknown name 'load'" "load"
ev 'loadstring("return 1")'
is "$OUT" "$P unknown name 'loadstring'" "loadstring"
ev 'dofile("/etc/passwd")'
is "$OUT" "$P unknown name 'dofile'" "dofile"
ev 'debug.getinfo(1)'
is "$OUT" "$P unknown name 'debug'" "debug.getinfo"
ev 'string.dump(tostring)'
is "$OUT" "$P attempt to call a nil value (field 'dump')" "string.dump is not in the string library"
ev '("").dump(tostring)'
is "$OUT" "$P string.dump is not available" "nor reachable as a string method"
ev 'collectgarbage("count")'
is "$OUT" "$P unknown name 'collectgarbage'" "collectgarbage"
ev 'getmetatable("").__index'
is "$OUT" "$P unknown name 'getmetatable'" "getmetatable (the string metatable)"
ev 'setmetatable({}, {})'
is "$OUT" "$P unknown name 'setmetatable'" "setmetatable"
ev 'rawset(_G, "os", 1)'
is "$OUT" "$P unknown name 'rawset'" "rawset(_G, ...)"
ev 'rawget(_ENV, "os")'
is "$OUT" "$P unknown name 'rawget'" "rawget"
ev '_G'
is "$OUT" "$P unknown name '_G'" "no _G"
ev '_ENV["o" .. "s"]'
is "$OUT" "$P unknown name 'os'" "_ENV reaches nothing more"
ev '(function() _ENV = {} end)()'
is "$OUT" "$P attempt to assign to const variable '_ENV'" "_ENV cannot be replaced"
ev 'coroutine.create(print)'
is "$OUT" "$P unknown name 'coroutine'" "no coroutine"
ev 'package.loaded'
is "$OUT" "$P unknown name 'package'" "no package"
ev 'nosuch + 1'
is "$OUT" "$P unknown name 'nosuch'" "an unknown name is an error, not nil"
ev '(function() x = 1 end)()'
is "$OUT" "$P assignment to global 'x'" "assigning a global is an error"
ev 'result.sise < 100'
is "$OUT" "$P attempt to compare nil with number" "a runtime error names the expression's place"
ev 'error("boom", 0)' '{}'
is "$OUT" "$P attempt to call a string value (global 'error')" "variables shadow the allow-list (error is the job's error)"

# Statement smuggling and syntax.
ev '1) os.exit('
is "$OUT" "$P <eof> expected near 'os'" "closing the bracket to add a statement is a syntax error"
ev '1), (os.exit()'
is "$OUT" "$P must be a single expression" "closing it to add more expressions is refused"
ev '1}, {2'
is "$OUT" "$P ')' expected near '}'" "other brackets too"
ev 'x = 1'
is "$OUT" "$P ')' expected near '='" "a statement is not an expression"
ev 'true --'
is "$OUT" "true" "a trailing comment cannot swallow the closing bracket"
ev '1 --[['
is "$OUT" "$P unfinished long comment (starting at line 1) near <eof>" "an open long comment is a syntax error"
ev ' '
is "$OUT" "$P empty expression" "an empty expression"
printf '\033Lua' > "$SCRATCH/bin"
ev "$(cat "$SCRATCH/bin")"
is "$OUT" "$P unexpected symbol near '<\\27>'" "a binary chunk is not an expression"

# Limits.
ev '(function() while true do end end)()'
is "$OUT" "$P ran for more than 1000000 instructions" "an infinite loop stops at the instruction limit"
ev '(function() while true do pcall(function() while true do end end) end end)()' '{instructions = 100000}'
is "$OUT" "$P ran for more than 100000 instructions" "pcall cannot swallow the stop"
ev '(function() local n = 0 while true do n = n + 1 end end)()' '{instructions = 5000}'
is "$OUT" "$P ran for more than 5000 instructions" "the limit can be set"
ev '("x"):rep(1e12)'
is "$OUT" "$P string.rep: result would be 1000000000000 bytes, more than the 64 MiB allowed" "a string.rep bomb is refused before it is made"
ev 'string.rep("ab", 2^26, ",")'
is "$OUT" "$P string.rep: result would be 201326591 bytes, more than the 64 MiB allowed" "string.rep counts the separator"
ev '#(""):rep(2^62)'
is "$OUT" "0" "an empty string.rep returns at once"
ev '(function() local t = {} while true do t[#t + 1] = ("x"):rep(4096) end end)()'
is "$OUT" "$P used more than 64 MiB of memory" "a table of strings stops at the memory cap"
ev '(function() local t = {} while true do t[#t + 1] = {} end end)()' '{memory = 4 * 1024 * 1024, instructions = 1e9}'
is "$OUT" "$P used more than 4 MiB of memory" "a table-growth bomb stops at the memory cap"
ev '(function() local s = "x" while true do s = s .. s end end)()' '{memory = 8 * 1024 * 1024}'
is "$OUT" "$P used more than 8 MiB of memory" "a doubling string stops at the memory cap"
ev 'table.concat({("x"):rep(2^25), ("x"):rep(2^25), "y"})' '{memory = 256 * 1024 * 1024}'
is "$OUT" "$P table.concat: result would be 67108865 bytes, more than the 64 MiB allowed" "table.concat is sized first"
ev '1' '{bogus = 1}'
is "$OUT" "$P limits: unknown limit 'bogus'" "an unknown limit"
ev '1' '{memory = 0}'
is "$OUT" "$P limits: memory must be a number of 1 or more" "a bad limit"

# Nothing leaks from one evaluation to the next, or into hh.
run_hh -e '
local sandbox = require("hh.sandbox")
local vars = { result = { size = 1, list = { 1 } } }
local function run(src)
  local v, err = sandbox.evaluate(assert(sandbox.expression(src, "r.yaml:1:1")), vars)
  print(err or tostring(v))
end
run("(function() leaked = 1 end)()")
run("leaked")
run("(function() string.upper = nil; math.pi = 3; table.insert = tostring end)()")
run("tostring(string.upper ~= nil) .. \" \" .. math.pi .. \" \" .. tostring(table.insert ~= tostring)")
run("(function() result.size = 2; table.insert(result.list, 2) end)()")
run("result.size .. \" \" .. #result.list")
print(vars.result.size, #vars.result.list, ("ab"):upper(), math.pi, string.upper ~= nil)
print(rawget(_G, "leaked"))'
is "$OUT" "r.yaml:1:1: when: assignment to global 'leaked'
r.yaml:1:1: when: unknown name 'leaked'
nil
true 3.1415926535898 true
nil
1 1
1	1	AB	3.1415926535898	true
nil" "globals, library tables and variables changed by one evaluation are fresh in the next and in hh"

run_hh -e '
local sandbox = require("hh.sandbox")
local fn = assert(sandbox.expression("error == nil and status", "r.yaml:2:3", { names = { "error", "status" } }))
print(sandbox.evaluate(fn, { status = "succeeded" }))
local g = assert(sandbox.expression("x +", "r.yaml:4:5", { label = "include" }))' 2>&1
like "$OUT" "^succeeded$" "declared names may be absent (error is then nil, not the function)"
run_hh -e '
local sandbox = require("hh.sandbox")
print(sandbox.expression("x +", "r.yaml:4:5", { label = "include" }))
print(sandbox.evaluate(print, {}))
print(sandbox.evaluate(assert(sandbox.expression("1", "w")), 5))'
is "$OUT" "nil	r.yaml:4:5: include: unexpected symbol near ')'
nil	sandbox.evaluate: not a compiled expression
nil	w: when: variables must be a table" "the label, and evaluate never raises"

# --- Lua recipes ---------------------------------------------------------

mkdir -p "$SCRATCH/run"
cd "$SCRATCH" || bail "no scratch directory"
# RECIPE: runs the recipe file arg[1] in an environment (trusted when arg[2]
# is "trust") with run_dir $SCRATCH/run and two api entries; prints what the
# chunk returned, or the load or run error.
cat > "$SCRATCH/recipe.lua" <<'LUA'
local sandbox = require("hh.sandbox")
local api = {
  note = function(...) print("note", ...) end,
  double = function(x) return 2 * x end,
}
local env = sandbox.recipe_env{api = api, trust = arg[2] == "trust", run_dir = arg[3]}
local chunk, err = sandbox.load_recipe(arg[1], env)
if not chunk then print(err) return end
local ok, res = pcall(chunk)
print(ok and "returned " .. tostring(res) or res)
LUA
rec() { # rec 'LUA' [trust]: writes r.lua and runs it
    printf '%s\n' "$1" > "$SCRATCH/r.lua"
    run_hh recipe.lua r.lua "${2:-}" run
}

rec 'local function sweep(list, f) local out = {} for i, v in ipairs(list) do out[i] = f(v) end return out end
local got = sweep({1, 2, 3}, double)
note(table.concat(got, ","), ("abc"):upper(), math.max(1, 9), os.time() > 0, type(os.clock()), type(os.date()))
local co = coroutine.wrap(function() coroutine.yield(1) return 2 end)
local mt = {__index = function(_, k) return k .. "!" end}
local obj = setmetatable({}, mt)
note(co(), co(), obj.hi, getmetatable(obj) == mt, utf8.char(72), select("#", pcall(error)))
return #got'
is "$OUT" "note	2,4,6	ABC	9	true	number	string
note	1	2	hi!	true	H	2
returned 3" "a recipe defines local functions, calls api entries and uses the allowed libraries"

rec 'print(type(hh), type(hh.generate), type(hh.wait), type(hh.spawn), hh.config, hh.profile)'
is "$OUT" "table	function	function	function	nil	nil
returned nil" "hh without hh.config or hh.profile (the settings and host cannot be changed)"

for case in "io.open('/etc/passwd')|unknown global 'io'" \
            "require('os')|unknown global 'require'" \
            "load('return 1')|unknown global 'load'" \
            "loadstring('return 1')|unknown global 'loadstring'" \
            "loadfile('/etc/passwd')|unknown global 'loadfile'" \
            "dofile('/etc/passwd')|unknown global 'dofile'" \
            "debug.getinfo(1)|unknown global 'debug'" \
            "collectgarbage('count')|unknown global 'collectgarbage'" \
            "print(package.loaded.os)|unknown global 'package'" \
            "rawset(_ENV, 'x', 1)|unknown global 'rawset'" \
            "rawget(_ENV, 'x')|unknown global 'rawget'" \
            "os.execute('true')|attempt to call a nil value (field 'execute')" \
            "os.getenv('HOME')|attempt to call a nil value (field 'getenv')" \
            "os.exit(0)|attempt to call a nil value (field 'exit')" \
            "os.remove('x')|attempt to call a nil value (field 'remove')" \
            "string.dump(print)|attempt to call a nil value (field 'dump')" \
            "('').dump(print)|string.dump is not available" \
            "getmetatable('').__index.rep = 1|attempt to index a nil value" \
            "setmetatable(_ENV, nil)|setmetatable: cannot change a metatable the recipe did not set" \
            "getmetatable(_ENV).__index = _G|unknown global '_G'" \
            "_ENV.x = 1|assignment to global 'x' (use local)" \
            "x = 1|assignment to global 'x' (use local)" \
            "function helper() end|assignment to global 'helper' (use local)" \
            "print(undefined_thing)|unknown global 'undefined_thing'" \
            "coroutine.resume(coroutine.running())|coroutine.resume: not a coroutine this recipe created" \
            "hh.config{base_url = 'https://evil.example'}|attempt to call a nil value (field 'config')"; do
    code=${case%%|*} want=${case#*|}
    rec "$code"
    is "$OUT" "r.lua:1: $want" "untrusted recipe: $code"
done

rec 'local t = {}
t.x = 1
local _ENV = {print = print}
print(t.x, os)'
is "$OUT" "1	nil
returned nil" "a local _ENV only narrows what the recipe sees"

# Files in the run directory.
ln -s /tmp "$SCRATCH/run/link"
ln -s "$SCRATCH/outside" "$SCRATCH/run/evil"
rec 'print(files.write("notes.txt", "hello"), files.read("notes.txt"))
print(files.write("sub/dir/n.txt", "deep"), files.read("sub/dir/n.txt"))
print(files.read("missing.txt"))'
is "$OUT" "true	hello
true	deep
nil	files.read: missing.txt: No such file or directory
returned nil" "files.write and files.read inside the run directory"
is "$(cat "$SCRATCH/run/sub/dir/n.txt")" "deep" "the file is where it should be"
for case in '../x|must not contain '"'..'" \
            'a/../../x|must not contain '"'..'" \
            '/tmp/x|must be relative to the run directory' \
            './x|must not contain empty or '"'.'"' components' \
            'a//b|must not contain empty or '"'.'"' components' \
            '|must be a non-empty string' \
            'link/x|a directory on the way is a symlink or not a directory' \
            'evil|is a symlink'; do
    name=${case%%|*} want=${case#*|}
    rec "files.write(\"$name\", \"x\")"
    is "$OUT" "r.lua:1: files.write: \"$name\": $want" "files.write refuses \"$name\""
done
rec 'files.read("a\nb")'
is "$OUT" 'r.lua:1: files.read: "a\010b": must not contain control characters' "files.read refuses control characters"
ok "$(test ! -e "$SCRATCH/outside" && test ! -e /tmp/x; echo $?)" "nothing was written outside the run directory"
rec 'files.write(42)'
is "$OUT" 'r.lua:1: files.write: 42: must be a non-empty string' "a name must be a string"
rec 'files.write("t.txt", {})'
is "$OUT" 'r.lua:1: files.write: text must be a string' "text must be a string"
printf 'files.write("x", "y")\n' > "$SCRATCH/nodir.lua"
run_hh recipe.lua nodir.lua ""
is "$OUT" "nodir.lua:1: files.write: no run directory (hh check and hh plan run no jobs; hh run has one)" "no run directory, no files"

# Downloads confined to the run directory.
rec 'hh.wait("hs1-x", {output = "../x.mp4"})'
is "$OUT" 'r.lua:1: hh.wait: "../x.mp4": must not contain '"'..'" "hh.wait refuses an output outside the run directory"
rec 'hh.wait({"hs1-x"}, {output = "/tmp/clip-{i}.mp4"})'
is "$OUT" 'r.lua:1: hh.wait: "/tmp/clip-1.mp4": must be relative to the run directory' "and an output template outside it"
rec 'hh.wait_all({"hs1-x"}, {output = "evil"})'
is "$OUT" 'r.lua:1: hh.wait_all: "evil": is a symlink' "hh.wait_all too"

start_sim --time-scale 0.001
hh_env
# Tasks made outside the recipe (a recipe pays only through its jobs).
run_hh generate --prompt "a heron"
heron=$OUT
run_hh generate --prompt "a crane"
crane=$OUT
run_hh generate --prompt "a stork"
stork=$OUT
rec "local r = assert(hh.wait('$heron', {output = 'clips/heron.mp4'}))
local rs = hh.wait({'$crane'}, {output = 'clips/{i}.mp4'})
local rf = hh.wait({'$stork'}, {output = function(task, i) return 'fn-' .. i .. '.mp4' end})
print(r.bytes > 0, rs[1].ok, rf[1].ok)"
is "$OUT" "true	true	true
returned nil" "an untrusted recipe downloads into the run directory"
ok "$(test -s "$SCRATCH/run/clips/heron.mp4" && test -s "$SCRATCH/run/clips/1.mp4" && test -s "$SCRATCH/run/fn-1.mp4"; echo $?)" "under the names it gave"
stop_sim
unset HH_BASE_URL HH_API_KEY HH_SETTINGS

# Loading.
printf '\033LuaT\000\031\223' > "$SCRATCH/bin.lua"
run_hh recipe.lua bin.lua "" run
is "$OUT" "bin.lua: attempt to load a binary chunk (mode is 't')" "a binary chunk is refused"
printf 'local x = 1\nlocal = 2\n' > "$SCRATCH/syntax.lua"
run_hh recipe.lua syntax.lua "" run
is "$OUT" "syntax.lua:2: <name> expected near '='" "a syntax error names file and line"
printf '#!/usr/bin/env hh\nreturn 1\n' > "$SCRATCH/shebang.lua"
run_hh recipe.lua shebang.lua "" run
is "$OUT" "returned 1" "a first line starting with # is skipped"

# Limits on a recipe, for callers who want them.
printf 'local n = 0\nwhile true do\n  pcall(function() while true do n = n + 1 end end)\nend\n' > "$SCRATCH/loop.lua"
run_hh -e '
local sandbox = require("hh.sandbox")
local hook, every, state = sandbox.limits_hook({ instructions = 100000 })
local env = sandbox.recipe_env({ run_dir = ".", limits = state })
local co = coroutine.create(assert(sandbox.load_recipe(arg[1], env)))
debug.sethook(co, hook, "", every)
local ok, err = coroutine.resume(co)
print(ok, (err:gsub("^.-:%d+: ", "")), state.stopped)' "$SCRATCH/loop.lua"
is "$OUT" "false	ran for more than 100000 instructions	ran for more than 100000 instructions" "sandbox.limits_hook stops a recipe; its pcall cannot swallow the stop"

# Trusted recipes.
rec 'note(type(io.open), type(os.execute), type(require), type(debug), type(hh.config))
helper = 1
return helper' trust
is "$OUT" "note	function	function	function	table	function
returned 1" "a trusted recipe has the full environment plus the api"
run_hh -e '
local sandbox = require("hh.sandbox")
local env = sandbox.recipe_env({ trust = true })
load("made_global = 1", "=t", "t", env)()
print(rawget(_G, "made_global"), env.made_global)'
is "$OUT" "nil	1" "a trusted recipe's globals stay in its environment"

# The string methods, for everyone once the sandbox is loaded.
run_hh -e '
require("hh.sandbox")
function string.shout(s) return s:upper() .. "!" end
print(("hey"):shout(), pcall(("x").rep, "x", 2^40))
print(type(string.dump), pcall(("x").dump, print))'
is "$OUT" "HEY!	false	string.rep: result would be 1099511627776 bytes, more than the 64 MiB allowed
function	false	string.dump is not available" "methods added to string still work; s:rep is capped and s:dump refused"

done_testing
