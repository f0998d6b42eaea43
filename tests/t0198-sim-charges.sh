#!/usr/bin/env bash
# What hh-sim charges, as a client and a checker see it: data.consumed_credits
# in every status answer of a known task; --refund-failed gives a FAILED task
# its credits back once it is final, in status answers and in the ledger,
# polled or not; --ignore-idempotency bills every POST, key or not;
# /_sim/tasks names each task's Idempotency-Key, charge and the sha256 of the
# file its URL serves.
. "$(dirname "$0")/lib.sh"
JOB="{$GEN,\"prompt\":\"charges\",\"duration\":3}"     # std, sound: 180 credits
PRO="{$GEN,\"prompt\":\"charges\",\"mode\":\"pro\",\"duration\":5}"   # 400 credits

task_field() { # task_field TASK_ID FIELD: one field of the task in /_sim/tasks
    curl -s "$SIM_URL/_sim/tasks" | jq -r --arg id "$1" ".tasks[] | select(.task_id == \$id) | .$2"
}

# consumed_credits: the price while the task renders and on success.
start_sim --time-scale 1
post_task "$PRO"
api_status "$TASK"
is "$(jqv "$BODY" .data.status)" IN_PROGRESS "a slow render is IN_PROGRESS"
is "$(jqv "$BODY" .data.consumed_credits)" 400 "consumed_credits: the price (400) while it renders"
is "$(jqv "$BODY" '.data.consumed_credits | type')" number "an integer, not a string"
api_status hs99-00000000
is "$CODE" 404 "an unknown task: 404"
is "$(jqv "$BODY" '.data.consumed_credits // "none"')" none "and no consumed_credits"
start_sim --time-scale 0.001
post_task "$JOB"
wait_done "$TASK"
is "$STATUS" SUCCESS "a fast render succeeds"
is "$(jqv "$BODY" .data.consumed_credits)" 180 "consumed_credits: the price (180) on SUCCESS"

# Without --refund-failed a failed task stays billed.
start_sim --time-scale 0.001 --fault task-failed=1
post_task "$JOB"
wait_done "$TASK"
is "$STATUS" FAILED "task-failed: FAILED"
is "$(jqv "$BODY" .data.consumed_credits)" 180 "without --refund-failed, a FAILED task still consumed 180"
stats=$(sim_stats)
is "$(jqv "$stats" '[.credits.charged, .credits.refunded, .submissions[0].charged] | map(tostring) | join(" ")')" \
    "180 0 180" "and the ledger keeps it charged"

# --refund-failed, polled: FAILED answers say 0, the ledger gives it back.
start_sim --time-scale 0.001 --refund-failed --fault task-failed=1 --credits 1000
post_task "$JOB"
wait_done "$TASK"
is "$STATUS" FAILED "--refund-failed: the task still fails"
is "$(jqv "$BODY" .data.consumed_credits)" 0 "consumed_credits: 0 once it is FAILED"
stats=$(sim_stats)
is "$(jqv "$stats" .credits.charged)" 0 "credits.charged: 0 after the refund"
is "$(jqv "$stats" .credits.refunded)" 180 "credits.refunded: 180"
is "$(jqc "$stats" .credits.keys.key1)" '{"balance":1000,"charged":0,"accepted":1}' \
    "the key's balance is whole again, charged 0, still one accepted"
is "$(jqv "$stats" '.submissions[0] | [.credits, .charged] | map(tostring) | join(" ")')" "180 0" \
    "the submission: credits 180 (its price), charged 0"
is "$(task_field "$TASK" charged)" 0 "/_sim/tasks: charged 0"

# --refund-failed, never polled: the ledger settles by the clock alone.
start_sim --time-scale 0.001 --refund-failed --fault task-policy=1
post_task "$JOB"
sleep 0.3
stats=$(sim_stats)
is "$(jqv "$stats" '[.credits.charged, .credits.refunded, .submissions[0].charged] | map(tostring) | join(" ")')" \
    "0 180 0" "a policy rejection nobody polled is refunded once its render time has passed"
is "$(task_field "$TASK" polls)" 0 "(no status request was made)"
api_status "$TASK"
is "$(jqv "$BODY" '[.data.status, .data.consumed_credits] | map(tostring) | join(" ")')" "FAILED 0" \
    "a later poll: FAILED, consumed_credits 0"
is "$(jqv "$(sim_stats)" .credits.refunded)" 180 "refunded once, not again at the poll"

# Not final yet: no refund. A slow render under --refund-failed.
start_sim --time-scale 1 --refund-failed --fault task-failed=1
post_task "$JOB"
api_status "$TASK"
is "$(jqv "$BODY" '[.data.status, .data.consumed_credits] | map(tostring) | join(" ")')" "IN_PROGRESS 180" \
    "a failing task still rendering: IN_PROGRESS, consumed 180"
is "$(jqv "$(sim_stats)" '[.credits.charged, .credits.refunded] | map(tostring) | join(" ")')" "180 0" \
    "and the ledger has not refunded it yet"

# A refund is credit to spend: the balance check sees it.
# (std 3 s renders in (20 + 6*3) * 0.02 = 0.76 s.)
start_sim --time-scale 0.02 --render-sigma 0 --refund-failed --fault task-failed=1 --credits 180
post_task "$JOB"
is "$CODE" 200 "a key with 180 credits submits a 180-credit job"
post_task "{$GEN,\"prompt\":\"again\",\"duration\":3}"
is "$CODE" 402 "at once, a second one is refused (balance 0)"
sleep 1
post_task "{$GEN,\"prompt\":\"again\",\"duration\":3}"
is "$CODE" 200 "once the first has failed and been refunded, it is accepted"
# Successes are never refunded.
start_sim --time-scale 0.001 --refund-failed
post_task "$JOB"
wait_done "$TASK"
is "$(jqv "$BODY" .data.consumed_credits)" 180 "--refund-failed: a SUCCESS still consumed 180"
is "$(jqv "$(sim_stats)" .credits.charged)" 180 "and stays charged"

# --ignore-idempotency: the same key and body twice is two billed tasks.
start_sim --time-scale 0.001 --ignore-idempotency
post_task "$JOB" -H 'Idempotency-Key: same-1'
first=$TASK
post_task "$JOB" -H 'Idempotency-Key: same-1'
is "$CODE" 200 "--ignore-idempotency: the replay is answered 200"
[ -n "$TASK" ] && [ "$TASK" != "$first" ]
ok $? "with a new task id"
post_task "{$GEN,\"prompt\":\"other\",\"duration\":3}" -H 'Idempotency-Key: same-1'
is "$CODE" 200 "another body under the same key: 200, not 409"
stats=$(sim_stats)
is "$(jqv "$stats" '[.accepted, .credits.charged] | map(tostring) | join(" ")')" "3 540" "three tasks, billed 3 x 180"
is "$(jqv "$stats" '[.submissions[].idempotency_key] | join(" ")')" "same-1 same-1 same-1" \
    "the ledger keeps the key of each"
is "$(task_field "$first" idempotency_key)" same-1 "/_sim/tasks: idempotency_key"
# Without the flag (t0160 has the rest): the replay is the same task.
start_sim --time-scale 0.001
post_task "$JOB" -H 'Idempotency-Key: same-1'
first=$TASK
post_task "$JOB" -H 'Idempotency-Key: same-1'
is "$TASK" "$first" "by default the same key and body is the same task"
is "$(jqv "$(sim_stats)" .accepted)" 1 "billed once"
post_task "$JOB"
is "$(task_field "$TASK" idempotency_key)" null "no key sent: idempotency_key null"

# sha256: what the task's URL serves, known before anyone downloads it.
start_sim --time-scale 0.001 --palette 4
post_task "$JOB"
done_id=$TASK
post_task "{$GEN,\"prompt\":\"undownloaded\",\"duration\":4,\"aspect_ratio\":\"9:16\"}"
later=$TASK
url=$(wait_url "$done_id")
fetch "$url" "$SCRATCH/clip.mp4"
is "$CODE" 200 "the clip downloads"
like "$(task_field "$done_id" sha256)" '^[0-9a-f]{64}$' "/_sim/tasks: a sha256"
is "$(task_field "$done_id" sha256)" "$(sha256sum < "$SCRATCH/clip.mp4" | cut -d' ' -f1)" \
    "the sha256 of the downloaded file"
sha=$(task_field "$later" sha256)
like "$sha" '^[0-9a-f]{64}$' "a task nobody downloaded has its sha256 too (the clip is made for it)"
is "$(task_field "$later" downloads)" 0 "(not downloaded)"
url=$(wait_url "$later")
fetch "$url" "$SCRATCH/later.mp4"
is "$(sha256sum < "$SCRATCH/later.mp4" | cut -d' ' -f1)" "$sha" "and a later download hashes to it"
start_sim --time-scale 0.001 --fault task-failed=1
post_task "$JOB"
wait_done "$TASK"
is "$(task_field "$TASK" sha256)" null "a FAILED task serves no file: sha256 null"
start_sim --time-scale 0.001 --fault success-no-url=1
post_task "$JOB"
wait_done "$TASK"
like "$(task_field "$TASK" sha256)" '^[0-9a-f]{64}$' "success-no-url: the host still has the file, so a sha256"
stop_sim
done_testing
