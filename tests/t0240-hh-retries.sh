#!/usr/bin/env bash
# Every retryable fault is retried until the jobs finish: status errors,
# malformed answers, early 404s, unknown status words, slow answers past the
# request timeout, 429 bursts, truncated, stalled, corrupt and redirected
# downloads, ignored Range. The ledger shows each job billed once and each
# file is a whole, valid video.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"

SCRIPT='
hh.config{concurrency = 8}
local out, n = arg[1], tonumber(arg[2])
local list = {}
for i = 1, n do list[i] = i end
local got = 0
local results = hh.map(list, function(i)
  local t, msg = hh.generate{prompt = "retry " .. i, duration = 3}
  if not t then io.stderr:write(msg, "\n") return end
  local r, werr = hh.wait(t, {output = out .. "/" .. i .. ".mp4"})
  if not r then io.stderr:write(werr, "\n") return end
  got = got + 1
end)
print(got)
'

# retry_case NAME JOBS SIM-FLAGS...: runs JOBS jobs under the faults.
retry_case() {
    local name=$1 n=$2
    shift 2
    rm -rf "$SCRATCH/out" && mkdir -p "$SCRATCH/out"
    start_sim --time-scale 0.001 --palette 2 --seed 11 "$@"
    hh_env "${SETTINGS:-poll_min_interval=0.002,poll_max_interval=0.05,rate=0,backoff_base=0.01,backoff_cap=0.05,max_retry_after=5}"
    run_lua "$SCRIPT" "$SCRATCH/out" "$n"
    is "$OUT" "$n" "$name: all $n jobs finished and downloaded"
    [ "$OUT" = "$n" ] || diag "$ERR"
    STATS=$(sim_stats)
    is "$(jqv "$STATS" .accepted)" "$n" "$name: $n submissions billed, none twice"
    local bad=0 f
    for f in "$SCRATCH"/out/*.mp4; do
        [ "$(ffprobe_field "$f" format=duration | cut -d. -f1)" = 3 ] || bad=$((bad + 1))
    done
    is "$bad" 0 "$name: every file is a whole 3 s video"
}

status_count() { jqv "$STATS" "[.requests.$1 | to_entries[] | select(.key | test(\"$2\")) | .value] | add // 0"; }
positive() { ok "$(test "${1:-0}" -gt 0; echo $?)" "$2"; }

retry_case "status 5xx" 10 --fault status-error=0.5
positive "$(status_count status '^5')" "status 5xx: the sim did answer 5xx"
retry_case "malformed status" 10 --fault status-malformed=0.5
retry_case "early 404" 10 --fault status-early-404=1 --time-scale 0.01
positive "$(status_count status '^404$')" "early 404: the sim did answer 404"
retry_case "unknown status word" 6 --fault status-unknown-word=1 --time-scale 0.003
like "$ERR" 'unknown status "QUEUED" from the host; treating it as still running' "unknown status word: warned about once"
retry_case "COMPLETED" 6 --fault status-completed-word=1
retry_case "429 bursts" 10 --fault rate-limit-burst=0.3 --burst-length 2 --retry-after ms
positive "$(status_count status '^429$')$(status_count generate '^429$')" "429 bursts: the sim did answer 429"
# A submission that times out is an unknown outcome: only a host that honours
# Idempotency-Key lets hh send it again (the sim does).
IDEMPOTENT=poll_min_interval=0.002,poll_max_interval=0.05,rate=0,backoff_base=0.01,backoff_cap=0.05,idempotent_host=true
SETTINGS=$IDEMPOTENT,request_timeout=0.5 \
    retry_case "slow answers" 6 --fault slow-headers=0.3 --slow-seconds 1.5
retry_case "truncated downloads" 8 --fault download-truncate=0.5
positive "$(jqv "$STATS" '[.headers.download.range] | add // 0')" "truncated downloads: resumed with Range"
retry_case "truncated, Range ignored" 8 --fault download-truncate=0.5 --fault download-ignore-range=0.5
# A corrupt download is fetched again, three times at most (seed 5 never
# corrupts one task three times in a row; the next case always does).
retry_case "corrupt downloads" 8 --fault download-corrupt=0.3 --seed 5
retry_case "redirect to another host" 4 --fault download-redirect-host=1
retry_case "longer than declared" 4 --fault download-longer=1
SETTINGS=poll_min_interval=0.002,poll_max_interval=0.05,rate=0,backoff_base=0.01,backoff_cap=0.05,stall_timeout=1 \
    retry_case "stalled downloads" 3 --fault download-stall=0.5 --stall-seconds 3
SETTINGS=$IDEMPOTENT retry_case "reused connections dropped" 10 --fault reuse-drop=0.3 --time-scale 0.002

# Downloads that cannot succeed fail clearly.
start_sim --time-scale 0.001 --fault download-redirect-scheme=1
hh_env
run_lua 'local r, msg, class = hh.wait(hh.generate{prompt = "x"}, {output = arg[1]}) print(r, class) io.stderr:write(msg)' "$SCRATCH/x.mp4"
is "$OUT" "nil	bad_url" "a redirect to ftp:// is refused"
like "$ERR" "redirect refused: the ftp scheme is not allowed" "and says why"
start_sim --time-scale 0.001 --fault download-redirect-loop=1
hh_env
run_lua 'local r, msg, class = hh.wait(hh.generate{prompt = "x"}, {output = arg[1]}) print(r, class) io.stderr:write(msg)' "$SCRATCH/x.mp4"
is "$OUT" "nil	download" "a redirect loop ends"
like "$ERR" "too many redirects" "and says why"
start_sim --time-scale 0.001 --fault download-corrupt=1
hh_env
run_lua 'local r, msg, class = hh.wait(hh.generate{prompt = "x"}, {output = arg[1]}) print(r, class) io.stderr:write(msg)' "$SCRATCH/x.mp4"
is "$OUT" "nil	bad_file" "a download that is never a video fails"
like "$ERR" "the downloaded file is not a video \(bad header\)" "and says why"
is "$(jqv "$(sim_stats)" '.requests.download["200"]')" 18 "after three tries of each of six URLs (the first and five fresh ones)"
ok "$(test ! -e "$SCRATCH/x.mp4"; echo $?)" "and no file is left under the final name"
start_sim --time-scale 0.001 --fault success-bad-url=1
hh_env
run_lua 'local r, msg, class = hh.wait(hh.generate{prompt = "x"}) print(r, class, msg)'
is "$OUT" "nil	bad_url	result URL refused: the ftp scheme is not allowed (only https, or http to loopback)" "a non-http result URL is refused"
start_sim --time-scale 0.001 --fault success-no-url=1
hh_env
run_lua 'local r, msg, class = hh.wait(hh.generate{prompt = "x"}) print(r, class, msg)'
is "$OUT" "nil	no_url	the task succeeded but the host gave no result URL" "success without a URL is reported"
start_sim --time-scale 0.001 --fault task-policy=1
hh_env
run_lua 'local r, msg, class, res = hh.wait(hh.generate{prompt = "x"}) print(r, class, res.failure_class) print(msg)'
like "$OUT" "^nil	failed	policy
task hs1-[0-9a-f]+ failed: prompt rejected by content policy$" "a FAILED task: nil, its message, \"failed\", and a failure class"
done_testing
