#!/usr/bin/env bash
# 200 concurrent jobs from one script: every task submitted once, waited,
# downloaded; results in order; spawn/join and map behave as documented.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
start_sim --time-scale 0.002 --palette 4
hh_env

run_lua '
hh.config{concurrency = 32}
local out = arg[1]
local list = {}
for i = 1, 200 do list[i] = {prompt = "clip " .. i, duration = 3 + i % 3} end
local results = hh.map(list, function(p, i)
  local t = assert(hh.generate(p))
  local r = assert(hh.wait(t, {output = out .. "/" .. i .. ".mp4"}))
  return r.task_id
end)
local seen, n = {}, 0
for i = 1, 200 do
  if results[i] and not seen[results[i]] then seen[results[i]] = true; n = n + 1 end
end
print(n, hh.stats().jobs)
' "$SCRATCH"
is "$RC" 0 "a script running 200 jobs at once succeeds"
is "$OUT" "200	1" "200 distinct tasks, results in order, only the main job left"
is "$(ls "$SCRATCH"/*.mp4 | wc -l)" 200 "200 files downloaded"
stats=$(sim_stats)
is "$(jqv "$stats" .accepted)" 200 "the sim billed exactly 200 submissions"
is "$(jqv "$stats" '[.submissions[].body_sha256] | unique | length')" 200 "each a different body"
is "$(jqv "$stats" '[.submissions[].idempotency_key] | unique | length')" 200 "each with its own Idempotency-Key"
is "$(jqv "$stats" '.authorization_seen.download')" 0 "no download carried the key"
is "$(ls "$SCRATCH"/*.part 2>/dev/null | wc -l)" 0 "no .part files left"

# hh.wait on a list; spawn/join; map with an error.
run_lua '
local ts = {}
for i = 1, 5 do ts[i] = hh.generate{prompt = "list " .. i} end
local rs, failures = hh.wait(ts)
print(#rs, failures, rs[3].task_id == ts[3].id, rs[5].ok)
local j = hh.spawn(function(a, b) hh.sleep(0.01) return a + b, "x" end, 1, 2)
print(j:join())
local bad = hh.spawn(function() error("boom") end)
bad.quiet = true
local ok, err = bad:join()
print(ok, (err:match("boom")))
local res, errs = hh.map({1, 2, 3}, function(x) if x == 2 then error("two") end return x * 10 end)
print(res[1], res[2], res[3], errs[2] ~= nil and errs[2]:match("two"))
'
is "$RC" 1 "a job that raised makes the script exit 1"
is "$OUT" "5	0	true	true
true	3	x
false	boom
10	nil	30	two" "wait(list), spawn/join and map return what they document"
done_testing
