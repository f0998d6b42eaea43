#!/usr/bin/env bash
# A stranger's recipe cannot hang or exhaust hh: a Lua recipe's code (its
# chunk in check, plan and run, its after() in run) runs under a native
# instruction budget and memory cap that its pcall, coroutines and single C
# calls cannot escape, and stops at once on Ctrl-C; YAML expressions cannot
# backtrack or allocate their way past their limits; an untrusted Lua recipe
# has its run directory for files and downloads.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"

# run_for SECONDS ARGS...: hh that cannot hang the suite (RC 124 when it had to be stopped).
run_for() {
    local limit=$1
    shift
    OUT=$(timeout -s KILL "$limit" "$HH" "$@" 2>"$SCRATCH/hh.err")
    RC=$?
    [ "$RC" -eq 137 ] && RC=124
    ERR=$(cat "$SCRATCH/hh.err")
}
lua_recipe() { # lua_recipe FILE LUA-LINES...: a recipe{} and then the lines
    local f=$1
    shift
    { echo 'recipe{prompt = "a fox", output = "fox.mp4"}'; printf '%s\n' "$@"; } > "$f"
}

# 1. The chunk of a Lua recipe: busy loops, caught stops, coroutines, memory.
lua_recipe busy.lua 'while true do end'
run_for 60 check busy.lua
is "$RC" 2 "hh check of a busy recipe ends"
is "$ERR" "busy.lua:2: ran for more than 500000000 instructions
hh: busy.lua: 1 problem; nothing was sent" "stopped by the instruction limit, at its line"
run_for 60 plan busy.lua
is "$RC" 2 "hh plan too"
# The rest with a smaller budget (a setting only the user makes).
export HH_SETTINGS=recipe_instructions=20000000
lua_recipe caught.lua 'for i = 1, 1e9 do pcall(function() while true do end end) end'
run_for 60 check caught.lua
like "$ERR" "^caught.lua:2: ran for more than 20000000 instructions" "its pcall cannot swallow the stop"
lua_recipe co.lua 'local co = coroutine.create(function() while true do end end)' 'coroutine.resume(co)' 'while true do end'
run_for 60 check co.lua
like "$ERR" "^co.lua:[234]: ran for more than 20000000 instructions" "its coroutines are counted too"
lua_recipe double.lua 'local s = "x"' 'for i = 1, 40 do s = s .. s end'
run_for 60 check double.lua
is "$(printf '%s' "$ERR" | head -n 1)" "double.lua: used more than 256 MiB of memory" "a doubling string stops at the memory cap"
lua_recipe gsub.lua 'local s = ("x"):rep(1000000)' 's = s:gsub(".", "%0%0%0%0%0%0%0%0%0%0%0%0%0%0%0%0")' 's = s:gsub(".", "%0%0%0%0%0%0%0%0%0%0%0%0%0%0%0%0")'
run_for 60 check gsub.lua
is "$(printf '%s' "$ERR" | head -n 1)" "gsub.lua: used more than 256 MiB of memory" "one gsub cannot pass the cap inside its C call"
lua_recipe tables.lua 'local t = {}' 'for i = 1, 1e9 do t[i] = {i} end'
run_for 60 check tables.lua
is "$(printf '%s' "$ERR" | head -n 1)" "tables.lua: used more than 256 MiB of memory" "nor a growing table"
lua_recipe reps.lua 'local t = {}' 'for i = 1, 1e9 do t[i] = string.rep("x", 1000) .. i end'
run_for 60 check reps.lua
is "$(printf '%s' "$ERR" | head -n 1)" "reps.lua:3: used more than 256 MiB of memory" \
    "a stop inside the library's string.rep names the recipe's line, not the library's"
lua_recipe find.lua 'string.find(string.rep("a", 60), string.rep("a-", 25) .. "b")'
run_for 60 check find.lua
is "$(printf '%s' "$ERR" | head -n 1)" "find.lua:2: string.find: the pattern has 25 repeated items: on a 60-byte subject it could backtrack for too long (simplify it, or shorten the subject)" "a backtracking pattern is refused before it runs"
lua_recipe method.lua 'local s = ("x"):rep(100000)' 's:find("x*x*x*y")'
run_for 60 check method.lua
like "$ERR" "^method.lua:3: string.find: the pattern has 3 repeated items" "string methods too"
lua_recipe fine.lua 'local s = ("a b  c"):gsub("%s+", " ")' 'assert(s == "a b c")'
run_for 60 check fine.lua
is "$RC" 0 "ordinary patterns work"
run_for 3 check busy.lua --trust
is "$RC" 124 "--trust lifts the limits (the busy loop runs until stopped)"

# Ctrl-C and SIGTERM stop a busy recipe at once.
for sig in INT TERM; do
    HH_SETTINGS=recipe_instructions=1e12 timeout -s KILL 30 "$HH" check busy.lua > /dev/null 2>&1 &
    pid=$!
    sleep 0.3
    t0=$(now_ms)
    kill -"$sig" $pid
    wait $pid
    rc=$?
    t1=$(now_ms)
    is "$rc" "$([ $sig = INT ] && echo 130 || echo 143)" "SIG$sig ends hh check of a busy recipe"
    ok "$(test $((t1 - t0)) -lt 5000; echo $?)" "at once ($((t1 - t0)) ms)"
done

# 2. YAML expressions are data: no call may hang or exhaust hh.
yaml_expr() { # yaml_expr FILE EXPRESSION
    printf 'prompt: "x {n}"\nsweep:\n  n: [1, 2]\ninclude:\n  - %s\n' "$2" > "$1"
}
yaml_expr find.yaml "'string.find(string.rep(\"a\", 60), string.rep(\"a-\", 25) .. \"b\")'"
run_for 60 check find.yaml
is "$(printf '%s' "$ERR" | head -n 1)" "find.yaml:5:5: include[0]: string.find: the pattern has 25 repeated items: on a 60-byte subject it could backtrack for too long (simplify it, or shorten the subject)" "a backtracking include: refused with its rule"
yaml_expr gsub.yaml "'#((\"x\"):rep(1000000):gsub(\".\", \"%0%0%0%0%0%0%0%0%0%0%0%0%0%0%0%0\"):gsub(\".\", \"%0%0%0%0%0%0%0%0%0%0%0%0%0%0%0%0\")) > 0'"
run_for 60 check gsub.yaml
is "$(printf '%s' "$ERR" | head -n 1)" "gsub.yaml:5:5: include[0]: used more than 64 MiB of memory" "a gsub bomb stops at the expression's 64 MiB"
yaml_expr loop.yaml "'(function() while true do end end)()'"
run_for 60 check loop.yaml
is "$(printf '%s' "$ERR" | head -n 1)" "loop.yaml:5:5: include[0]: ran for more than 1000000 instructions" "a loop stops at the expression's instruction limit"

# after(): limited, and its errors end it with a message, not the run.
start_sim --time-scale 0.002 --palette 2
hh_env "poll_min_interval=0.002,poll_max_interval=0.05,rate=0,recipe_instructions=20000000"
cat > after.lua <<'L'
recipe {
  prompt = "a fox", output = "fox.mp4", after_credits = 0,
  after = function(results, run) while true do end end,
}
L
run_for 120 run after.lua --out a1 -q
like "$ERR" "hh: error in after\(\): after.lua:3: ran for more than 20000000 instructions" "a busy after() is stopped by the instruction limit"
ok "$(test -s a1/manifest.jsonl; echo $?)" "and the run still writes its manifest"
HH_SETTINGS=$HH_SETTINGS,recipe_instructions=1e12 timeout -s KILL 60 "$HH" run after.lua --out a2 -q > /dev/null 2> a2.err &
pid=$!
for i in $(seq 500); do [ -s a2/fox.mp4 ] && break; sleep 0.02; done
sleep 0.3
kill -INT $pid
wait $pid
is "$?" 130 "Ctrl-C stops a busy after() and the run exits 130"
like "$(cat a2.err)" "error in after\(\): after.lua:3: interrupted" "saying it was interrupted"

# 7. An untrusted Lua recipe has its run directory: files and downloads.
cat > files.lua <<'L'
recipe {
  prompt = "a fox", output = "fox.mp4", after_credits = 600,
  after = function(results, run)
    assert(files.write("notes/best.txt", results[1].file))
    assert(hh.wait(results[1].task_id, {output = "extra/second.mp4"}))
    local more = run({ { prompt = "a third fox", output = "third.mp4" } })
    assert(more[1].state == "done", more[1].error)
    run({ { prompt = "an escaping fox", output = "../escape.mp4" } })
  end,
}
L
run_for 120 run files.lua --out f1 -q
is "$(cat f1/notes/best.txt 2>/dev/null)" "fox.mp4" "files.write works in after()"
ok "$(test -s f1/extra/second.mp4 && test -s f1/third.mp4; echo $?)" "hh.wait{output} and run() download into the run directory"
like "$ERR" "error in after\(\): files.lua:8: run: entry 2: output \"../escape.mp4\": must not contain '..'" "run() with an escaping output name fails with a message"
ok "$(test ! -e escape.mp4; echo $?)" "and writes nothing outside"
run_for 60 check files.lua
is "$RC" 0 "hh check of it is fine (after() does not run there)"
lua_recipe early.lua 'files.write("x.txt", "x")'
run_for 60 check early.lua
like "$ERR" "early.lua:2: files.write: no run directory \(hh check and hh plan run no jobs; hh run has one\)" "files at check time say why there is no run directory"
# 9. What a recipe pays for is planned and bounded: an untrusted recipe
# cannot pay outside its jobs (no hh.generate), after() declares what its
# jobs may cost (after_credits, counted in the plan and held to by run()) or
# the budget bounds it; a recipe with neither is refused.
start_sim --time-scale 0.002 --palette 2
hh_env "poll_min_interval=0.002,poll_max_interval=0.05,rate=0"
cat > spend.lua <<'L'
recipe {
  prompt = "a fox", output = "fox.mp4", budget = 300,
  after = function(results, run)
    for i = 1, 5 do hh.wait(hh.generate{prompt = "extra fox " .. i}) end
  end,
}
L
run_for 120 run spend.lua --out sp -q
like "$ERR" "error in after\(\): spend.lua:4: hh.generate is not available to a recipe: make jobs with run\(list\) in after\(\), within the budget and the journal \(--trust lifts this, for your own recipes\)" \
    "an untrusted after() cannot call hh.generate"
is "$(jqv "$(sim_stats)" .accepted)" 1 "and pays for nothing but its one job"
cat > refine.lua <<'L'
recipe {
  prompt = "a fox, {look}", output = "{look}.mp4", duration = 4, sweep = { look = { "a", "b", "c", "d" } },
  after_credits = 480,
  after = function(results, run)
    run({ { prompt = "closer" }, { prompt = "from above" } })
    run({ { prompt = "one too many" } })
  end,
}
L
run_for 60 plan refine.lua
like "$OUT" "refine.lua: 4 jobs \(4 cells x 1 samples x 1 variants\); 960 credits, up to 1440 with reruns and after\(\) \(after_credits 480\)$" \
    "hh plan counts after_credits in the worst case"
run_for 60 plan refine.lua --json
is "$(jqv "$OUT" '.credits.worst'):$(jqv "$OUT" '.credits.after')" "1440:480" "and so does hh plan --json"
run_for 120 run refine.lua --out rf -q
like "$ERR" "error in after\(\): refine.lua:6: run: 1 job\(s\) costing up to 240 credits \(with reruns\) would pass after_credits = 480 \(480 already asked for\); nothing was sent" \
    "run() past after_credits is refused"
is "$(jqv "$(sim_stats)" .accepted)" 7 "the four jobs and the two after_credits allow are paid, no more (and spend.lua's one)"
sed 's/after_credits = 480,/after_credits = 480, budget = 1200,/' refine.lua > tight.lua
run_for 60 check tight.lua
is "$ERR" "tight.lua:1: budget: the worst case is 1440 credits (960 without reruns, 480 of them after_credits), above the budget of 1200
hh: tight.lua: 1 problem; nothing was sent" "the budget check counts after_credits"
sed '/after_credits = 480,/d' refine.lua > unbounded.lua
run_for 60 check unbounded.lua
like "$ERR" "^unbounded.lua:1: after: nothing bounds what its jobs may cost: declare after_credits \(the most they may cost, counted in the plan\) or a budget" \
    "an after() with neither after_credits nor a budget is refused"
sed 's/after_credits = 480,/budget = 3000,/' refine.lua > budgeted.lua
run_for 60 check budgeted.lua
like "$OUT" "960 credits, up to 960 with reruns, plus what after\(\) makes \(not declared: the budget bounds it\) \(budget 3000\)" \
    "with a budget only, hh check says the plan leaves after() out"
printf 'recipe{prompt = "a fox", after_credits = 10}\n' > lonely.lua
run_for 60 check lonely.lua
like "$ERR" "lonely.lua:1: after_credits: goes with after \(a function\)" "after_credits without after()"
stop_sim

# 8. Size: a few lines of YAML cannot make hh hold more jobs than it can
# (aliases repeat an axis for almost nothing; found by fuzzing).
printf 'prompt: "x {a} {b}"\nsamples: 1000\ncompare: {p: "{prompt}", q: "{prompt}!"}\nsweep:\n  a: &x [%s]\n  b: *x\n' \
    "$(seq -s, 0 99)" > many.yaml
run_for 60 check many.yaml
is "$ERR" "many.yaml:1:1: the recipe makes 20000000 jobs (10000 cells x 1000 samples x 2 variants); at most 1000000
hh: many.yaml: 1 problem; nothing was sent" "cells x samples x variants past a million is refused before a job is made"
{ printf 'prompt: x\nsweep:\n  a0: &x [%s]\n' "$(seq -s, 0 15)"; for i in $(seq 15); do printf '  a%d: *x\n' "$i"; done; } > wrap.yaml
run_for 60 check wrap.yaml
is "$ERR" "wrap.yaml:3:7: sweep: the grid has 1.84e+19 cells; at most 1000000
hh: wrap.yaml: 1 problem; nothing was sent" "sixteen axes of sixteen values are 2^64 cells, not one"
done_testing
