#!/usr/bin/env bash
# Every recipe in recipes/ runs as written against hh-sim: hh check passes,
# hh run makes every clip (real videos) and a manifest line for each job.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
start_sim --time-scale 0.001 --palette 4
hh_env

n=0
for recipe in "$ROOT"/recipes/*.yaml "$ROOT"/recipes/*.lua; do
    name=$(basename "$recipe")
    n=$((n + 1))
    run_hh check "$recipe"
    is "$RC" 0 "$name: hh check passes"
    [ "$RC" = 0 ] || diag "$ERR"
    out=$SCRATCH/runs/$name
    run_hh run "$recipe" --out "$out" -q
    is "$RC" 0 "$name: hh run succeeds"
    [ "$RC" = 0 ] || diag "$ERR"
    planned=$( "$HH" plan "$recipe" --json | jq '.jobs | length')
    done_jobs=$(jq -s '[.[] | select(.state == "done" and .rerun_of == null)] | length' "$out/manifest.jsonl")
    ok "$(test "$done_jobs" -ge "$planned"; echo $?)" "$name: every planned job is done ($done_jobs of $planned)"
    bad=0
    for f in $(jq -r 'select(.state == "done") | .file' "$out/manifest.jsonl" | tr ' ' '?'); do
        set -- "$out"/$f
        [ "$(ffprobe_field "$1" stream=codec_name)" = h264 ] || bad=$((bad + 1))
    done
    is "$bad" 0 "$name: every file is a real video"
done
ok "$(test "$n" -ge 8; echo $?)" "all $n example recipes ran"
is "$(jq -s 'map(select(.variant == "after")) | length' "$SCRATCH/runs/refine.lua/manifest.jsonl")" 2 "refine.lua's after() made two more clips from the best one"
done_testing
