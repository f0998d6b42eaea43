#!/usr/bin/env bash
# The report while the run is alive: hh run rewrites report.html and
# report-live.html atomically as results arrive, at most every 3 s, and
# the last write says the run is over; hh view and hh run --open open the
# page with xdg-open (a stand-in that records what it was given).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"
# Renders of 1 to 7 s: results land over several rewrites.
start_sim --time-scale 0.06 --render-sigma 0.6 --palette 2
hh_env

live_json() { sed -n 's|^<script type="application/json" id="hh-live">\(.*\)</script>$|\1|p' "$1"; }

cat > slow.yaml <<'Y'
name: slow
prompt: "a horse {n}"
sweep:
  n: [1, 2, 3, 4, 5, 6]
output: "{n}.mp4"
Y
"$HH" run slow.yaml --out live -q > run.out 2> run.err &
pid=$!
seen=""
bad=0
while kill -0 "$pid" 2>/dev/null; do
    if [ -s live/report-live.html ]; then
        j=$(live_json live/report-live.html)
        # Every read finds a whole page: written atomically.
        printf '%s' "$j" | jq -e . > /dev/null 2>&1 || bad=1
        line=$(printf '%s' "$j" | jq -r '"\(.stamp) \(.live) \(.done)"' 2>/dev/null)
        case " $seen " in *" $line "*) ;; *) seen="$seen $line" ;; esac
    fi
    sleep 0.2
done
wait "$pid"
is "$?" 0 "the run succeeds"
ok $bad "report-live.html is always a whole page (written atomically)"
diag "seen (stamp live done):$seen"
live_states=$(printf '%s\n' $seen | paste - - - | awk '$2 == "true" { print $3 }' | sort -un | tr '\n' ' ')
like "$live_states" "^0? ?[1-5] " "while the run is alive, the page has some results and not all"
stamps=$(printf '%s\n' $seen | paste - - - | awk '{ print $1 }' | sort -un | wc -l)
ok "$([ "$stamps" -ge 2 ]; echo $?)" "it is rewritten as results arrive ($stamps versions seen)"
final=$(live_json live/report-live.html)
is "$(printf '%s' "$final" | jq -r '"\(.live) \(.done) \(.jobs)"')" "false 6 6" \
    "the last write says the run is over, with every result"
like "$(grep -o '"live":[a-z]*' live/report.html | head -n 1)" '"live":false' "and report.html says so too"
like "$(grep -o 'frame-src [^;]*' live/report.html)" "frame-src \*" "the report may frame the live page"

# At most one rewrite every 3 s: a 40-job run landing within a few seconds.
start_sim --time-scale 0.02 --palette 2
hh_env
cat > many.yaml <<'Y'
name: many
prompt: "a horse {n}"
sweep:
  n: {from: 1, to: 40, step: 1}
concurrency: 40
Y
t0=$(date +%s.%N)
HH_STATS=$SCRATCH/stats.json run_hh run many.yaml --out many -q
t1=$(date +%s.%N)
writes=$(live_json many/report-live.html | jq .stamp)
most=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) / 3 + 2 }')
ok "$([ "$writes" -le "$most" ]; echo $?)" "$writes rewrites in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s: at most one every 3 s (and the last)"

# hh view, hh report --open, hh run --open.
mkdir bin
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >> "%s/opened"\n' "$SCRATCH" > bin/xdg-open
chmod +x bin/xdg-open
PATH=$SCRATCH/bin:$PATH run_hh view many
is "$RC" 0 "hh view opens the report"
is "$(cat opened)" "file://$SCRATCH/many/report.html" "with xdg-open, as a file:// address"
rm -f opened
PATH=$SCRATCH/bin:$PATH run_hh report many --open
is "$(cat opened)" "file://$SCRATCH/many/report.html" "hh report --open too"
rm -f opened
PATH=$SCRATCH/bin:$PATH run_hh run many.yaml --out many2 -q --open
is "$(cat opened)" "file://$SCRATCH/many2/report.html" "hh run --open opens the page once it exists"
mkdir empty
ln -s "$(command -v cat)" empty/cat
PATH=$SCRATCH/empty run_hh view many
is "$RC" 4 "without xdg-open hh view fails"
is "$ERR" "hh: no xdg-open here (Debian package xdg-utils); open file://$SCRATCH/many/report.html in a browser" \
    "and says what to open instead"

done_testing
