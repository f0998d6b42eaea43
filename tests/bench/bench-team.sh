#!/usr/bin/env bash
# bench-team.sh - `make bench`, team runs: the makespan of one TEAM_JOBS-job
# sweep (2,000) run by 1, 2 and 4 workers through a PostgreSQL team store,
# against a sim whose rate limit is not binding, and the run directory alone
# (SQLite journal, 1 worker) for comparison; and what the store costs per
# job: its round trips and the time hh spent waiting on them (HH_STATS),
# beside the SQLite journal's statements and time.
set -euo pipefail
build=$1
jobs=${TEAM_JOBS:-2000}
scale=${TEAM_TIME_SCALE:-0.02}
width=${TEAM_CONCURRENCY:-32}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
sim=
trap 'if [ -n "$sim" ]; then kill "$sim" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
# shellcheck source=../lib-pg.sh
. "$here/lib-pg.sh"
key=bench-key

start_sim() {
    rm -f "$work/url"
    "$build/hh-sim" --port 0 --key $key --time-scale "$scale" --seed 11 --rate 5000 \
        --credits 1000000000000 > "$work/url" 2>"$work/sim.err" &
    sim=$!
    for _ in $(seq 250); do [ -s "$work/url" ] && break; sleep 0.02; done
    url=$(head -n 1 "$work/url")
}
stop_sim() { kill "$sim"; wait "$sim" 2>/dev/null || true; sim=; }

# A sweep of `jobs` cells (a x b); TAG makes each run's requests new to the store.
a=$(( (jobs + 39) / 40 ))
{
    echo "hh: 1"
    echo "name: bench-team"
    echo "vars: {tag: t}"
    echo 'prompt: "{tag}: a horse, take {a} of look {b}"'
    echo "sweep:"
    echo "  a: [$(seq -s, 1 "$a")]"
    echo "  b: [$(seq -s, 1 40)]"
    echo "duration: 5"
    echo "concurrency: $width"
    echo "qc: {enabled: false}"
} > "$work/team.yaml"

pg_start
export PGPASSWORD=$PG_PASSWORD HH_API_KEY=$key
export HH_SETTINGS="poll_min_interval=0.01,poll_max_interval=0.25,rate=0"
export XDG_CONFIG_HOME=$work/config

# run_workers N TAG [--store]: N workers at once; prints the makespan.
run_workers() {
    local n=$1 tag=$2 store=${3:-}
    local pids=() t0 t1
    t0=$(date +%s.%N)
    for i in $(seq 1 "$n"); do
        local extra=()
        [ -n "$store" ] && extra=(--store "$PG_URL" --cache "$work/cas")
        HH_BASE_URL=$url HH_PERSON=w$i HH_STATS=$work/stats-$tag-$i.json \
            "$build/hh" run "$work/team.yaml" --set "tag=$tag" --out "$work/$tag-$i" -q "${extra[@]}" \
            > "$work/$tag-$i.log" 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || { echo "a worker failed:"; cat "$work/$tag"-*.log; exit 1; }; done
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'
}

# per_job TAG FIELD: the store's or the journals' figures of a run's workers, per job.
per_job() {
    jq -s --arg f "$2" --argjson jobs "$jobs" '
      (map(.[$f].round_trips // .[$f].statements // 0) | add) as $n
      | (map(.[$f].seconds // 0) | add) as $s
      | "\($n) \($f == "store" | if . then "round trips" else "statements" end) (\($n / $jobs * 10 | round / 10) a job), \($s * 1000 | round / 1000) s (\($s / $jobs * 1e6 | round / 1000) ms a job)"' \
      "$work"/stats-"$1"-*.json | tr -d '"'
}

echo "== team runs: $jobs jobs, renders scaled by $scale, $width in flight per worker, sim limit 5000/s"
start_sim
t=$(run_workers 1 local)
echo "  run directory alone, 1 worker: makespan $t s; journal: $(per_job local journal)"
for n in 1 2 4; do
    t=$(run_workers "$n" "store$n" store)
    accepted=$(curl -s "$url/_sim/stats" | jq '.accepted')
    echo "  team store, $n worker(s): makespan $t s; store: $(per_job "store$n" store); journal: $(per_job "store$n" journal)"
done
echo "  billed: $accepted tasks in all for $((4 * jobs)) jobs (4 runs of $jobs; each job once)"
stop_sim
