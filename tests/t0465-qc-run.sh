#!/usr/bin/env bash
# Media checks inside hh run against hh-sim: every delivered clip checked,
# its poster and filmstrip made once by sha256, results in the journal, the
# manifest, hh show and hh export; a rerun rule over the checks paid once and
# within the budget; checks kept on resume; an old journal migrated; a run
# without ffmpeg still works and says what to install.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"
start_sim --time-scale 0.002 --palette 2
hh_env

cat > r.yaml <<'Y'
name: qc
prompt: "a horse {n}"
sweep:
  n: [1, 2, 3]
output: "{n}.mp4"
Y
run_hh run r.yaml --out out
is "$RC" 0 "a run with checks succeeds"
is "$(jq -s 'map(select(.qc.flagged == false and .qc.error == null)) | length' out/manifest.jsonl)" 3 \
    "every clip is checked, none flagged"
is "$(jq -s -r 'map(.qc | "\(.duration) \(.width)x\(.height) \(.fps) \(.vcodec)/\(.acodec) \(.audio)") | unique | .[]' out/manifest.jsonl)" \
    "5 320x180 24 h264/aac true" "the manifest has the measures"
posters=$(jq -s -r 'map(.qc.poster, .qc.strip) | unique | .[]' out/manifest.jsonl)
is "$(printf '%s\n' "$posters" | wc -l)" 4 "one poster and one filmstrip per distinct clip (palette 2: two clips)"
bad=0
for p in $posters; do
    [ "$(ffprobe_field "out/$p" stream=codec_name)" = mjpeg ] || bad=1
done
ok $bad "posters and filmstrips are JPEG images"
sha=$(jq -s -r '.[0].sha256' out/manifest.jsonl)
is "$(jq -s -r '.[0].qc.poster' out/manifest.jsonl)" "posters/$sha.jpg" "a poster is named by the clip's sha256"
is "$(ffprobe_field "out/posters/$sha-strip.jpg" stream=width)" 1600 "the filmstrip is ten frames in a row"
run_hh show out
like "$OUT" "checks: 3 of 3 clips checked, 0 flagged" "hh show counts the checks"
run_hh export out --csv
is "$(printf '%s\n' "$OUT" | head -n 1 | tr ',' '\n' | grep -c '^qc_')" 19 "hh export has flat qc_* columns"
col=$(printf '%s\n' "$OUT" | head -n 1 | tr ',' '\n' | grep -n '^qc_black$' | cut -d: -f1)
is "$(printf '%s\n' "$OUT" | sed -n 2p | cut -d, -f"$col")" "0" "and a row's qc_black (numbers as JSON writes them)"

checked_at=$(sqlite3 out/journal.db "SELECT group_concat(checked_at) FROM qc")
run_hh run r.yaml --out out -q
is "$(sqlite3 out/journal.db "SELECT group_concat(checked_at) FROM qc")" "$checked_at" "a cached clip is not checked again"

# A threshold every clean clip fails (the sim's tone is about -22 LUFS).
cat > rerun.yaml <<'Y'
name: qc-rerun
prompt: "a cat {n}"
sweep:
  n: [1, 2]
output: "{n}.mp4"
qc:
  loudness_max: -40
rerun:
  - when: qc_failed
    set: {seed: new}
Y
run_hh plan rerun.yaml
like "$OUT" "600 credits, up to 1200 with reruns" "hh plan's worst case counts the rerun over the checks"
run_hh run rerun.yaml --out rr --budget 1199
is "$RC" 3 "a budget under the worst case is refused before anything is sent"
before=$(jqv "$(sim_stats)" .accepted)
run_hh run rerun.yaml --out rr --budget 1200
is "$(( $(jqv "$(sim_stats)" .accepted) - before ))" 4 "each flagged clip is rerun once: 4 tasks paid"
is "$(jq -s 'map(select(.rerun_of != null)) | length' rr/manifest.jsonl)" 2 "the reruns are linked to their originals"
like "$(jq -s -r '.[0].qc.reasons' rr/manifest.jsonl)" "^loudness -[0-9.]+ LUFS is over -40$" "the reason is in the manifest"
like "$ERR" "flagged +j[0-9a-f]+ 1.mp4: loudness" "hh run prints each flagged clip"
before=$(jqv "$(sim_stats)" .accepted)
run_hh run rerun.yaml --out rr --budget 1200
is "$(( $(jqv "$(sim_stats)" .accepted) - before ))" 0 "a second run pays nothing: reruns and checks come from the journal"

cat > expr.yaml <<'Y'
name: qc-expr
prompt: "a horse"
rerun:
  - when: "qc.loudness > -30 and qc.audio and qc.flags.loud == nil"
Y
before=$(jqv "$(sim_stats)" .accepted)
run_hh run expr.yaml --out ex -q
is "$(( $(jqv "$(sim_stats)" .accepted) - before ))" 2 "an expression over qc measures fires"

# hh qc DIR: again, with other thresholds; the manifest follows.
run_hh qc out --set black_max=0.1 --set loudness_max=-40
is "$RC" 4 "hh qc DIR exits 4 when a clip is flagged"
like "$ERR" "qc: 3 clip\(s\) checked, 3 flagged, 0 could not be checked" "and says how many"
is "$(jq -s 'map(select(.qc.flags == ["loud"])) | length' out/manifest.jsonl)" 3 "the manifest has the new results"
run_hh qc out
is "$RC" 0 "with the recipe's thresholds again, no clip is flagged"
run_hh qc out --set nope=1
is "$ERR" "hh: qc: --set nope: unknown check setting" "an unknown setting is refused"

# A journal of format 2 (before checks) is brought up to date.
cp -r out old
sqlite3 old/journal.db "DROP TABLE qc; UPDATE meta SET value = '2' WHERE key = 'schema'"
run_hh show old
like "$OUT" "checks: 0 of 3 clips checked, 0 flagged, 3 not checked yet \(hh qc DIR checks them\)" \
    "an old journal: hh show says the clips are not checked yet"
is "$(sqlite3 old/journal.db "SELECT value FROM meta WHERE key = 'schema'")" 4 "and the journal is format 4 now"
run_hh qc old
is "$RC" 0 "hh qc DIR checks them"

# Without ffmpeg: the run works, says once what to install.
mkdir -p nobin
ln -s "$(command -v cat)" nobin/cat
PATH=$SCRATCH/nobin run_hh run r.yaml --out noff -q
is "$RC" 0 "without ffmpeg a run still works"
is "$(printf '%s\n' "$ERR" | grep -c 'media checks not done')" 1 "and says so once"
like "$ERR" "hh: media checks not done: ffprobe and ffmpeg are not installed: install the Debian package ffmpeg \(apt-get install ffmpeg\)" \
    "naming the package"
is "$(jq -s 'map(select(.qc == null)) | length' noff/manifest.jsonl)" 3 "the clips have no checks in the manifest"
PATH=$SCRATCH/nobin run_hh qc noff
is "$RC" 1 "hh qc without ffmpeg fails"
run_hh qc noff
is "$RC" 0 "and checks them once ffmpeg is there"

cat > badqc.yaml <<'Y'
name: bad
prompt: "x"
qc:
  blackmax: 0.1
  frozen_max: 2
  enabled: "yes"
Y
run_hh check badqc.yaml
is "$ERR" "badqc.yaml:4:3: qc.blackmax: unknown check setting (did you mean 'black_max'?)
badqc.yaml:5:15: qc.frozen_max: must be from 0 to 1
badqc.yaml:6:12: qc.enabled: must be true or false
hh: badqc.yaml: 3 problems; nothing was sent" "hh check names each bad check setting with file, line and rule"

done_testing
