#!/usr/bin/env bash
# hh-sim's clean clips pass the media checks a client runs on a download,
# measured with the real ffprobe and ffmpeg: the asked duration, the size of
# the asked aspect ratio and resolution, 24 fps, H.264, AAC at 48 kHz exactly
# when sound was asked; not black (blackdetect), not frozen (freezedetect),
# not silent (silencedetect), a plausible loudness; a hard cut at every shot
# boundary of a multi-shot clip (scdet and select's scene score) and nowhere
# else. /_sim/tasks says the same of each clip.
. "$(dirname "$0")/lib.sh"
start_sim --time-scale 0.001

# get_clip JSON: submits, waits, downloads; sets FILE, FACTS (clip_facts) and
# REC (the task's record in /_sim/tasks).
get_clip() {
    post_task "$1"
    FILE=$SCRATCH/$TASK.mp4
    fetch "$(wait_url "$TASK")" "$FILE"
    FACTS=$(clip_facts "$FILE")
    REC=$(curl -s "$SIM_URL/_sim/tasks" | jq -c --arg id "$TASK" '.tasks[] | select(.task_id == $id)')
}

# near A B [TOLERANCE]: |A - B| <= TOLERANCE (default 0.05)
near() { awk -v a="$1" -v b="$2" -v t="${3:-0.05}" 'BEGIN { d = a - b; exit !(d <= t && -d <= t) }'; }

# same_times GOT WANT: two JSON arrays of seconds, equal in length, each
# within 0.2 s.
same_times() {
    jq -en --argjson g "$1" --argjson w "$2" \
        '($g | length) == ($w | length) and ([range($w | length)] | all(($g[.] - $w[.]) | fabs <= 0.2))' > /dev/null
}

# clean JSON WIDTH HEIGHT SECONDS SOUND CUTS: the clip of JSON passes every check.
clean() {
    local json=$1 w=$2 h=$3 secs=$4 sound=$5 cuts=$6 what
    get_clip "$json"
    what="$w×$h ${secs}s sound=$sound"
    is "$(jqv "$FACTS" '"\(.width)x\(.height)"')" "${w}x$h" "$what: ffprobe finds ${w}x$h"
    is "$(jqv "$FACTS" '"\(.video) \(.fps)"')" "h264 24/1" "$what: H.264 at 24 fps"
    near "$(jqv "$FACTS" .duration)" "$secs"
    ok $? "$what: lasts ${secs} s ($(jqv "$FACTS" .duration))"
    is "$(jqv "$FACTS" .frames)" "$((secs * 24))" "$what: $((secs * 24)) frames"
    if [ "$sound" = true ]; then
        is "$(jqv "$FACTS" '"\(.audio) \(.sample_rate)"')" "aac 48000" "$what: an AAC track at 48 kHz"
        is "$(jqv "$FACTS" .silent)" 0 "$what: silencedetect (-50 dB, 1 s) finds no silence"
        is "$(jqv "$FACTS" '.loudness > -30 and .loudness < -10 and .max_volume > -20')" true \
            "$what: loudness $(jqv "$FACTS" .loudness) LUFS, max volume $(jqv "$FACTS" .max_volume) dB"
    else
        is "$(jqv "$FACTS" .audio)" null "$what: no audio stream"
    fi
    is "$(jqv "$FACTS" .black)" 0 "$what: blackdetect (pix_th 0.10, d 0.1) finds no black"
    is "$(jqv "$FACTS" .frozen)" 0 "$what: freezedetect (-60 dB, 2 s) finds no freeze"
    same_times "$(jqc "$FACTS" .cuts)" "$cuts"
    ok $? "$what: scdet finds the cuts $cuts (got $(jqc "$FACTS" .cuts))"
    same_times "$(jqc "$FACTS" .scene_cuts)" "$cuts"
    ok $? "$what: select gt(scene,0.3) finds the same cuts"
    is "$(jqc "$REC" '[.defect, .cuts, .clip]')" \
        "[null,$(jq -cn "$cuts"),{\"width\":$w,\"height\":$h,\"fps\":24,\"duration\":$secs,\"audio\":$sound}]" \
        "$what: /_sim/tasks: no defect, the cuts and the clip as measured"
}

clean "{$GEN,\"prompt\":\"wide\",\"duration\":5}" 320 180 5 true '[]'
clean "{$GEN,\"prompt\":\"tall\",\"duration\":3,\"aspect_ratio\":\"9:16\",\"sound\":false}" 180 320 3 false '[]'
clean "{$GEN,\"prompt\":\"square\",\"duration\":4,\"aspect_ratio\":\"1:1\"}" 240 240 4 true '[]'
clean "{$GEN,\"prompt\":\"a long still sea\",\"duration\":15,\"sound\":false}" 320 180 15 false '[]'
clean "{$GEN,\"prompt\":\"wide hd\",\"duration\":5,\"resolution\":\"720p\"}" 1280 720 5 true '[]'
clean "{$GEN,\"prompt\":\"tall full hd\",\"duration\":3,\"aspect_ratio\":\"9:16\",\"resolution\":\"1080P\",\"sound\":false}" 1080 1920 3 false '[]'
clean "{$GEN,\"prompt\":\"square hd\",\"duration\":3,\"aspect_ratio\":\"1:1\",\"resolution\":\"720p\"}" 720 720 3 true '[]'
is "$(jqv "$REC" '[.aspect_ratio, .resolution, .shots] | map(tostring) | join(" ")')" "1:1 720p 1" \
    "/_sim/tasks names the asked aspect ratio, resolution and shot count"

# Multi-shot: a cut at each boundary, with and without per-shot durations,
# even when two shots have the same prompt (the same look).
clean "{$GEN,\"multi_shots\":true,\"multi_prompt\":[{\"prompt\":\"dawn\",\"duration\":2},{\"prompt\":\"noon\",\"duration\":3},{\"prompt\":\"dusk\",\"duration\":2}]}" \
    320 180 7 true '[2,5]'
is "$(jqv "$REC" .shots)" 3 "three shots"
clean "{$GEN,\"multi_shots\":true,\"duration\":7,\"sound\":false,\"multi_prompt\":[{\"prompt\":\"a\"},{\"prompt\":\"b\"},{\"prompt\":\"c\"}]}" \
    320 180 7 false '[3,5]'
clean "{$GEN,\"multi_shots\":true,\"multi_prompt\":[{\"prompt\":\"same\",\"duration\":3},{\"prompt\":\"same\",\"duration\":3},{\"prompt\":\"other\",\"duration\":4}]}" \
    320 180 10 true '[3,6]'
clean "{$GEN,\"multi_shots\":true,\"aspect_ratio\":\"9:16\",\"resolution\":\"720p\",\"multi_prompt\":[{\"prompt\":\"one\",\"duration\":1},{\"prompt\":\"two\",\"duration\":1},{\"prompt\":\"three\",\"duration\":1},{\"prompt\":\"four\",\"duration\":2}]}" \
    720 1280 5 true '[1,2,3]'
clean "{$GEN,\"multi_shots\":true,\"multi_prompt\":[{\"prompt\":\"only one\"}]}" 320 180 5 true '[]'

# The checks a client may run on a smaller copy find the same: hh scales to
# at most 480 pixels with fast_bilinear before its detectors.
get_clip "{$GEN,\"multi_shots\":true,\"resolution\":\"1080p\",\"multi_prompt\":[{\"prompt\":\"x\",\"duration\":2},{\"prompt\":\"y\",\"duration\":2}]}"
small=$(ffmpeg -hide_banner -nostdin -i "$FILE" -an -vf "scale=w='min(480,iw)':h='min(480,ih)':force_original_aspect_ratio=decrease:flags=fast_bilinear,blackdetect=d=0.1:pix_th=0.1,freezedetect=n=-60dB:d=2,scdet=threshold=10" -f null - 2>&1 |
    tr '\r' '\n' | grep -oE 'black_start|freeze_start|lavfi.scd.time: ?[0-9.]+' | tr '\n' ' ')
is "$small" "lavfi.scd.time: 2 " "1080p, scaled down: one cut at 2 s, no black, no freeze"

# Many looks: each prompt as one shot is neither black nor frozen and
# has no cut; checked on 3 s clips of 8 prompts folded into 8 looks.
start_sim --time-scale 0.001 --palette 8
bad=
for n in $(seq 8); do
    get_clip "{$GEN,\"prompt\":\"look $n\",\"duration\":3,\"sound\":false}"
    [ "$(jqc "$FACTS" '[.black, .frozen, .cuts, .scene_cuts]')" = '[0,0,[],[]]' ] || bad="$bad $n:$(jqc "$FACTS" '[.black, .frozen, .cuts]')"
done
is "$bad" "" "8 prompts: no black, no freeze, no cut"
done_testing
