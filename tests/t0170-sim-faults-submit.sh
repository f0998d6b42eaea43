#!/usr/bin/env bash
# hh-sim's submission faults, each at rate 1 in its own sim: what the client
# sees and what the ledger billed. Then determinism: the same --seed faults
# the same submissions and hands out the same task ids; another seed differs.
. "$(dirname "$0")/lib.sh"
JOB="{$GEN,\"prompt\":\"faulty\",\"duration\":3}"

# post_raw: POST JOB; sets CURL_RC, CODE and leaves the body in $SCRATCH/b.
post_raw() {
    CURL_RC=0
    CODE=$(curl -s -o "$SCRATCH/b" -w '%{http_code}' -H "Authorization: Bearer $SIM_KEY" \
        -H 'Content-Type: application/json' --data-binary "$JOB" "$@" "$SIM_URL/api/generate") || CURL_RC=$?
}

# ledger ACCEPTED CHARGED ANSWERED FAULT WHAT. "answered" means the answer
# carrying the task id reached the client; a garbled one does not count.
ledger() {
    local stats
    stats=$(sim_stats)
    is "$(jqv "$stats" '[.accepted, .credits.charged, .answered] | map(tostring) | join(" ")')" "$1 $2 $3" \
        "$5: accepted $1, charged $2, answered $3"
    if [ "$1" -gt 0 ]; then
        is "$(jqv "$stats" '.submissions[0].fault')" "$4" "$5: the ledger names the fault"
        is "$(jqv "$stats" '.submissions[0].answered')" false "$5: the submission is not answered"
    fi
}

start_sim --time-scale 0.001 --fault submit-error-before=1
post_raw
like "$CODE" '^50[023]$' "submit-error-before: 500, 502 or 503 ($CODE)"
is "$(jq -r .error.message "$SCRATCH/b")" "the server could not take the request; nothing was charged" "submit-error-before: message"
is "$(jq -r .error.code "$SCRATCH/b")" server_error "submit-error-before: error code"
ledger 0 0 0 "" "submit-error-before"
codes=
for _ in $(seq 12); do post_raw; codes="$codes $CODE"; done
like "$codes" '500' "submit-error-before: 500 among the codes ($codes)"
like "$codes" '502' "submit-error-before: 502 among the codes"
like "$codes" '503' "submit-error-before: 503 among the codes"

start_sim --time-scale 0.001 --fault submit-error-after=1
post_raw
like "$CODE" '^50[023]$' "submit-error-after: 500, 502 or 503 ($CODE)"
is "$(jq -r .error.message "$SCRATCH/b")" "the server failed while answering" "submit-error-after: message"
is "$(jq -r '.data.task_id // "none"' "$SCRATCH/b")" none "submit-error-after: no task id"
ledger 1 180 0 submit-error-after "submit-error-after"

start_sim --time-scale 0.001 --fault submit-drop-before=1
post_raw
is "$CURL_RC" 52 "submit-drop-before: curl sees an empty reply (exit 52)"
is "$CODE" 000 "submit-drop-before: no status code"
ledger 0 0 0 "" "submit-drop-before"
is "$(jqv "$(sim_stats)" '.requests.generate.dropped')" 1 "submit-drop-before: counted as dropped"

start_sim --time-scale 0.001 --fault submit-drop-after=1
post_raw
is "$CURL_RC" 52 "submit-drop-after: curl sees an empty reply (exit 52)"
ledger 1 180 0 submit-drop-after "submit-drop-after"
is "$(jqv "$(sim_stats)" '.requests.generate.dropped')" 1 "submit-drop-after: counted as dropped"
id=$(jqv "$(sim_stats)" '.submissions[0].task_id')
wait_done "$id"
is "$STATUS" SUCCESS "submit-drop-after: the unseen task still renders"

start_sim --time-scale 0.001 --fault submit-malformed=1
post_raw
is "$CODE" 200 "submit-malformed: 200"
jq . "$SCRATCH/b" > /dev/null 2>&1
ok $((! $?)) "submit-malformed: the body is not JSON"
like "$(cat "$SCRATCH/b")" '^<html>' "submit-malformed: an HTML page"
ledger 1 180 0 submit-malformed "submit-malformed"

start_sim --time-scale 0.001 --fault submit-truncated=1
post_raw
is "$CODE" 200 "submit-truncated: 200"
jq . "$SCRATCH/b" > /dev/null 2>&1
ok $((! $?)) "submit-truncated: the body is not parseable JSON"
like "$(cat "$SCRATCH/b")" '^\{"code":200' "submit-truncated: it starts like an answer"
ledger 1 180 0 submit-truncated "submit-truncated"

start_sim --time-scale 0.001 --fault submit-no-task-id=1
post_raw
is "$CODE" 200 "submit-no-task-id: 200"
is "$(jq -r '.data | has("task_id")' "$SCRATCH/b")" false "submit-no-task-id: JSON without data.task_id"
is "$(jq -r .data.status "$SCRATCH/b")" IN_PROGRESS "submit-no-task-id: otherwise a normal answer"
ledger 1 180 0 submit-no-task-id "submit-no-task-id"

# A validation error comes before any fault: nothing is billed for a 400.
start_sim --time-scale 0.001 --fault submit-error-after=1
JOB='{"prompt":"no model"}' post_raw
is "$CODE" 400 "a bad request is a 400 even under submit-error-after"
ledger 0 0 0 "" "400 under a fault"

# Determinism: a run of submissions under a seed and faults at 0.5.
# run_seed SEED: sets RUN to "curl-exit/code" a submission, then the task ids.
run_seed() {
    start_sim --time-scale 0.001 --seed "$1" --fault submit-error-before=0.5 --fault submit-drop-after=0.3
    local out=
    for n in $(seq 16); do
        JOB="{$GEN,\"prompt\":\"seeded $n\",\"duration\":3}" post_raw
        out="$out $CURL_RC/$CODE"
    done
    RUN="$out | $(jqv "$(sim_stats)" '[.submissions[].task_id] | join(" ")')"
}
run_seed 42; a=$RUN
run_seed 42; b=$RUN
run_seed 43; c=$RUN
diag "seed 42: $a"
diag "seed 43: $c"
is "$b" "$a" "the same --seed faults the same submissions and gives the same task ids"
like "$a" ' 0/50[023]' "seed 42 has 5xx faults"
like "$a" ' 52/000' "seed 42 has dropped answers"
like "$a" ' 0/200' "seed 42 has clean answers"
[ "${a%% |*}" != "${c%% |*}" ]
ok $? "another seed faults other submissions"
[ "${a#*| }" != "${c#*| }" ]
ok $? "another seed gives other task ids"
done_testing
