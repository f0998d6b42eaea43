#!/usr/bin/env bash
# hh qc FILE...: media checks of clips made here with ffmpeg, each with one
# known defect, and of hostile files: truncated, garbage, a playlist posing
# as an MP4, a decoder that crashes or hangs. A check that cannot finish is
# an error for that clip only; the others are still checked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"

enc() { # enc OUT VIDEO-SOURCE [AUDIO-SOURCE]
    local out=$1 v=$2 a=${3:-}
    if [ -n "$a" ]; then
        ffmpeg -nostdin -v error -y -f lavfi -i "$v" -f lavfi -i "$a" -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
            -c:a aac -shortest "$out"
    else
        ffmpeg -nostdin -v error -y -f lavfi -i "$v" -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$out"
    fi
}
moving="gradients=s=320x180:r=24:d=5:speed=0.02:c0=0xd03020:c1=0x2060d0"
tone="sine=f=330:d=5"
enc clean.mp4 "$moving" "$tone"
enc black.mp4 "color=black:s=320x180:r=24:d=5" "$tone"
enc frozen.mp4 "smptebars=s=320x180:r=24:d=5" "$tone"
enc silent.mp4 "$moving" "anullsrc=r=48000:cl=stereo:d=5"
enc mute.mp4 "$moving"
enc short.mp4 "gradients=s=320x180:r=24:d=2:speed=0.02" "sine=f=330:d=2"
enc square.mp4 "gradients=s=240x240:r=24:d=5:speed=0.02" "$tone"
enc slow.mp4 "gradients=s=320x180:r=10:d=5:speed=0.02" "$tone"
ffmpeg -nostdin -v error -y -f lavfi -i "gradients=s=320x180:r=24:d=2:speed=0.02:c0=red:c1=blue[a];gradients=s=320x180:r=24:d=3:speed=0.02:c0=green:c1=yellow[b];[a][b]concat=n=2:v=1:a=0" \
    -f lavfi -i "$tone" -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -t 5 twoshots.mp4

run_hh qc clean.mp4
is "$RC" 0 "a clean clip passes: exit 0"
like "$OUT" "^clean.mp4: ok \(5.0[0-9] s, 320×180, 24 fps, h264/aac, black 0%, frozen 0%, silent 0%, -[0-9.]+ LUFS, 0 cut\(s\)\)$" \
    "and its measures are printed"

expect_flag() { # expect_flag FILE OPTIONS FLAG REASON-REGEX
    local f=$1 o=$2 flag=$3 re=$4
    # shellcheck disable=SC2086
    run_hh qc --json $o "$f"
    is "$RC" 4 "$f: exit 4 when flagged"
    is "$(jqv "$OUT" .flags)" "$flag" "$f: flagged $flag and nothing else"
    like "$(jqv "$OUT" .reasons)" "$re" "$f: the reason says what is wrong"
}
expect_flag black.mp4 "" black "^is black for 100% of its length$"
expect_flag frozen.mp4 "" frozen "^is one still picture for 100% of its length$"
expect_flag silent.mp4 "" silent "^is silent for 100% of its length$"
expect_flag mute.mp4 "--sound" no_audio "^has no audio track; sound was asked for$"
expect_flag clean.mp4 "--no-sound" unexpected_audio "^has an audio track; sound: false was asked for$"
expect_flag short.mp4 "--duration 5" duration "^lasts 2.0[0-9] s; 5 s was asked for$"
expect_flag square.mp4 "--aspect 16:9" aspect "^is 240×240; 16:9 was asked for$"
expect_flag slow.mp4 "" fps "^plays at 10 frames a second \(fewer than 20\)$"

run_hh qc --json mute.mp4
is "$RC" 0 "a clip without sound passes when nothing was said about sound"
run_hh qc --json twoshots.mp4
is "$(jqv "$OUT" '.cuts | map(. * 10 | round) | tostring')" "[20]" "a hard cut is found at its time (2.0 s)"
is "$(jqv "$OUT" .flagged)" false "a cut in a clip that asked for no shots is not a defect"

run_hh qc --set black_max=1 --set frozen_max=1 --json black.mp4
is "$(jqv "$OUT" .flagged)" false "thresholds come from --set"
run_hh qc --set blak_max=1 clean.mp4
is "$RC" 2 "an unknown setting is a usage error"
is "$ERR" "hh: qc: --set blak_max: unknown check setting (did you mean 'black_max'?)" "and says which and what was meant"
run_hh qc --set black_max=2 clean.mp4
is "$ERR" "hh: qc: --set black_max: must be from 0 to 1" "an out-of-range setting names its range"
run_hh qc nowhere.mp4
is "$ERR" "hh: qc: nowhere.mp4: no such file" "a missing file"
run_hh qc
is "$RC" 2 "nothing to check is a usage error"

# --- hostile and broken files ---------------------------------------------
head -c 20000 clean.mp4 > truncated.mp4
head -c 100000 /dev/urandom > garbage.mp4
printf '#EXTM3U\n#EXT-X-TARGETDURATION:5\n#EXTINF:5,\nfile://%s/clean.mp4\n#EXT-X-ENDLIST\n' "$SCRATCH" > playlist.mp4
run_hh qc truncated.mp4 garbage.mp4 playlist.mp4 clean.mp4
is "$RC" 4 "broken files: exit 4"
like "$OUT" "truncated.mp4: not checked: ffprobe failed \(exit 1\)" "a truncated file is a check error"
like "$OUT" "garbage.mp4: not checked: ffprobe failed \(exit 1\)" "so is garbage"
like "$OUT" "playlist.mp4: not checked: ffprobe failed" "a playlist posing as an MP4 is not followed"
like "$OUT" "clean.mp4: ok" "and the clean clip beside them is still checked"

# Tools that crash or hang: stand-ins first in PATH, run for real.
mkdir bin
cat > bin/ffmpeg <<'S'
#!/bin/sh
kill -SEGV $$
S
cat > bin/ffprobe <<S
#!/bin/sh
case "\$*" in *hang*) echo \$\$ > "$SCRATCH/hung.pid"; exec sleep 30 ;; esac
exec /usr/bin/ffprobe "\$@"
S
chmod +x bin/ffmpeg bin/ffprobe
cp clean.mp4 hang.mp4
start=$(date +%s)
PATH=$SCRATCH/bin:$PATH run_hh qc --set timeout=1 --json hang.mp4 clean.mp4
took=$(( $(date +%s) - start ))
is "$(printf '%s\n' "$OUT" | jq -r 'select(.file == "hang.mp4") | .error')" "ffprobe did not finish in time" \
    "a tool past its time is killed: a check error for that clip"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.file == "clean.mp4") | .error')" "ffmpeg (picture) crashed (signal 11)" \
    "a tool that crashes: a check error for that clip"
ok "$([ "$took" -lt 10 ]; echo $?)" "and hh does not wait for a hung tool ($took s)"
hung=$(cat "$SCRATCH/hung.pid" 2>/dev/null)
ok "$([ -n "$hung" ] && ! kill -0 "$hung" 2>/dev/null; echo $?)" "the hung tool is gone (pid ${hung:-none})"

done_testing
