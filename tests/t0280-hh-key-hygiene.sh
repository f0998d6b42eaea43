#!/usr/bin/env bash
# The API key never appears in anything hh writes: stdout, stderr (even with
# HTTP tracing on and errors on every path), downloaded files; and it never
# reaches a download host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
start_sim --time-scale 0.001 --fault status-error=0.3 --fault download-truncate=0.3 --fault download-redirect-host=0.5 --credits 2000
hh_env
export HH_TRACE=1
all=$SCRATCH/all-output
: > "$all"
keep() { printf '%s\n%s\n' "$OUT" "$ERR" >> "$all"; }

run_hh generate --prompt "trace me" -o "$SCRATCH/a.mp4" --json; keep
like "$ERR" "hh: trace > Authorization: \[redacted\]" "the trace shows that a key was sent, not the key"
like "$ERR" "hh: trace > POST /api/generate" "the trace shows requests"
run_hh status hs1-nosuch; keep
run_lua 'for i = 1, 8 do local t, m = hh.generate{prompt = "p" .. i} if not t then print(m) end end'; keep
HH_API_KEY=$SIM_KEY-wrong run_hh generate --prompt x; keep
run_lua 'error(os.getenv("HH_API_KEY") and "the script itself may print what it likes" or "")'; keep
unset HH_TRACE
run_hh wait "$(jqv "$(sim_stats)" '.submissions[1].task_id')" -o "$SCRATCH/b.mp4"; keep

# The error above came from the script on purpose; everything else is hh's.
key_hits=$(grep -c -F "$SIM_KEY" "$all")
is "$key_hits" 0 "the key is in none of hh's output"
ok "$(grep -c -F "$SIM_KEY" "$SCRATCH"/*.mp4 >/dev/null; test $? -eq 1; echo $?)" "nor in the downloaded files"
stats=$(sim_stats)
is "$(jqv "$stats" .authorization_seen.download)" 0 "no download request carried Authorization"
ok "$(test "$(jqv "$stats" '[.requests.download[]] | add')" -gt 2; echo $?)" "(downloads did happen, with redirects and resumes)"
unlike "$stats" "$SIM_KEY" "the sim's ledger names keys by label only"
done_testing
