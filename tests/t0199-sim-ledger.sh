#!/usr/bin/env bash
# The /_sim/stats ledger, field by field: requests by endpoint and status,
# headers seen (lower-case names), Authorization seen per endpoint, every
# accepted submission (key label, body hash, idempotency key, answered,
# credits, charged, fault, mode, duration, sound) and the credit totals per
# key. The key itself appears nowhere. (Refunds, consumed_credits and the
# served files' sha256: t0198.)
. "$(dirname "$0")/lib.sh"
OTHER=sk-other-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
printf '%s 5000\n' "$OTHER" > "$SCRATCH/keys"
start_sim --time-scale 0.001 --credits 100000 --key-file "$SCRATCH/keys"

stats=$(sim_stats)
is "$(jqv "$stats" 'keys_unsorted | join(" ")')" "requests headers authorization_seen submissions accepted answered credits" \
    "top-level fields"
is "$(jqv "$stats" '.requests | keys_unsorted | join(" ")')" "generate status download sim other" "requests by endpoint"
is "$(jqv "$stats" '[.requests[] | length] | add')" 0 "a fresh sim has counted nothing (the stats call counts once answered)"
is "$(jqv "$stats" '[.accepted, .answered, .credits.charged] | map(tostring) | join(" ")')" "0 0 0" "nothing accepted, answered or charged"
is "$(jqv "$stats" '.submissions')" "[]" "no submissions"
is "$(jqc "$stats" '.credits.keys' | tr -d ' \n')" '{"key1":{"balance":100000,"charged":0,"accepted":0},"key2":{"balance":5000,"charged":0,"accepted":0}}' \
    "per-key balance, charged, accepted"

# A known mix of requests.
printf '{%s,\n "prompt": "ledger \\u00e9 ✓", "mode": "pro", "duration": 4, "sound": false}\n' "$GEN" > "$SCRATCH/body1"
curl -s -o /dev/null -H "Authorization: Bearer $SIM_KEY" -H 'Idempotency-Key: led-1' -H 'X-Trace-Thing: 7' \
    --data-binary @"$SCRATCH/body1" "$SIM_URL/api/generate"
id1=$(jqv "$(sim_stats)" '.submissions[0].task_id')
body2="{$GEN,\"prompt\":\"second\",\"duration\":3}"
curl -s -o /dev/null -H "Authorization: Bearer $OTHER" --data-binary "$body2" "$SIM_URL/api/generate"
curl -s -o /dev/null --data-binary "$body2" "$SIM_URL/api/generate"                              # 401
curl -s -o /dev/null -H "Authorization: Bearer $SIM_KEY" --data-binary '{}' "$SIM_URL/api/generate"   # 400
url=$(wait_url "$id1")
curl -s -o /dev/null "$url"
curl -s -o /dev/null -H 'Range: bytes=0-9' "$url"
curl -s -o /dev/null "$SIM_URL/nowhere"
curl -s -o /dev/null "$SIM_URL/_sim/tasks"
polls=$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" ".tasks[] | select(.task_id == \"$id1\") | .polls")

stats=$(sim_stats)
is "$(jqc "$stats" '.requests.generate')" '{"200":2,"401":1,"400":1}' "requests.generate by status"
is "$(jqc "$stats" '.requests.status')" "{\"200\":$polls}" "requests.status: one 200 a poll ($polls)"
is "$(jqc "$stats" '.requests.download')" '{"200":1,"206":1}' "requests.download: 200 and 206"
is "$(jqc "$stats" '.requests.other')" '{"404":1}' "requests.other: the unknown path"
is "$(jqv "$stats" '.requests.sim["200"] >= 4')" true "requests.sim counts the ledger's own reads"

is "$(jqv "$stats" '.headers | keys_unsorted | join(" ")')" "generate status download sim other" "headers by endpoint"
is "$(jqv "$stats" '.headers.generate["x-trace-thing"]')" 1 "a client header is counted, lower-case"
is "$(jqv "$stats" '.headers.generate["idempotency-key"]')" 1 "idempotency-key seen once"
is "$(jqv "$stats" '.headers.generate.authorization')" 3 "authorization seen on 3 of 4 generate requests"
is "$(jqv "$stats" '.headers.generate["content-length"]')" 4 "content-length on every POST"
is "$(jqv "$stats" '.headers.download.range')" 1 "range seen once on downloads"
is "$(jqv "$stats" '[.headers[] | keys[]] | map(select(test("[A-Z]"))) | length')" 0 "every header name is lower case"
is "$(jqv "$stats" '[.headers[] | .[]] | map(type == "number") | all')" true "header counts are numbers"

is "$(jqc "$stats" '.authorization_seen')" "{\"generate\":3,\"status\":$polls,\"download\":0,\"sim\":0,\"other\":0}" \
    "authorization_seen per endpoint; none at the download host"

is "$(jqv "$stats" '.submissions | length')" 2 "two submissions"
s1=$(jqc "$stats" '.submissions[0]')
is "$(jqv "$s1" 'keys_unsorted | join(" ")')" "task_id key body_sha256 idempotency_key answered credits charged fault mode duration sound" \
    "a submission's fields"
is "$(jqv "$s1" .task_id)" "$id1" "task_id"
is "$(jqv "$s1" .key)" key1 "key: the label key1"
is "$(jqv "$s1" .body_sha256)" "$(sha256sum < "$SCRATCH/body1" | cut -d' ' -f1)" "body_sha256: sha256 of the exact bytes sent"
is "$(jqv "$s1" .idempotency_key)" led-1 "idempotency_key"
is "$(jqv "$s1" .answered)" true "answered"
is "$(jqv "$s1" .credits)" $((54 * 4)) "credits: 4 s pro without sound = 216"
is "$(jqv "$s1" .charged)" $((54 * 4)) "charged: the same (no refund)"
is "$(jqv "$s1" .fault)" null "fault: null"
is "$(jqv "$s1" '[.mode, .duration, .sound] | map(tostring) | join(" ")')" "pro 4 false" "mode, duration, sound"
s2=$(jqc "$stats" '.submissions[1]')
is "$(jqv "$s2" .key)" key2 "the second key's submission: key2"
is "$(jqv "$s2" .body_sha256)" "$(printf '%s' "$body2" | sha256sum | cut -d' ' -f1)" "its body hash"
is "$(jqv "$s2" .idempotency_key)" null "no Idempotency-Key: null"
is "$(jqv "$s2" .credits)" 180 "180 credits"

is "$(jqv "$stats" .accepted)" 2 "accepted"
is "$(jqv "$stats" .answered)" 2 "answered"
is "$(jqv "$stats" .credits.charged)" 396 "credits.charged = 216 + 180"
is "$(jqv "$stats" .credits.refunded)" 0 "credits.refunded: nothing without --refund-failed"
is "$(jqc "$stats" '.credits.keys.key1')" '{"balance":99784,"charged":216,"accepted":1}' "key1's balance, charged, accepted"
is "$(jqc "$stats" '.credits.keys.key2')" '{"balance":4820,"charged":180,"accepted":1}' "key2's balance, charged, accepted"

# A fault is named, and an unanswered submission counted as such.
start_sim --time-scale 0.001 --fault submit-drop-after=1
curl -s -o /dev/null -H "Authorization: Bearer $SIM_KEY" --data-binary "$body2" "$SIM_URL/api/generate"
stats=$(sim_stats)
is "$(jqv "$stats" '[.accepted, .answered] | map(tostring) | join(" ")')" "1 0" "a dropped answer: accepted 1, answered 0"
is "$(jqv "$stats" '.submissions[0] | [.fault, .answered] | map(tostring) | join(" ")')" "submit-drop-after false" \
    "the submission names its fault"
is "$(jqv "$stats" '.requests.generate.dropped')" 1 "requests.generate.dropped"

# /_sim/tasks fields.
tasks=$(curl -s "$SIM_URL/_sim/tasks")
is "$(jqv "$tasks" 'keys_unsorted | join(" ")')" "now tasks" "/_sim/tasks: now and tasks"
is "$(jqv "$tasks" '.tasks[0] | keys_unsorted | join(" ")')" \
    "task_id mode duration sound outcome created render ready final_seen polls downloads idempotency_key charged sha256 aspect_ratio resolution shots defect cuts clip" \
    "/_sim/tasks: a task's fields"

# The key never appears, wherever a client looks.
for endpoint in stats tasks; do
    curl -s "$SIM_URL/_sim/$endpoint" > "$SCRATCH/$endpoint.json"
done
stop_sim
grep -qF -- "$SIM_KEY" "$SCRATCH/stats.json" "$SCRATCH/tasks.json" "$SCRATCH/sim.out" "$SCRATCH/sim.err"
ok $((! $?)) "the key is not in /_sim/stats, /_sim/tasks or the sim's output"
grep -qF -- "$OTHER" "$SCRATCH/stats.json" "$SCRATCH/tasks.json"
ok $((! $?)) "nor is the second key"
done_testing
