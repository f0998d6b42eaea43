#!/usr/bin/env bash
# Jobs and errors: a plain coroutine.yield in a job lets the others run once;
# hh's waiting calls inside a coroutine of the script's own raise a clear
# error; Lua errors print file:line and a traceback; Ctrl-C stops new
# submissions but finishes what is paid for; exit codes as documented.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
start_sim --time-scale 0.001
hh_env

run_lua 'local order = {}
local a = hh.spawn(function() order[#order + 1] = "a1"; coroutine.yield("ignored"); order[#order + 1] = "a2" end)
local b = hh.spawn(function() order[#order + 1] = "b1"; coroutine.yield(); order[#order + 1] = "b2" end)
a:join(); b:join()
print(table.concat(order, " "))'
is "$OUT" "a1 b1 a2 b2" "coroutine.yield in a job lets the other jobs run, then continues"

run_lua 'local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
print(gen(), gen(), gen())'
is "$OUT" "1	2	3" "coroutines of the script's own work as in plain Lua"

run_lua 'local co = coroutine.wrap(function() return hh.sleep(0.01) end)
co()'
is "$RC" 1 "waiting inside a coroutine of the script's own is an error"
like "$ERR" "script.lua:1: hh.sleep: must run inside an hh job \(the script itself or a function given to hh.spawn\), not in a coroutine of your own" "that says where hh calls may wait"

run_lua 'table.sort({3, 1, 2}, function(a, b) hh.status("x") return a < b end)'
is "$RC" 1 "waiting inside a function called from C is an error"
like "$ERR" "hh.status: cannot wait inside a function called from C \(a table.sort comparator, a string.gsub callback\)" "that says so"

run_lua 'local x = nil
local function f() return x.field end
f()'
is "$RC" 1 "a Lua error: exit 1"
like "$ERR" "^hh: error: $SCRATCH/script.lua:2: attempt to index a nil value \(upvalue 'x'\)" "file:line: message"
like "$ERR" "script.lua:3: in main chunk" "and a traceback"

printf 'local = 1\n' > "$SCRATCH/syntax.lua"
run_hh "$SCRATCH/syntax.lua"
is "$RC" 1 "a syntax error: exit 1"
like "$ERR" "syntax.lua:1: <name> expected near '='" "with its position"
run_hh -e 'error("from the command line")'
is "$RC" 1 "hh -e with an error: exit 1"
like "$ERR" '^hh: error: \(command line\):1: from the command line' "names the command line"
run_hh -e 'print(arg[0], arg[1], ...)' one
is "$OUT" "-e	one	one" "hh -e passes arguments as arg and ..."
run_hh
is "$RC" 2 "no command: usage, exit 2"
run_hh generate --bogus
is "$RC" 2 "a bad option: exit 2"
is "$ERR" "hh: generate: unknown option --bogus (see hh help generate)" "naming the option"
run_hh generate --promt "a fox"
is "$RC:$ERR" "2:hh: generate: unknown option --promt (did you mean '--prompt'?) (see hh help generate)" "a mistyped option: did you mean"
run_hh plna x.yaml
is "$RC:$ERR" "2:hh: unknown command \"plna\" (did you mean 'plan'?) (see hh help)" "a mistyped command: did you mean"
run_hh xyzzy
is "$ERR" "hh: unknown command \"xyzzy\" (see hh help)" "nothing near: no guess"
run_hh wait
is "$ERR" "hh: wait: expected one TASK_ID (see hh help wait)" "a missing TASK_ID is a usage error"
for cmd in generate status wait version; do
    run_hh help "$cmd"
    like "$OUT" "^usage: hh $cmd" "hh help $cmd"
done
run_hh generate --help
like "$OUT" "^usage: hh generate" "--help on a command"

# Deadlock: a job that waits for itself can never end.
run_lua 'local j; j = hh.spawn(function() j:join() end); j:join()'
is "$RC" 1 "jobs waiting on each other end the run"
like "$ERR" "job\(s\) wait for each other and nothing can wake them" "with a clear error"

# Ctrl-C: the first stops new submissions and finishes what is paid for.
stop_sim
start_sim --time-scale 0.02
hh_env
cat > "$SCRATCH/ctrlc.lua" <<'LUA'
local t = assert(hh.generate{prompt = "paid for"})
io.stdout:write("submitted\n") io.stdout:flush()
local r = hh.wait(t, {output = arg[1]})
print(r and r.file ~= nil)
print(hh.generate{prompt = "after ctrl-c"})
LUA
"$HH" "$SCRATCH/ctrlc.lua" "$SCRATCH/paid.mp4" > "$SCRATCH/ctrlc.out" 2> "$SCRATCH/ctrlc.err" &
pid=$!
for i in $(seq 200); do grep -q submitted "$SCRATCH/ctrlc.out" && break; sleep 0.02; done
kill -INT $pid
wait $pid
is "$?" 130 "after Ctrl-C the run exits 130"
is "$(sed -n 2,3p "$SCRATCH/ctrlc.out")" "true
nil	not submitted: interrupted	interrupted" "the paid task was still waited for and downloaded; new submissions refused"
like "$(cat "$SCRATCH/ctrlc.err")" "hh: Ctrl-C: no new submissions; waiting up to 10 s for tasks about to finish, the others stay pending \(Ctrl-C again stops at once\)" "it says what it is doing"
is "$(ffprobe_field "$SCRATCH/paid.mp4" stream=codec_name)" h264 "the paid clip is on disk"

start_sim --time-scale 1
hh_env
"$HH" -e 'hh.generate{prompt = "long"} print("submitted") io.stdout:flush() hh.sleep(60)' > "$SCRATCH/c2.out" 2>/dev/null &
pid=$!
for i in $(seq 200); do grep -q submitted "$SCRATCH/c2.out" && break; sleep 0.02; done
kill -INT $pid; sleep 0.1; kill -INT $pid
wait $pid
is "$?" 130 "a second Ctrl-C exits at once with 130"
done_testing
