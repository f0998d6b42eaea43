#!/usr/bin/env bash
# bench-qc.sh - `make bench`, media checks: the CPU a check and poster of a
# 5 s 1080p clip costs, and a QC_JOBS-job run (1,000) against hh-sim with
# checks on and off: the makespan of its deliveries (first submission to
# last file, from the manifest) and the event loop's longest turn between
# two polls (HH_STATS). The sim's clips are made once first, so both runs
# see a warm sim.
set -euo pipefail
build=$1
jobs=${QC_JOBS:-1000}
scale=${QC_TIME_SCALE:-0.3}
work=$(mktemp -d)
sim=
trap 'if [ -n "$sim" ]; then kill "$sim" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
key=bench-key

echo "== media checks"
ffmpeg -nostdin -v error -y -f lavfi -i "gradients=s=1920x1080:r=24:d=5:speed=0.02" -f lavfi -i "sine=f=440:d=5" \
    -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -shortest "$work/clip1080.mp4"
cpu=()
for i in 1 2 3 4 5; do
    rm -rf "$work/one" && mkdir -p "$work/one"
    # hh qc FILE makes no poster; a run directory's check does: time that.
    /usr/bin/time -f "%U %S" -o "$work/time" "$build/hh" -e "
      local qc, run = require('hh.qc'), require('hh.qc_run')
      local r = run.check_file('$work/clip1080.mp4', {}, qc.settings(), { dir = '$work/one', sha256 = 'x$i', duration = 5 })
      assert(not r.error and r.poster and r.strip, r.error or 'no poster')" >/dev/null
    cpu+=("$(awk '{ printf "%.3f", $1 + $2 }' "$work/time")")
done
median=$(printf '%s\n' "${cpu[@]}" | sort -n | sed -n 3p)
echo "  check + poster + filmstrip of a 5 s 1080p clip: ${median} s CPU (median of 5: ${cpu[*]}; goal < 1 s)"

start_sim() {
    rm -f "$work/url"
    "$build/hh-sim" --port 0 --key $key --time-scale "$scale" --palette 100 --seed 7 --rate 2000 --rate-burst 100 \
        --cache-dir "$work/cache" --credits 1000000000000 > "$work/url" 2>"$work/sim.err" &
    sim=$!
    for _ in $(seq 250); do [ -s "$work/url" ] && break; sleep 0.02; done
    url=$(head -n 1 "$work/url")
}
stop_sim() { kill "$sim"; wait "$sim" 2>/dev/null || true; sim=; }

values=$(seq -s, 1 "$jobs")
recipe() { # recipe FILE ENABLED
    cat > "$1" <<Y
name: qc-bench
prompt: "clip {n}"
sweep:
  n: [$values]
concurrency: $jobs
qc:
  enabled: $2
Y
}
recipe "$work/on.yaml" true
recipe "$work/off.yaml" false

# run NAME RECIPE -> "makespan max_stall wall long_stalls max_stall_at"; each
# run on a fresh sim (one that knew the tasks would answer at once), whose
# clips come from the cache the warm-up run filled.
run() {
    local dir=$work/run-$1
    rm -rf "$dir"
    start_sim
    local t0 t1
    t0=$(date +%s.%N)
    HH_BASE_URL=$url HH_API_KEY=$key HH_STATS=$work/stats-$1.json \
        HH_SETTINGS="rate=1500,rate_burst=50,max_transfers=64,poll_min_interval=0.5" \
        "$build/hh" run "$2" --out "$dir" -q > /dev/null 2>"$work/err-$1" || { cat "$work/err-$1" >&2; exit 1; }
    t1=$(date +%s.%N)
    local makespan
    makespan=$(jq -s '(map(.finished_at) | max) - (map(.submitted_at) | min)' "$dir/manifest.jsonl")
    stop_sim
    echo "$makespan $(jq -r '"\(.max_stall) \(.long_stalls) \(.max_stall_at) \(.max_stall_procs) \(.max_procs_work)"' "$work/stats-$1.json") $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}

echo "== a $jobs-job run (sim time scale $scale), the sim's clips made first"
run warm "$work/off.yaml" > /dev/null
read -r off_make off_stall off_long off_at _ _ off_wall <<< "$(run off "$work/off.yaml")"
read -r on_make on_stall on_long on_at on_procs on_work on_wall <<< "$(run on "$work/on.yaml")"
checked=$(jq -s 'map(select(.qc != null and .qc.error == null)) | length' "$work/run-on/manifest.jsonl")
awk -v om="$off_make" -v nm="$on_make" -v os="$off_stall" -v ns="$on_stall" -v ow="$off_wall" -v nw="$on_wall" \
    -v ol="$off_long" -v nl="$on_long" -v oa="$off_at" -v na="$on_at" -v np="$on_procs" -v nw2="$on_work" -v n="$checked" -v j="$jobs" 'BEGIN {
  printf "  without checks: makespan %.2f s, hh run %.1f s; longest loop stall %.1f ms (at %.1f s), %d over 50 ms\n", om, ow, os * 1000, oa, ol
  printf "  with checks:    makespan %.2f s, hh run %.1f s; longest loop stall %.1f ms (at %.1f s), %d over 50 ms; %d of %d clips checked\n", nm, nw, ns * 1000, na, nl, n, j
  printf "  while checks ran: longest loop stall %.1f ms; longest turn spent on the checks themselves %.2f ms (goal < 50 ms)\n", np * 1000, nw2 * 1000
  printf "  makespan with checks / without: %.3f (goal <= 1.02)\n", nm / om
}'
