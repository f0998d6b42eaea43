#!/usr/bin/env bash
# hh-sim's clip-defect faults, each at rate 1, measured with the real ffprobe
# and ffmpeg on the downloaded file: a black clip, a frozen one, a silent
# audio track, a short clip, the wrong aspect ratio, two shots merged into one.
# Each defect is the one /_sim/tasks names, with the cuts really drawn; the
# same request without the fault is clean; defects are drawn per task under
# --seed, and a clip with a defect is cached apart from the clean one.
. "$(dirname "$0")/lib.sh"
MULTI="{$GEN,\"multi_shots\":true,\"multi_prompt\":[{\"prompt\":\"dawn\",\"duration\":2},{\"prompt\":\"noon\",\"duration\":2},{\"prompt\":\"dusk\",\"duration\":2}]}"
SINGLE="{$GEN,\"prompt\":\"a quiet harbour\",\"duration\":6}"

# get_clip JSON: submits, waits, downloads; sets FILE, FACTS (clip_facts) and
# REC (the task's record in /_sim/tasks).
get_clip() {
    post_task "$1"
    FILE=$SCRATCH/$TASK.mp4
    fetch "$(wait_url "$TASK")" "$FILE"
    FACTS=$(clip_facts "$FILE")
    REC=$(curl -s "$SIM_URL/_sim/tasks" | jq -c --arg id "$TASK" '.tasks[] | select(.task_id == $id)')
}

# check WHAT JQ-CONDITION: the condition holds of FACTS (the measures) and
# REC (the task record), given as $f and $r.
check() {
    local status=0
    jq -en --argjson f "$FACTS" --argjson r "$REC" "$2" > /dev/null || status=1
    ok $status "$1"
    [ $status -eq 0 ] || diag "facts: $FACTS record: $(jqc "$REC" '{defect, cuts, clip}')"
}

# The clean clip, for comparison: shots-1 cuts where the shots meet.
start_sim --time-scale 0.001
get_clip "$MULTI"
check "clean: scdet finds exactly 2 cuts, at 2 s and 4 s (±0.2 s)" \
    '($f.cuts | length) == 2 and ([$f.cuts, [2, 4]] | transpose | all((.[0] - .[1]) | fabs <= 0.2))'
check "clean: select gt(scene,0.3) finds the same" '$f.scene_cuts == $f.cuts'
check "clean: not black, not frozen, not silent, 6 s, 320x180 with sound" \
    '$f.black == 0 and $f.frozen == 0 and $f.silent == 0 and $f.duration == 6 and $f.width == 320 and $f.height == 180 and $f.audio == "aac"'
check "clean: /_sim/tasks says no defect and cuts [2, 4]" '$r.defect == null and $r.cuts == [2, 4] and $r.shots == 3'
clean_sha=$(jqv "$REC" .sha256)

start_sim --time-scale 0.001 --fault clip-black=1
get_clip "$MULTI"
check "clip-black: blackdetect finds black over at least 80% of the clip ($(jqv "$FACTS" .black) of $(jqv "$FACTS" .duration) s)" \
    '$f.black >= 0.8 * $f.duration'
check "clip-black: still moving: freezedetect finds no freeze" '$f.frozen == 0'
check "clip-black: no cut is visible" '$f.cuts == [] and $f.scene_cuts == []'
check "clip-black: the sound is there, the size and duration are right" \
    '$f.silent == 0 and $f.audio == "aac" and $f.duration == 6 and $f.width == 320'
check "clip-black: /_sim/tasks: defect clip-black, no cuts" '$r.defect == "clip-black" and $r.cuts == [] and $r.clip.duration == 6'
[ "$(jqv "$REC" .sha256)" != "$clean_sha" ]
ok $? "clip-black: another file than the clean clip"
black_sha=$(jqv "$REC" .sha256)

start_sim --time-scale 0.001 --fault clip-frozen=1
get_clip "$MULTI"
check "clip-frozen: freezedetect finds a freeze over at least 80% of the clip ($(jqv "$FACTS" .frozen) s)" \
    '$f.frozen >= 0.8 * $f.duration'
check "clip-frozen: not black, no cut, sound and duration right" \
    '$f.black == 0 and $f.cuts == [] and $f.silent == 0 and $f.duration == 6'
check "clip-frozen: /_sim/tasks: defect clip-frozen, no cuts" '$r.defect == "clip-frozen" and $r.cuts == []'

start_sim --time-scale 0.001 --fault clip-silent=1
get_clip "$MULTI"
check "clip-silent: the audio track is there (AAC, 48 kHz)" '$f.audio == "aac" and $f.sample_rate == 48000'
check "clip-silent: silencedetect (-50 dB) finds silence from start to end ($(jqv "$FACTS" .silent) s)" \
    '$f.silent >= $f.duration - 0.1'
check "clip-silent: max volume $(jqv "$FACTS" .max_volume) dB, loudness $(jqv "$FACTS" .loudness) LUFS" \
    '$f.max_volume < -50 and $f.loudness < -50'
check "clip-silent: the picture is clean, cuts and all" \
    '$f.black == 0 and $f.frozen == 0 and ([$f.cuts, [2, 4]] | transpose | all((.[0] - .[1]) | fabs <= 0.2))'
check "clip-silent: /_sim/tasks: defect clip-silent, cuts [2, 4]" '$r.defect == "clip-silent" and $r.cuts == [2, 4]'
get_clip "{$GEN,\"prompt\":\"no sound asked\",\"duration\":3,\"sound\":false}"
check "clip-silent: a clip without sound has no audio stream and no defect" '$f.audio == null and $r.defect == null'

start_sim --time-scale 0.001 --fault clip-short=1
get_clip "$SINGLE"
check "clip-short: 6 s asked, $(jqv "$FACTS" .duration) s served: half, at least 1 s short" \
    '$f.duration == 3 and $f.frames == 72 and $f.duration <= 6 - 1'
check "clip-short: the audio is as short" '$f.audio == "aac" and $f.silent == 0'
check "clip-short: /_sim/tasks: defect clip-short, clip.duration 3, asked 6" \
    '$r.defect == "clip-short" and $r.clip.duration == 3 and $r.duration == 6'
get_clip "$MULTI"
check "clip-short: a multi-shot clip stops half way, at 3 s: one cut left, at 2 s" \
    '$f.duration == 3 and ([$f.cuts, [2]] | transpose | all((.[0] - .[1]) | fabs <= 0.2)) and $r.cuts == [2]'
get_clip "{$GEN,\"prompt\":\"odd\",\"duration\":5}"
check "clip-short: 5 s asked, 2.5 s served" '$f.duration == 2.5 and $r.clip.duration == 2.5'

start_sim --time-scale 0.001 --fault clip-wrong-aspect=1
get_clip "$SINGLE"
check "clip-wrong-aspect: 16:9 asked, $(jqv "$FACTS" '"\(.width)x\(.height)"') served (1:1)" '$f.width == 240 and $f.height == 240'
check "clip-wrong-aspect: /_sim/tasks: defect, asked 16:9, clip 240x240" \
    '$r.defect == "clip-wrong-aspect" and $r.aspect_ratio == "16:9" and $r.clip.width == 240 and $r.clip.height == 240'
get_clip "{$GEN,\"prompt\":\"square\",\"duration\":3,\"aspect_ratio\":\"1:1\",\"sound\":false}"
check "clip-wrong-aspect: 1:1 asked, 16:9 served" '$f.width == 320 and $f.height == 180'
get_clip "{$GEN,\"prompt\":\"tall\",\"duration\":3,\"aspect_ratio\":\"9:16\",\"resolution\":\"720p\",\"sound\":false}"
check "clip-wrong-aspect: 9:16 at 720p asked, 720x720 served" '$f.width == 720 and $f.height == 720 and $r.clip.width == 720'
check "clip-wrong-aspect: otherwise clean" '$f.black == 0 and $f.frozen == 0 and $f.duration == 3'

start_sim --time-scale 0.001 --fault clip-merged-shots=1
FOUR="{$GEN,\"multi_shots\":true,\"sound\":false,\"multi_prompt\":[{\"prompt\":\"a\",\"duration\":2},{\"prompt\":\"b\",\"duration\":2},{\"prompt\":\"c\",\"duration\":2},{\"prompt\":\"d\",\"duration\":2}]}"
get_clip "$FOUR"
check "clip-merged-shots: 4 shots, scdet finds 2 cuts (one fewer than 3): $(jqc "$FACTS" .cuts)" \
    '($f.cuts | length) == 2 and $f.scene_cuts == $f.cuts'
check "clip-merged-shots: /_sim/tasks: the 2 cuts drawn, one boundary of 2, 4, 6 missing" \
    '$r.defect == "clip-merged-shots" and $r.shots == 4 and ($r.cuts | length) == 2 and ($r.cuts - [2, 4, 6]) == []'
check "clip-merged-shots: the cuts found are the cuts recorded (±0.2 s)" \
    '[$f.cuts, $r.cuts] | transpose | all((.[0] - .[1]) | fabs <= 0.2)'
check "clip-merged-shots: otherwise clean" '$f.black == 0 and $f.frozen == 0 and $f.duration == 8'
get_clip "{$GEN,\"multi_shots\":true,\"multi_prompt\":[{\"prompt\":\"p\",\"duration\":2},{\"prompt\":\"q\",\"duration\":3}]}"
check "clip-merged-shots: 2 shots become 1: no cut" '$f.cuts == [] and $r.cuts == [] and $r.defect == "clip-merged-shots"'
get_clip "$SINGLE"
check "clip-merged-shots: a single shot has nothing to merge: no defect" '$r.defect == null and $f.cuts == []'

# The first clip fault in the table that applies strikes; tasks without a
# file have no defect, no cuts and no clip.
start_sim --time-scale 0.001 --fault clip-merged-shots=1 --fault clip-silent=1 --fault clip-black=1
get_clip "$MULTI"
is "$(jqv "$REC" .defect)" clip-black "several clip faults: the first in the list strikes (clip-black)"
is "$(jqv "$REC" .sha256)" "$black_sha" "the same file as under clip-black alone (from the cache)"
start_sim --time-scale 0.001 --fault task-failed=1 --fault clip-black=1
post_task "$SINGLE"
wait_done "$TASK"
is "$(curl -s "$SIM_URL/_sim/tasks" | jq -c '.tasks[0] | [.outcome, .defect, .cuts, .clip]')" '["failed",null,null,null]' \
    "a failed task: no defect, cuts or clip"

# The defect is part of the cache key: a new sim on the same cache serves the
# clean clip without the fault and the black one with it.
start_sim --time-scale 0.001
get_clip "$MULTI"
is "$(jqv "$REC" .sha256)" "$clean_sha" "the clean clip again, not the cached black one"
ls "$SIM_CACHE" | grep -q '_black_'
ok $? "the cache holds the black clip under its own name"

# Drawn per task under --seed: the same run meets the same defects; every
# defect recorded is the one measured. mixed_run sets DEFECTS.
mixed_run() {
    start_sim --time-scale 0.001 --seed 9 --fault clip-black=0.2 --fault clip-frozen=0.2 --fault clip-silent=0.2 \
        --fault clip-short=0.2 --fault clip-wrong-aspect=0.2 --fault clip-merged-shots=0.5
    local n
    for n in 1 2 3 4 5 6 7 8; do
        post_task "{$GEN,\"multi_shots\":true,\"multi_prompt\":[{\"prompt\":\"m$n\",\"duration\":1},{\"prompt\":\"n$n\",\"duration\":1},{\"prompt\":\"o$n\",\"duration\":2}]}"
    done
    DEFECTS=$(curl -s "$SIM_URL/_sim/tasks" | jq -c '[.tasks[] | .defect]')
}
mixed_run
first=$DEFECTS
mixed_run
second=$DEFECTS
is "$second" "$first" "the same seed gives the same defects: $first"
is "$(jqv "$first" 'unique | length')" 7 "under seed 9 the 8 tasks meet all six defects, and one is clean"
# measured FACTS: the defect a checker infers from the measures of a 4 s,
# 16:9, sound, 3-shot clip (cuts at 1 and 2 s).
measured() {
    jq -rn --argjson f "$FACTS" '
        if $f.black >= 0.8 * $f.duration then "clip-black"
        elif $f.frozen >= 0.8 * $f.duration then "clip-frozen"
        elif $f.silent >= $f.duration - 0.1 then "clip-silent"
        elif $f.duration <= 3 then "clip-short"
        elif $f.width * 9 != $f.height * 16 then "clip-wrong-aspect"
        elif ($f.cuts | length) < 2 then "clip-merged-shots"
        else "none" end'
}
wrong=
for id in $(curl -s "$SIM_URL/_sim/tasks" | jq -r '.tasks[].task_id'); do
    TASK=$id
    FILE=$SCRATCH/$id.mp4
    fetch "$(wait_url "$id")" "$FILE"
    FACTS=$(clip_facts "$FILE")
    want=$(curl -s "$SIM_URL/_sim/tasks" | jq -r --arg id "$id" '.tasks[] | select(.task_id == $id) | .defect // "none"')
    [ "$(measured)" = "$want" ] || wrong="$wrong $id:$want/$(measured)"
done
is "$wrong" "" "every task's measured defect is the recorded one (precision and recall 1)"
done_testing
