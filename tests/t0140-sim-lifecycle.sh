#!/usr/bin/env bash
# A task's life in hh-sim: IN_PROGRESS (response null), then SUCCESS with a
# result URL serving a real H.264 MP4 of the asked duration, aspect ratio and
# sound, different for different prompts and identical for the same one;
# FAILED with a message under the task faults; the render-time model and
# --time-scale; what /_sim/tasks reports.
. "$(dirname "$0")/lib.sh"

# Without spread, render times are exactly the model's medians times the scale.
start_sim --time-scale 0.01 --render-sigma 0
post_task "{$GEN,\"prompt\":\"a lighthouse at dawn\",\"duration\":3}"
id=$TASK
like "$id" '^hs1-[0-9a-f]{8}$' "submit answers a task id"
is "$(jqv "$BODY" .data.status)" IN_PROGRESS "submit answers status IN_PROGRESS"
is "$(jqv "$BODY" .code)" 200 "submit answers code 200"
api_status "$id"
is "$CODE" 200 "status: 200"
is "$(jqv "$BODY" .data.status)" IN_PROGRESS "right after submit: IN_PROGRESS"
is "$(jqv "$BODY" '.data.response')" null "while in progress data.response is null"
is "$(jqv "$BODY" '.data.task_id')" "$id" "status names the task"
is "$(jqv "$BODY" '.data.model')" "happyhorse-1.0/video" "status names the model"
wait_done "$id" 20
is "$STATUS" SUCCESS "then SUCCESS"
url=$(jqv "$BODY" '.data.response.resultUrls[0]')
like "$url" "^$SIM_URL/files/$id\\.mp4\\?e=[0-9]+&sig=[0-9a-f]{16}\$" "data.response.resultUrls[0] is a signed URL"
is "$(jqv "$BODY" '.data.response.resultUrls | length')" 1 "one result URL"
is "$(jqv "$BODY" '.data.error_message')" null "no error_message on success"
api_status "$id"
is "$(jqv "$BODY" .data.status)" SUCCESS "a final status stays final"

tasks=$(curl -s "$SIM_URL/_sim/tasks")
t=$(jqv "$tasks" ".tasks[] | select(.task_id == \"$id\")")
is "$(jqv "$t" .render)" 0.38 "std 3 s renders in (20 + 6*3) * 0.01 = 0.38 s"
is "$(jqv "$t" '(.ready - .created - .render) | fabs < 1e-6')" true "ready = created + render"
is "$(jqv "$t" '.final_seen >= .ready')" true "final_seen is after ready"
is "$(jqv "$t" .polls)" "$(jqv "$(sim_stats)" '.requests.status["200"]')" "polls counts every status answer"
is "$(jqv "$t" .outcome)" success "outcome: success"
is "$(jqv "$t" .downloads)" 0 "downloads: none yet"
is "$(jqv "$t" '[.mode, .duration, .sound] | map(tostring) | join(" ")')" "std 3 true" "mode, duration, sound"
like "$(jqv "$tasks" .now)" '^[0-9.]+$' "/_sim/tasks reports now"
fetch "$url" "$SCRATCH/c.mp4"
is "$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" ".tasks[0].downloads")" 1 "downloads counts fetches"

# model MODE DURATION: the median render seconds at time scale 1.
model() { if [ "$1" = pro ]; then echo $((30 + 10 * $2)); else echo $((20 + 6 * $2)); fi; }
for md in "std 5" "std 15" "pro 3" "pro 15"; do
    set -- $md
    i=$(submit "{$GEN,\"prompt\":\"model\",\"mode\":\"$1\",\"duration\":$2}")
    r=$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" ".tasks[] | select(.task_id == \"$i\") | .render * 1000 | round")
    is "$r" "$(( $(model "$1" "$2") * 10 ))" "$1 $2 s: median $(model "$1" "$2") s, scaled to ${r} ms"
done

# --time-scale 1: a real task is minutes away.
start_sim --time-scale 1
id=$(submit "{$GEN,\"prompt\":\"slow\",\"mode\":\"pro\",\"duration\":15}")
api_status "$id"
is "$(jqv "$BODY" .data.status)" IN_PROGRESS "at --time-scale 1 a task is IN_PROGRESS right after submit"
r=$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" '.tasks[0].render')
is "$(jqv "$r" '. > 30 and . < 1000')" true "and takes minutes to render ($r s)"

# --time-scale 0.001 with the log-normal spread: tasks finish in well under a second.
start_sim --time-scale 0.001
ids=
for n in $(seq 12); do post_task "{$GEN,\"prompt\":\"spread $n\",\"duration\":5}"; ids="$ids $TASK"; done
tasks=$(curl -s "$SIM_URL/_sim/tasks")
is "$(jqv "$tasks" '[.tasks[].render] | max < 1')" true "at 0.001 every render is under a second"
is "$(jqv "$tasks" '[.tasks[].render] | unique | length')" 12 "renders are spread (log-normal)"
is "$(jqv "$tasks" '[.tasks[].render] | map(. / 0.05 | log) | map(fabs < 1.75) | all')" true \
    "all within 5 sigma of the median 0.05 s"
is "$(jqv "$tasks" '[.tasks[] | .ready < .created + 1] | all')" true "all ready within a second of submission"
succeeded=0
for i in $ids; do
    wait_done "$i" 20
    [ "$STATUS" = SUCCESS ] && succeeded=$((succeeded + 1))
done
is "$succeeded" 12 "all 12 end SUCCESS"

# The files: codecs, duration, size for each aspect ratio, sound or not.
# check_clip JSON EXPECT-STREAMS SECONDS W H: submits, waits, downloads, probes.
check_clip() {
    local url f probe
    post_task "$1"
    url=$(wait_url "$TASK")
    f=$SCRATCH/$TASK.mp4
    fetch "$url" "$f"
    is "$CODE" 200 "download of $1: 200"
    is "$(header Content-Type)" video/mp4 "Content-Type: video/mp4"
    probe=$(ffprobe -v error -show_entries stream=codec_type,codec_name,width,height:format=duration -of json "$f" |
        jq -r '[([.streams[] | "\(.codec_type):\(.codec_name) "] | add),
                (.format.duration | tonumber | round | tostring),
                (.streams[] | select(.codec_type == "video") | "\(.width)x\(.height)")] | join("|")')
    is "${probe%%|*}" "$2" "streams: $2"
    probe=${probe#*|}
    is "${probe%%|*}" "$3" "duration $3 s"
    is "${probe#*|}" "${4}x$5" "size ${4}x$5"
    LAST_FILE=$f
}
check_clip "{$GEN,\"prompt\":\"wide\",\"duration\":5}" "video:h264 audio:aac " 5 320 180
check_clip "{$GEN,\"prompt\":\"tall\",\"duration\":3,\"aspect_ratio\":\"9:16\",\"sound\":false}" "video:h264 " 3 180 320
check_clip "{$GEN,\"prompt\":\"square\",\"duration\":4,\"aspect_ratio\":\"1:1\",\"sound\":true,\"mode\":\"pro\"}" "video:h264 audio:aac " 4 240 240
check_clip "{$GEN,\"prompt\":\"long\",\"duration\":15,\"aspect_ratio\":\"16:9\",\"sound\":false}" "video:h264 " 15 320 180
check_clip "{$GEN,\"multi_shots\":true,\"multi_prompt\":[{\"prompt\":\"a\",\"duration\":2},{\"prompt\":\"b\",\"duration\":4}],\"sound\":false}" "video:h264 " 6 320 180
check_clip "{$GEN,\"multi_shots\":true,\"duration\":7,\"multi_prompt\":[{\"prompt\":\"a\"},{\"prompt\":\"b\"},{\"prompt\":\"c\"}]}" "video:h264 audio:aac " 7 320 180
frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$LAST_FILE")
is "$frames" 168 "24 frames a second: 7 s is 168 frames"

# Same request, same bytes; another prompt, other bytes.
clip() { local id; id=$(submit "$1"); fetch "$(wait_url "$id")" "$2"; }
clip "{$GEN,\"prompt\":\"a red fox in snow\",\"duration\":3}" "$SCRATCH/fox1.mp4"
clip "{$GEN,\"prompt\":\"a red fox in snow\",\"duration\":3,\"cfg_scale\":0.5}" "$SCRATCH/fox2.mp4"
clip "{$GEN,\"prompt\":\"a blue whale at night\",\"duration\":3}" "$SCRATCH/whale.mp4"
cmp -s "$SCRATCH/fox1.mp4" "$SCRATCH/fox2.mp4"
ok $? "the same prompt and parameters give identical bytes"
cmp -s "$SCRATCH/fox1.mp4" "$SCRATCH/whale.mp4"
ok $((! $?)) "another prompt gives other bytes"
is "$(stat -c %s "$SCRATCH/fox1.mp4")" "$(stat -c %s "$SCRATCH/fox2.mp4")" "(same length)"
# Colours differ visibly: the mean colour of the first frame.
mean() { ffmpeg -v error -i "$1" -frames:v 1 -vf scale=1:1 -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | tr -s ' ' | sed 's/^ //'; }
fox=$(mean "$SCRATCH/fox1.mp4") whale=$(mean "$SCRATCH/whale.mp4")
[ "$fox" != "$whale" ]
ok $? "the first frames differ in colour ($fox vs $whale)"

# Task faults: FAILED with a message; a failed task has no file.
start_sim --time-scale 0.001 --fault task-failed=1
id=$(submit "{$GEN,\"prompt\":\"doomed\",\"duration\":3}")
wait_done "$id"
is "$STATUS" FAILED "task-failed: FAILED"
is "$(jqv "$BODY" .data.error_message)" "generation failed: the renderer stopped unexpectedly" "task-failed: error_message"
is "$(jqv "$BODY" .data.response)" null "task-failed: no response"
is "$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" .tasks[0].outcome)" failed "task-failed: outcome failed"
code=$(curl -s -o /dev/null -w '%{http_code}' "$SIM_URL/files/$id.mp4?e=99999999&sig=0")
is "$code" 404 "a failed task has no file"
is "$(jqv "$(sim_stats)" .credits.charged)" 180 "a failed task was still billed (as on the real host)"

start_sim --time-scale 0.001 --fault task-policy=1
id=$(submit "{$GEN,\"prompt\":\"forbidden\",\"duration\":3}")
wait_done "$id"
is "$STATUS" FAILED "task-policy: FAILED"
is "$(jqv "$BODY" .data.error_message)" "prompt rejected by content policy" "task-policy: error_message"
is "$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" .tasks[0].outcome)" policy "task-policy: outcome policy"

# --palette 1: every prompt gets the same look.
start_sim --time-scale 0.001 --palette 1
clip "{$GEN,\"prompt\":\"a red fox in snow\",\"duration\":3}" "$SCRATCH/p1.mp4"
clip "{$GEN,\"prompt\":\"a blue whale at night\",\"duration\":3}" "$SCRATCH/p2.mp4"
cmp -s "$SCRATCH/p1.mp4" "$SCRATCH/p2.mp4"
ok $? "--palette 1 folds every prompt into one look"
done_testing
