#!/bin/sh
# demo.sh - `make demo`: starts hh-sim on a free loopback port with a
# throwaway key, runs recipes/ab.yaml through hh against it, and leaves real
# video files, the journal, manifest.jsonl and report.html in runs/demo. It
# never uses a real API key, so it never spends credits.
set -eu
build=$1
out=runs/demo
mkdir -p runs
key=demo-$(od -An -N6 -tx8 /dev/urandom | tr -d ' ')
urlfile=$(mktemp)
"$build/hh-sim" --port 0 --key "$key" --time-scale 0.05 --seed 7 > "$urlfile" &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null; rm -f "$urlfile"' EXIT INT TERM
tries=0
while [ ! -s "$urlfile" ] && [ $tries -lt 250 ]; do sleep 0.02; tries=$((tries + 1)); done
url=$(head -n 1 "$urlfile")
[ -n "$url" ] || { echo "demo: hh-sim did not start" >&2; exit 1; }
echo "demo: hh-sim listening at $url (renders scaled to 5% of real time)"
"$build/hh" plan recipes/ab.yaml --out "$out" | tail -n 2
HH_BASE_URL=$url HH_API_KEY=$key HH_SETTINGS=rate=50,poll_min_interval=0.05,poll_max_interval=0.75 \
    "$build/hh" run recipes/ab.yaml --out "$out"
echo "demo: open $out/report.html (grid, A/B, blind judging); videos, manifest.jsonl and journal.db are beside it"
ls -l "$out"
