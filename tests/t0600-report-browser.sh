#!/usr/bin/env bash
# The report in a real browser: an A/B run of a 2x2 sweep with 2 samples
# against hh-sim, hh report, then tests/browser/report.test.js drives
# Debian's headless Chromium through playwright-core: the grid's cells for
# the chosen axes, a video that plays, synchronised playback and scrubbing,
# other axes and pages, the A/B view, blind votes from the keyboard and the
# ranking, exported votes imported with hh votes import into a regenerated
# report; a run of refused jobs and reruns shows their reasons; posters,
# filmstrips, badges and the flagged filter of a run with black clips
# (tests/browser/checks.test.js); the axes the grid opens on for
# recipes/sweep.yaml, recipes/ab.yaml and a rows-only recipe, prompts and
# their differences, the readout, dark mode, a 390 px wide screen, filters
# and sorts (tests/browser/layout.test.js); the grid's Grid image button over
# http and from a file (tests/browser/grid-image.test.js); a page opened
# while its run goes on picks new results up, keeping its place and votes
# (tests/browser/live.test.js); blind judging of four variants: nothing
# on screen names one, pairs chosen where a vote decides most and spread
# over cells and samples, the votes each place needs (tests/browser/
# judge.test.js); a short run of tests/bench/bench-judge.js. HH_SCREENSHOTS=DIR
# saves the pictures of docs/report.md there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"

BROWSER_DIR=$TESTS_DIR/browser
if [ -n "${HH_SCREENSHOTS:-}" ]; then
    HH_SCREENSHOTS=$(cd "$HH_SCREENSHOTS" && pwd) || bail "HH_SCREENSHOTS: no directory $HH_SCREENSHOTS"
    export HH_SCREENSHOTS
fi
CHROMIUM=${HH_CHROMIUM:-/usr/bin/chromium}

# What this test needs is installed by `make test` (runtime/tools/ensure-deps.sh
# test, then npm ci here); when it is missing the test fails, saying what.
[ -x "$CHROMIUM" ] || bail "no Chromium at $CHROMIUM: install Debian's chromium (make test does: runtime/tools/ensure-deps.sh test)"
command -v node > /dev/null || bail "no node: install Debian's nodejs and npm (make test does: runtime/tools/ensure-deps.sh test)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
# playwright-core is pinned to the last release that runs on Debian 12's
# Node.js 18 (1.62 and later need 20).
[ "$node_major" -ge 18 ] || bail "playwright-core needs Node.js 18 or later; this is $(node --version)"
wanted=$(node -p "require('$BROWSER_DIR/package.json').dependencies['playwright-core']")
installed=$(node -p "try { require('$BROWSER_DIR/node_modules/playwright-core/package.json').version } catch (e) { '' }")
if [ "$installed" != "$wanted" ]; then
    command -v npm > /dev/null || bail "no npm: install Debian's npm (make test does: runtime/tools/ensure-deps.sh test)"
    diag "installing playwright-core in tests/browser (npm ci)"
    if ! (cd "$BROWSER_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund) > "$SCRATCH/npm.log" 2>&1; then
        sed 's/^/# npm: /' "$SCRATCH/npm.log"
        bail "npm ci failed in tests/browser: it needs the npm registry (and nothing else)"
    fi
fi
ok 0 "Chromium, Node.js $(node --version) and playwright-core are here"

cd "$SCRATCH"
start_sim --time-scale 0.002 --palette 4
hh_env
cat > grid-ab.yaml <<'Y'
name: film-grid-ab
prompt: "A street market at {time} in {weather}, handheld camera"
sweep:
  time: [dawn, dusk]
  weather: [clear, rain]
seed: auto
samples: 2
compare:
  plain: "{prompt}"
  film: "{prompt}, shot on 35mm film, grain"
output: "{time}-{weather}-{variant}-{sample}.mp4"
Y
run_hh run grid-ab.yaml --out run -q
is "$RC" 0 "the A/B run of a 2x2 sweep with 2 samples succeeds"
is "$(jq -s 'map(select(.state == "done")) | length' run/manifest.jsonl)" 16 "sixteen clips"
run_hh report run
is "$RC" 0 "hh report writes the report"

# A run where every job and its rerun is rejected, with one variant.
start_sim --time-scale 0.002 --fault task-policy=1
hh_env
cat > refused.yaml <<'Y'
name: all-refused
prompt: "a {thing} on a table"
sweep:
  thing: [cup, bowl]
rerun:
  - when: policy
    set: {prompt: "{prompt}, family friendly"}
output: "{thing}.mp4"
Y
run_hh run refused.yaml --out refused -q
is "$RC" 4 "a run whose jobs and reruns are all refused"
stop_sim

# Media checks: a run where some clips are black (hh-sim's clip-black fault).
start_sim --time-scale 0.002 --palette 4 --fault clip-black=0.4 --seed 3
hh_env
cat > qc.yaml <<'Y'
name: qc-report
prompt: "a lighthouse {n}"
sweep:
  n: [1, 2, 3, 4]
compare:
  plain: "{prompt}"
  film: "{prompt}, on film"
output: "{n}-{variant}.mp4"
Y
run_hh run qc.yaml --out qcrun -q
is "$(jq -s 'map(select(.qc.flags == ["black"])) | length > 0' qcrun/manifest.jsonl)" true "a run with black clips, flagged"
stop_sim

# The layout (tests/browser/layout.test.js): recipes/sweep.yaml and
# recipes/ab.yaml as written, a rows-only recipe, and a run of done, failed,
# unknown and black clips for the filters and sorts.
start_sim --time-scale 0.002 --palette 4
hh_env
cp "$ROOT/recipes/sweep.yaml" "$ROOT/recipes/ab.yaml" .
run_hh run sweep.yaml --out sweep -q
is "$RC:$(jq -s 'length' sweep/manifest.jsonl)" "0:8" "recipes/sweep.yaml runs: 7 cells of the grid and one row"
run_hh run ab.yaml --out ab -q
is "$RC:$(jq -s 'length' ab/manifest.jsonl)" "0:8" "recipes/ab.yaml runs: 2 cells, 2 variants, 2 samples"
cat > rows-only.yaml <<'Y'
name: rows-only
prompt: "a {thing} in {style} style"
rows:
  - {thing: cup, style: noir}
  - {thing: bowl, style: pastel}
  - {thing: vase, style: noir}
compare:
  plain: "{prompt}"
  bold: "{prompt}, bold colours"
output: "{thing}-{variant}.mp4"
Y
run_hh run rows-only.yaml --out rows -q
is "$RC" 0 "a recipe of rows only runs"
stop_sim
start_sim --time-scale 0.002 --palette 4 --seed 4 --fault task-policy=0.2 --fault submit-malformed=0.15 --fault clip-black=0.3
hh_env
cat > mixed.yaml <<'Y'
name: mixed-states
prompt: "a {animal} in a {place}, {light} light"
sweep:
  animal: [fox, owl, hare, deer]
  place: [forest, meadow, snowfield]
  light: [soft]
output: "{animal}-{place}.mp4"
Y
run_hh run mixed.yaml --out mixed -q
is "$(jq -s '[(map(.state) | unique), (map(select(.qc.flagged)) | length > 0)]' -c mixed/manifest.jsonl)" \
    '[["done","failed","unknown"],true]' "a run with done, failed, unknown and flagged jobs"
# Blind judging: four variants over two cells and two samples (their clips
# mostly differ; two that are the same bytes share their blind name).
start_sim --time-scale 0.002 --palette 64
hh_env
cat > judge.yaml <<'Y'
name: judge-four
prompt: "a {place} at noon"
sweep:
  place: [harbor, meadow]
seed: auto
samples: 2
compare:
  amber: "{prompt}, warm light"
  cobalt: "{prompt}, cold light"
  dune: "{prompt}, dry air"
  ember: "{prompt}, low sun"
output: "{place}-{variant}-{sample}.mp4"
Y
run_hh run judge.yaml --out judgerun -q
is "$RC" 0 "a run of four variants to judge"
stop_sim

# browser SCRIPT: runs a test script, its "ok - ..." lines as TAP.
browser() {
    node "$BROWSER_DIR/$1" > "$SCRATCH/browser.out" 2> "$SCRATCH/browser.err"
    local status=$?
    while IFS= read -r line; do
        case "$line" in
            "ok - "*) ok 0 "${line#ok - }" ;;
            "not ok - "*) ok 1 "${line#not ok - }" ;;
            "#"*) printf '%s\n' "$line" ;;
        esac
    done < "$SCRATCH/browser.out"
    [ -s "$SCRATCH/browser.err" ] && sed 's/^/# stderr: /' "$SCRATCH/browser.err" | head -n 40
    is "$status" 0 "$1 ran to its end and passed"
}

export HH SCRATCH RUN_DIR=$SCRATCH/run FAILED_DIR=$SCRATCH/refused QC_DIR=$SCRATCH/qcrun JUDGE_DIR=$SCRATCH/judgerun HH_CHROMIUM=$CHROMIUM
export SWEEP_DIR=$SCRATCH/sweep AB_DIR=$SCRATCH/ab ROWS_DIR=$SCRATCH/rows MIXED_DIR=$SCRATCH/mixed
browser report.test.js
browser checks.test.js
browser layout.test.js
browser grid-image.test.js

# A run still going on: an open report picks its new results up.
start_sim --time-scale 0.1 --render-sigma 0.5 --palette 2
hh_env
cat > live.yaml <<'Y'
name: live
prompt: "a kite over {place}"
sweep:
  place: [dunes, cliffs, a harbour, a field]
compare:
  calm: "{prompt}"
  storm: "{prompt}, in a storm"
Y
"$HH" run live.yaml --out liverun -q > live.out 2>&1 &
live_pid=$!
for _ in $(seq 300); do [ -s liverun/report.html ] && break; sleep 0.05; done
export LIVE_DIR=$SCRATCH/liverun
browser live.test.js
wait "$live_pid"
is "$?" 0 "the run the page followed succeeded"
stop_sim
browser judge.test.js

# The benchmark of the pair choice (make bench runs it in full), on a few
# seeds: active choice needs at most a third of the random order's votes,
# with as many right winners. The seeds are fixed, so this is deterministic.
bench=$(node "$TESTS_DIR/bench/bench-judge.js" "$HH" --seeds 20) || bail "tests/bench/bench-judge.js failed"
result=$(printf '%s\n' "$bench" | sed -n 's/^result //p')
printf '%s\n' "$bench" | sed 's/^/# /'
eval "$(printf '%s\n' "$result" | tr ' ' '\n' | grep -E '^[a-z_]+=[0-9.]+$')"
ok "$(awk -v a="$active_median" -v r="$random_median" 'BEGIN { exit !(a * 3 <= r) }'; echo $?)" \
    "the pair choice needs at most a third of the random order's votes ($active_median against $random_median, 20 seeds)"
ok "$( [ "$active_right" -ge "$random_right" ]; echo $?)" "and picks the right winner as often ($active_right and $random_right of 20)"
done_testing
