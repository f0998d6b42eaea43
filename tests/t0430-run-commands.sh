#!/usr/bin/env bash
# Run directories from the outside: hh runs, hh show, hh export (CSV and
# JSON lines), --fresh, and a download URL that expired while queued being
# refreshed through a new status request.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"
start_sim --time-scale 0.002 --palette 2
hh_env
cat > r.yaml <<'Y'
name: tiny
prompt: "a {n}"
sweep:
  n: [1, 2, 3]
output: "{n}.mp4"
Y
mkdir -p runs
run_hh run r.yaml -q
is "$RC" 0 "hh run with the default run directory"
ok "$(test -s runs/tiny/journal.db; echo $?)" "it is runs/NAME"
run_hh runs
like "$OUT" "runs/tiny +3 +3 +0 +0 +0 +900" "hh runs lists it with counts and credits"
run_hh show runs/tiny --json
is "$(jqv "$OUT" '.states.done')" 3 "hh show --json: counts by state"
is "$(jqv "$OUT" '.credits.spent')" 900 "and credits spent"
run_hh export runs/tiny --csv
is "$(printf '%s\n' "$OUT" | head -n 1 | cut -d, -f1-6)" "id,cell,variant,sample,state,class" "hh export --csv: a header"
is "$(printf '%s\n' "$OUT" | wc -l)" 4 "and a row a job"
csv=$OUT
is "$(printf '%s\n' "$csv" | head -n 1 | tr ',' '\n' | grep -E '^(param|value)\.' | tr '\n' ' ')" "param.prompt value.n " \
    "one flat column a request field (param.NAME) and a cell value (value.NAME), no JSON blobs"
col() { printf '%s\n' "$csv" | head -n 1 | tr ',' '\n' | grep -n "^$1\$" | cut -d: -f1; }
is "$(printf '%s\n' "$csv" | sed -n 2p | cut -d, -f"$(col param.prompt),$(col value.n)")" "a 1,1" "a row's values: its prompt and its n (1, not 1.0)"
run_hh export runs/tiny --jsonl
is "$(printf '%s\n' "$OUT" | jq -s 'map(.sha256 | length) | unique | .[0]')" 64 "hh export --jsonl: every job with its sha256"
run_hh show nowhere
is "$RC" 2 "hh show of a directory that is not a run"
is "$ERR" "hh: nowhere: not a run directory (no journal.db)" "says so"

run_hh run r.yaml -q
is "$(jqv "$(sim_stats)" .accepted)" 3 "a second run pays nothing"
run_hh run r.yaml -q --fresh
is "$(jqv "$(sim_stats)" .accepted)" 6 "--fresh generates every job again"

# URLs that expire before their download starts (the status answer that
# carried them trickled in slower than they live).
start_sim --time-scale 0.002 --palette 2 --url-ttl 0.2 --fault slow-body=0.3 --slow-seconds 0.4 --seed 5
hh_env
run_hh run r.yaml -q --out expiring
is "$RC" 0 "downloads whose URLs expired before they started still complete"
diag "expired URLs answered: $(jqv "$(sim_stats)" '.requests.download["403"] // 0')"
is "$(jq -s '[.[] | select(.state == "done")] | length' expiring/manifest.jsonl)" 3 "all three files are there"

# URLs that are always expired: each refresh is a new status request, five at most.
start_sim --time-scale 0.001 --url-ttl 0
hh_env
run_lua 'local r, msg, class = hh.wait(hh.generate{prompt = "x"}, {output = arg[1]}) print(r, class) io.stderr:write(msg)' "$SCRATCH/never.mp4"
is "$OUT" "nil	download" "a URL that is always expired: the download fails"
like "$ERR" "the download host answered HTTP 403" "saying what the host said"
is "$(jqv "$(sim_stats)" '.requests.download["403"]')" 6 "after the first try and five refreshes"
ok "$(test "$(jqv "$(sim_stats)" '.requests.status["200"]')" -ge 6; echo $?)" "each refresh a new status request"
done_testing
