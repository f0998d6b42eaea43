#!/usr/bin/env bash
# Ground truth for the media checks: hh-sim serves black, frozen, silent,
# short, wrong-aspect and merged-shot clips (its clip-* faults) and records
# which task got which in /_sim/tasks. Every defective clip must be flagged
# with its reason and nothing else, and no clean clip flagged: precision and
# recall 100%. A rerun rule over a check fires, is paid once and fits the
# budget.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"
start_sim --time-scale 0.002 --palette 2 --seed 11 \
    --fault clip-black=0.12 --fault clip-frozen=0.12 --fault clip-silent=0.12 --fault clip-short=0.12 \
    --fault clip-wrong-aspect=0.12 --fault clip-merged-shots=0.7
hh_env

cat > single.yaml <<'Y'
name: single
prompt: "a lighthouse {n}"
sweep:
  n: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
  sound: [true, false]
Y
cat > shots.yaml <<'Y'
name: shots
multi_shots: true
sweep:
  n: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
multi_prompt:
  - {prompt: "a ship {n} at dawn", duration: 2}
  - {prompt: "the ship {n} in a storm", duration: 2}
  - {prompt: "the ship {n} in harbour", duration: 2}
Y
run_hh run single.yaml --out single -q
is "$RC" 0 "32 single-shot jobs, sound on and off, under every clip fault"
run_hh run shots.yaml --out shots -q
is "$RC" 0 "12 three-shot jobs"
curl -s "$SIM_URL/_sim/tasks" > tasks.json

# Each job: what the sim did to its clip, and what hh flagged.
cat single/manifest.jsonl shots/manifest.jsonl | jq -s -c --slurpfile t tasks.json '
  ($t[0].tasks | map({key: .task_id, value: {defect: (.defect // "clean"), cuts: .cuts}}) | from_entries) as $sim
  | .[] | {job, defect: $sim[.task_id].defect, sim_cuts: $sim[.task_id].cuts, flags: (.qc.flags | join(",")),
           cuts: .qc.cuts, error: .qc.error, reasons: .qc.reasons}' > verdicts.jsonl
is "$(jq -s 'map(select(.error != null)) | length' verdicts.jsonl)" 0 "every clip was checked"
want='{"clean":"","clip-black":"black","clip-frozen":"frozen","clip-silent":"silent","clip-short":"duration","clip-wrong-aspect":"aspect","clip-merged-shots":"shots_merged"}'
for d in clip-black clip-frozen clip-silent clip-short clip-wrong-aspect clip-merged-shots clean; do
    n=$(jq -s --arg d "$d" 'map(select(.defect == $d)) | length' verdicts.jsonl)
    ok "$([ "$n" -gt 0 ]; echo $?)" "the sim served $n clip(s) with $d"
done
wrong=$(jq -s -c --argjson want "$want" 'map(select(.flags != $want[.defect]))' verdicts.jsonl)
is "$wrong" "[]" "every clip flagged exactly as its defect says, and no clean clip flagged"
read -r tp fp fn <<< "$(jq -s -r --argjson want "$want" '
  [ (map(select(.defect != "clean" and .flags == $want[.defect])) | length),
    (map(select(.flags != "" and .flags != $want[.defect])) | length),
    (map(select(.defect != "clean" and .flags == "")) | length) ] | @tsv' verdicts.jsonl)"
diag "$tp defective clips found, $fp wrongly flagged, $fn missed: precision $(awk -v a="$tp" -v b="$fp" 'BEGIN { print a / (a + b) }'), recall $(awk -v a="$tp" -v b="$fn" 'BEGIN { print a / (a + b) }')"
like "$(jq -s -r 'map(select(.defect == "clip-black")) | .[0].reasons' verdicts.jsonl)" "^is black for (9[0-9]|100)% of its length$" \
    "a black clip's reason"
like "$(jq -s -r 'map(select(.defect == "clip-merged-shots")) | .[0].reasons' verdicts.jsonl)" \
    "^1 cut\(s\) found, 3 shots asked for \(2 cuts\): shots were merged$" "a merged-shot clip's reason"
like "$(jq -s -r 'map(select(.defect == "clip-short")) | .[0].reasons' verdicts.jsonl)" "^lasts 2\.[0-9]+ s; 5 s was asked for$" \
    "a short clip's reason"
# The cuts of every multi-shot clip whose picture the sim left whole.
is "$(jq -s -c 'map(select((.sim_cuts | length) == 2)) | map([.cuts, .sim_cuts] | transpose
      | all(.[0] - .[1] | fabs < 0.2) and (.[0] | length) == 2) | unique' verdicts.jsonl)" "[true]" \
    "a multi-shot clip with its shots: both cuts found where the sim put them (within 0.2 s)"

# A rerun rule over a check: every clip black, one rerun each, within budget.
start_sim --time-scale 0.002 --palette 2 --fault clip-black=1
hh_env
cat > rerun.yaml <<'Y'
name: rerun-black
prompt: "a horse {n}"
sweep:
  n: [1, 2, 3]
rerun:
  - when: "qc.black > 0.3 or not qc.audio"
    set: {seed: new}
budget: 1800
Y
run_hh plan rerun.yaml
like "$OUT" "900 credits, up to 1800 with reruns" "the plan's worst case counts the rule over the checks"
run_hh run rerun.yaml --out rb -q
is "$(jqv "$(sim_stats)" .accepted)" 6 "each black clip is rerun once: 6 tasks paid, within the budget of 1800"
is "$(jq -s 'map(select(.rerun_of != null and .qc.flags == ["black"])) | length' rb/manifest.jsonl)" 3 \
    "the reruns are checked too (still black: max 1 stops them)"
run_hh show rb
like "$OUT" "checks: 6 of 6 clips checked, 6 flagged \(black 6\)" "hh show counts them by flag"

done_testing
