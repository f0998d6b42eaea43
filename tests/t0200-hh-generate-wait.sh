#!/usr/bin/env bash
# hh against hh-sim: generate -> wait -> download of one real clip, from the
# command line and from Lua; status; deadlines; the result tables.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
start_sim --time-scale 0.001
hh_env

run_hh generate --prompt "a horse on a beach at dawn" --duration 4 --aspect 9:16 -o "$SCRATCH/horse.mp4"
is "$RC" 0 "hh generate -o exits 0"
is "$OUT" "$SCRATCH/horse.mp4" "prints the file it wrote"
like "$ERR" 'task hs[0-9]+-[0-9a-f]+ submitted \(240 credits\); waiting' "says the task and its cost"
is "$(ffprobe_field "$SCRATCH/horse.mp4" stream=codec_name)" h264 "the download is an H.264 video"
is "$(ffprobe_field "$SCRATCH/horse.mp4" format=duration | cut -d. -f1)" 4 "of the asked duration"
is "$(ffprobe_field "$SCRATCH/horse.mp4" stream=width)x$(ffprobe_field "$SCRATCH/horse.mp4" stream=height)" 180x320 "and aspect ratio"
ok "$(test ! -e "$SCRATCH/horse.mp4.part"; echo $?)" "no .part file is left behind"

run_hh generate --prompt "a fox" --json
is "$RC" 0 "hh generate without --wait exits 0"
id=$(jqv "$OUT" .task_id)
like "$id" '^hs[0-9]+-' "prints the task id as JSON"
is "$(jqv "$OUT" .credits)" 300 "and the credits it costs"
sleep 0.3
run_hh status "$id"
is "$RC" 0 "hh status exits 0"
like "$OUT" "^succeeded	http://127\.0\.0\.1:[0-9]+/files/$id\.mp4\?" "hh status prints the state and URL"
run_hh wait "$id" -o "$SCRATCH/fox.mp4" --json
is "$RC" 0 "hh wait exits 0"
is "$(jqv "$OUT" .file)" "$SCRATCH/fox.mp4" "hh wait --json names the file"
is "$(jqv "$OUT" .bytes)" "$(stat -c %s "$SCRATCH/fox.mp4")" "and its size"
is "$(jqv "$OUT" .status)" succeeded "and the status"

run_lua '
local t = assert(hh.generate{prompt = "a lighthouse", mode = "pro", duration = 5, sound = false, cfg_scale = 0.7})
print(getmetatable(t).__name, t.credits, t.kind, type(t.submitted), #t.idempotency_key)
local r = assert(hh.wait(t, {output = arg[1]}))
print(r.ok, r.status, r.word, r.file == arg[1], r.bytes > 1000, r.polls >= 1, r.task_id == t.id)
local s = assert(hh.status(t))
print(s.status, s.url ~= nil, s.raw.data.task_id == t.id)
' "$SCRATCH/lh.mp4"
is "$RC" 0 "a Lua script runs generate, wait and status"
is "$OUT" "hh.Task	270	pro/5/s	number	43
true	succeeded	SUCCESS	true	true	true	true
succeeded	true	true" "handles and results carry what the API said"
is "$(ffprobe -v error -select_streams a -show_entries stream=codec_name -of csv=p=0 "$SCRATCH/lh.mp4")" "" "sound = false gives a clip without audio"

# A deadline ends the wait, not the task.
stop_sim
start_sim --time-scale 1
hh_env
run_lua '
local t = assert(hh.generate{prompt = "slow"})
local t0 = hh.now()
local r, msg, class = hh.wait(t, {deadline = 0.2})
print(r, class, msg)
print(hh.now() - t0 < 5)
'
is "$RC" 0 "a wait past its deadline returns"
like "$OUT" '^nil	timeout	deadline passed: task hs1-[0-9a-f]+ is still running \(it may still finish and be billed\)' "nil, message, \"timeout\""
like "$OUT" 'true$' "promptly"

run_hh wait "$(jqv "$(sim_stats)" '.submissions[0].task_id')" --deadline 0.1
is "$RC" 4 "hh wait --deadline exits 4 when the task is still running"
like "$ERR" "deadline passed" "and says why"
done_testing
