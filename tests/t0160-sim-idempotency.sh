#!/usr/bin/env bash
# hh-sim honours Idempotency-Key on POST /api/generate: the same key and body
# give the same task, billed once; the same key with another body is a 409;
# keys are per API key; a retry after a dropped answer returns the billed task.
. "$(dirname "$0")/lib.sh"
OTHER=sk-other-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
echo "$OTHER" > "$SCRATCH/keys"
start_sim --time-scale 0.001 --key-file "$SCRATCH/keys"
JOB="{$GEN,\"prompt\":\"idempotent\",\"duration\":3}"

post_task "$JOB" -H 'Idempotency-Key: job-1'
is "$CODE" 200 "first POST with a key: 200"
first=$TASK
post_task "$JOB" -H 'Idempotency-Key: job-1'
is "$CODE" 200 "the same key and body again: 200"
is "$TASK" "$first" "the same task id"
post_task "$JOB" -H 'Idempotency-Key: job-1'
is "$TASK" "$first" "and a third time"
stats=$(sim_stats)
is "$(jqv "$stats" .accepted)" 1 "accepted 1"
is "$(jqv "$stats" .credits.charged)" 180 "charged once (180)"
is "$(jqv "$stats" .answered)" 1 "answered 1"
is "$(jqv "$stats" '.submissions[0].idempotency_key')" job-1 "the ledger keeps the Idempotency-Key"
is "$(jqv "$stats" '.requests.generate["200"]')" 3 "all three requests answered 200"

post_task "{$GEN,\"prompt\":\"something else\",\"duration\":3}" -H 'Idempotency-Key: job-1'
is "$CODE" 409 "the same key with another body: 409"
is "$(jqv "$BODY" .error.message)" "Idempotency-Key: was already used with a different request body" "409 message"
is "$(jqv "$BODY" .error.code)" idempotency_conflict "409 error code"
is "$(jqv "$BODY" .error.field)" Idempotency-Key "409 names the header"
post_task "{$GEN, \"prompt\":\"idempotent\",\"duration\":3}" -H 'Idempotency-Key: job-1'
is "$CODE" 409 "bodies are compared byte for byte (a space differs)"
is "$(jqv "$(sim_stats)" .accepted)" 1 "a 409 accepts nothing"

post_task "$JOB" -H 'Idempotency-Key: job-2'
is "$CODE" 200 "another key: 200"
[ -n "$TASK" ] && [ "$TASK" != "$first" ]
ok $? "another key: another task"
post_task "$JOB"
second=$TASK
post_task "$JOB"
[ "$TASK" != "$second" ]
ok $? "without a key, the same body twice is two tasks"
code=$(curl -s -o "$SCRATCH/b" -w '%{http_code}' -H "Authorization: Bearer $OTHER" -H 'Idempotency-Key: job-1' \
    --data-binary "$JOB" "$SIM_URL/api/generate")
is "$code" 200 "another API key may use the same Idempotency-Key"
[ "$(jq -r .data.task_id "$SCRATCH/b")" != "$first" ]
ok $? "and gets its own task"
stats=$(sim_stats)
is "$(jqv "$stats" .accepted)" 5 "accepted: job-1, job-2, two without a key, the other API key's"
is "$(jqv "$stats" .credits.keys.key1.accepted)" 4 "key1 accepted 4"
is "$(jqv "$stats" .credits.keys.key2.accepted)" 1 "key2 accepted 1"

# A refused request leaves its key free: no task, so the retry creates one.
stop_sim
start_sim --time-scale 0.001 --credits 100
post_task "$JOB" -H 'Idempotency-Key: poor'
is "$CODE" 402 "402 with a key"
post_task "{$GEN,\"prompt\":\"x\"}" -H 'Idempotency-Key: poor'
is "$CODE" 402 "a different body under the same key is not a 409 after a 402 (nothing was created)"

# The retry after a dropped answer: the client never saw the task id.
start_sim --time-scale 0.001 --fault submit-drop-after=1
status=0
curl -s -o /dev/null -H "Authorization: Bearer $SIM_KEY" -H 'Idempotency-Key: lost-1' \
    --data-binary "$JOB" "$SIM_URL/api/generate" || status=$?
is "$status" 52 "submit-drop-after: curl gets an empty reply (52)"
stats=$(sim_stats)
is "$(jqv "$stats" .accepted)" 1 "the dropped submission was accepted"
is "$(jqv "$stats" .credits.charged)" 180 "and billed"
is "$(jqv "$stats" '.submissions[0].answered')" false "but not answered"
billed=$(jqv "$stats" '.submissions[0].task_id')
post_task "$JOB" -H 'Idempotency-Key: lost-1'
is "$CODE" 200 "the idempotent retry: 200"
is "$TASK" "$billed" "it returns the billed task"
stats=$(sim_stats)
is "$(jqv "$stats" .accepted)" 1 "still one accepted"
is "$(jqv "$stats" .credits.charged)" 180 "still charged once"
is "$(jqv "$stats" '.submissions[0].answered')" true "the task is now marked answered"
is "$(jqv "$stats" .answered)" 1 "answered 1"
is "$(jqv "$stats" '.submissions[0].fault')" submit-drop-after "the ledger names the fault that struck"
wait_done "$TASK"
is "$STATUS" SUCCESS "the task completes"
done_testing
