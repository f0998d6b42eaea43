#!/usr/bin/env bash
# Retry-After is honoured in every form the host may send: seconds, an HTTP
# date, retry-after-ms; zero and absent fall back to backoff; a huge value is
# replaced by backoff instead of stalling the run. The run's request-rate
# cap keeps a well-behaved client under the host's limit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"

SCRIPT='local t0 = hh.now()
for i = 1, 3 do assert(hh.generate{prompt = "r" .. i}) end
print(string.format("%.2f", hh.now() - t0))'

above() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

for fmt in seconds date ms; do
    start_sim --time-scale 0.001 --burst-length 2 --retry-after "$fmt" --fault rate-limit-burst=0.2 --seed 2
    hh_env "rate=0,backoff_base=0.01,backoff_cap=0.02,max_retry_after=5,max_retries=6"
    run_lua "$SCRIPT"
    n429=$(jqv "$(sim_stats)" '.requests.generate["429"] // 0')
    is "$RC" 0 "Retry-After as $fmt: the submissions went through"
    # Each 429 asked for at least one second (the sim says 1 s; a date rounds up).
    ok "$(above "$OUT" "$n429"; echo $?)" "Retry-After as $fmt: waited at least 1 s per 429 ($n429 429s in $OUT s)"
done

for fmt in zero none huge; do
    start_sim --time-scale 0.001 --burst-length 2 --retry-after "$fmt" --fault rate-limit-burst=0.2 --seed 2
    hh_env "rate=0,backoff_base=0.01,backoff_cap=0.02,max_retry_after=5,max_retries=6"
    run_lua "$SCRIPT"
    is "$RC" 0 "Retry-After $fmt: the submissions went through"
    ok "$(above 2 "$OUT"; echo $?)" "Retry-After $fmt: backoff, not a long wait ($OUT s)"
done

# The client-side rate cap: 20 status requests at 10 a second take about 2 s
# and the sim, limiting at 12 a second, never answers 429.
start_sim --time-scale 0.001 --rate 12 --rate-burst 2
hh_env "rate=10,rate_burst=1,backoff_base=0.01"
run_lua 'local t = assert(hh.generate{prompt = "x"})
local t0 = hh.now()
for i = 1, 19 do assert(hh.status(t)) end
print(string.format("%.2f", hh.now() - t0))'
is "$RC" 0 "20 requests under a 10/s cap"
ok "$(above "$OUT" 1.7; echo $?)" "were spread over about 2 s ($OUT s)"
is "$(jqv "$(sim_stats)" '.requests.status["429"] // 0')" 0 "and the host never had to say 429"
# A host that advertises its limit (RateLimit-Policy, as hh-sim does with
# --rate) needs no rate setting: hh takes it in place of the profile's
# default of one request a second; a rate the user set is kept.
start_sim --time-scale 0.001 --rate 40
hdr=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $SIM_KEY" "$SIM_URL/api/status?task_id=x" | tr -d '\r' | grep -i '^ratelimit-policy:')
is "$hdr" "RateLimit-Policy: 40;w=1" "hh-sim advertises its limit"
hh_env "poll_min_interval=0.002,poll_max_interval=0.05"
run_hh -e 'print(math.floor(hh.stats().rate)) local t = assert(hh.generate{prompt = "a fox", duration = 3}) print(math.floor(hh.stats().rate))'
is "$OUT" "1
40" "hh starts at the profile's rate and takes the host's once it answers"
hh_env "poll_min_interval=0.002,poll_max_interval=0.05,rate=3"
run_hh -e 'assert(hh.generate{prompt = "a fox", duration = 3}) print(math.floor(hh.stats().rate))'
is "$OUT" "3" "a rate the user set stays"
start_sim --time-scale 0.001
is "$(curl -s -D - -o /dev/null -H "Authorization: Bearer $SIM_KEY" "$SIM_URL/api/status?task_id=x" | grep -ci '^ratelimit-policy:')" 0 "without --rate, no limit is advertised"
hh_env "poll_min_interval=0.002,poll_max_interval=0.05"
run_hh -e 'assert(hh.generate{prompt = "a fox", duration = 3}) print(math.floor(hh.stats().rate))'
is "$OUT" "1" "and hh keeps its default"
done_testing
