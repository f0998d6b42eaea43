#!/usr/bin/env bash
# hh-sim's status faults: 5xx, malformed JSON, 404 for the first moments of
# a task, the unknown word QUEUED, COMPLETED for SUCCESS; and the task
# outcome faults: stuck forever, success without a URL or with an ftp:// one.
. "$(dirname "$0")/lib.sh"
JOB="{$GEN,\"prompt\":\"status faults\",\"duration\":3}"

start_sim --time-scale 0.001 --fault status-error=1
post_task "$JOB"
api_status "$TASK"
like "$CODE" '^50[023]$' "status-error: 500, 502 or 503 ($CODE)"
is "$(jqv "$BODY" .error.message)" "the server could not answer; try again" "status-error: message"
codes=
for _ in $(seq 12); do api_status "$TASK"; codes="$codes $CODE"; done
like "$codes" 500 "status-error: 500 among ($codes)"
like "$codes" 502 "status-error: 502 among them"
like "$codes" 503 "status-error: 503 among them"
is "$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" .tasks[0].polls)" 0 "a faulted status is not a poll of the task"
api_status hs99-00000000
like "$CODE" '^50[023]$' "status-error strikes before the task lookup"

start_sim --time-scale 0.001 --fault status-malformed=1
post_task "$JOB"
api_status "$TASK"
is "$CODE" 200 "status-malformed: 200"
printf '%s' "$BODY" | jq . > /dev/null 2>&1
ok $((! $?)) "status-malformed: the body is not parseable JSON"
like "$BODY" '^\{"code":200' "status-malformed: it starts like an answer"

# The first 20% of the render time: 404. At 0.05 without spread a 3 s std
# task renders in 1.9 s, so the first 0.38 s answer 404.
start_sim --time-scale 0.05 --render-sigma 0 --fault status-early-404=1
post_task "$JOB"
is "$CODE" 200 "status-early-404: the submission is answered"
api_status "$TASK"
is "$CODE" 404 "status-early-404: right after submit the task is unknown"
is "$(jqv "$BODY" .error.message)" "task_id: no task with this id" "status-early-404: the ordinary 404 message"
tries=0
while [ "$CODE" = 404 ] && [ $tries -lt 500 ]; do sleep 0.02; api_status "$TASK"; tries=$((tries + 1)); done
is "$CODE" 200 "status-early-404: then it is found"
is "$(jqv "$BODY" .data.status)" IN_PROGRESS "status-early-404: found while still in progress"
is "$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" '.now - .tasks[0].created >= 0.2 * .tasks[0].render')" true \
    "status-early-404: found only after 20% of the render time"

start_sim --time-scale 0.01 --render-sigma 0 --fault status-unknown-word=1
post_task "$JOB"
api_status "$TASK"
is "$(jqv "$BODY" .data.status)" QUEUED "status-unknown-word: QUEUED while in progress"
is "$(jqv "$BODY" .data.response)" null "status-unknown-word: response null"
wait_done "$TASK"
is "$STATUS" SUCCESS "status-unknown-word: then SUCCESS"
like "$(jqv "$BODY" '.data.response.resultUrls[0]')" '^http://' "status-unknown-word: with a URL"

start_sim --time-scale 0.01 --render-sigma 0 --fault status-completed-word=1
post_task "$JOB"
api_status "$TASK"
is "$(jqv "$BODY" .data.status)" IN_PROGRESS "status-completed-word: IN_PROGRESS while in progress"
wait_done "$TASK"
is "$STATUS" COMPLETED "status-completed-word: COMPLETED instead of SUCCESS"
url=$(jqv "$BODY" '.data.response.resultUrls[0]')
fetch "$url" "$SCRATCH/c.mp4"
is "$CODE" 200 "status-completed-word: its URL serves the clip"

# task-stuck at 0.5: the stuck tasks stay IN_PROGRESS while the others finish.
start_sim --time-scale 0.001 --seed 3 --fault task-stuck=0.5
ids=
for n in $(seq 8); do post_task "{$GEN,\"prompt\":\"stuck $n\",\"duration\":3}"; ids="$ids $TASK"; done
sleep 0.5
stuck=0 done_ok=0 wrong=0
tasks=$(curl -s "$SIM_URL/_sim/tasks")
for id in $ids; do
    api_status "$id"
    outcome=$(jqv "$tasks" ".tasks[] | select(.task_id == \"$id\") | .outcome")
    case "$outcome/$(jqv "$BODY" .data.status)" in
        stuck/IN_PROGRESS) stuck=$((stuck + 1)) ;;
        success/SUCCESS) done_ok=$((done_ok + 1)) ;;
        *) wrong=$((wrong + 1)) ;;
    esac
done
is "$wrong" 0 "task-stuck: stuck tasks are IN_PROGRESS, the others SUCCESS"
[ $stuck -gt 0 ] && [ $done_ok -gt 0 ]
ok $? "task-stuck: some stuck ($stuck), some finished ($done_ok)"
is "$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" '. as $r | [.tasks[] | select(.outcome == "stuck") | $r.now - .ready > 0.3 and .final_seen == null] | all')" true \
    "task-stuck: long past their ready time and never final"

start_sim --time-scale 0.001 --fault success-no-url=1
post_task "$JOB"
wait_done "$TASK"
is "$STATUS" SUCCESS "success-no-url: SUCCESS"
is "$(jqv "$BODY" '.data.response.resultUrls | length')" 0 "success-no-url: resultUrls is empty"
is "$(jqv "$BODY" '.data.response.resultUrls | type')" array "success-no-url: but still an array"
is "$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" .tasks[0].outcome)" no-url "success-no-url: outcome no-url"

start_sim --time-scale 0.001 --fault success-bad-url=1
post_task "$JOB"
wait_done "$TASK"
is "$STATUS" SUCCESS "success-bad-url: SUCCESS"
like "$(jqv "$BODY" '.data.response.resultUrls[0]')" "^ftp://127\\.0\\.0\\.1:[0-9]+/files/$TASK\\.mp4\\?" "success-bad-url: an ftp:// URL"
is "$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" .tasks[0].outcome)" bad-url "success-bad-url: outcome bad-url"
done_testing
