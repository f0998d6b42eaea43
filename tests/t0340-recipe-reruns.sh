#!/usr/bin/env bash
# Conditional reruns: by failure class and by expression, bounded by max,
# each linked to the job it reruns; a policy rejection is rerun only by a
# rule that names it; the budget stops submissions before it is passed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"

# Each run gets its own directory (a run directory's journal remembers).
n_out=0
next_out() { n_out=$((n_out + 1)); OUTDIR=$SCRATCH/out$n_out; }
manifest() { jq -c "$1" "$OUTDIR/manifest.jsonl"; }

start_sim --time-scale 0.001 --fault task-failed=1
hh_env
cat > failing.yaml <<'Y'
prompt: "a vase"
seed: 5
rerun:
  - when: failed
    max: 2
    set: {seed: new}
Y
next_out
run_hh run failing.yaml --out "$OUTDIR" -q
is "$RC" 4 "a run whose jobs fail exits 4"
is "$(manifest '.state' | tr '\n' ' ')" '"failed" "failed" "failed" ' "a failed task is rerun, at most max (2) times"
first=$(jq -r '.job' "$OUTDIR/manifest.jsonl" | head -n 1)
is "$(manifest '.rerun_of' | tr '\n' ' ')" "null \"$first\" \"$first\" " "each rerun is linked to the job it reruns"
is "$(manifest '.rerun_rule' | tr '\n' ' ')" "null 1 1 " "and to the rule that made it"
seeds=$(manifest '.params.seed' | sort -u | wc -l)
is "$seeds" 3 "set: {seed: new} gives each rerun another seed"
is "$(jqv "$(sim_stats)" .accepted)" 3 "three submissions billed"

start_sim --time-scale 0.001 --fault task-policy=1
hh_env
next_out
run_hh run failing.yaml --out "$OUTDIR" -q
is "$(manifest '[.state, .failure_class] | join(" ")' | tr '\n' ' ')" '"failed policy" ' "a policy rejection is not rerun by a 'failed' rule"
cat > policy.yaml <<'Y'
prompt: "a vase"
rerun:
  - when: policy
    max: 1
    set: {prompt: "a vase of flowers, family friendly"}
Y
next_out
run_hh run policy.yaml --out "$OUTDIR" -q
is "$(manifest '.params.prompt' | tr '\n' '|')" '"a vase"|"a vase of flowers, family friendly"|' "a rule naming policy reruns it, with its changes"

start_sim --time-scale 0.001
hh_env
cat > small.yaml <<'Y'
prompt: "a {thing}"
sweep:
  thing: [cup, bowl]
rerun:
  - when: "status == 'succeeded' and size < 10000000 and thing == 'cup'"
    max: 3
    set: {mode: pro}
Y
next_out
run_hh run small.yaml --out "$OUTDIR" -q
is "$RC" 0 "reruns by expression: the run succeeds"
is "$(manifest '[.cell_values.thing, .params.mode // "std", .state] | join(" ")' | tr '\n' '|')" '"cup std done"|"cup pro done"|"cup pro done"|"cup pro done"|"bowl std done"|' "an expression over the result and the cell triggers reruns, bounded by max"
is "$(ls "$OUTDIR" | grep -v -e '^journal.db' -e '^manifest.jsonl$' -e '^report.html$' -e '^report-live.html$' -e '^posters$' -e '^blind$' | sort | tr '\n' ' ')" "$(jq -r '.file' "$OUTDIR/manifest.jsonl" | sort | tr '\n' ' ')" "each rerun has its own file"
like "$OUT" "^small: 2 done \(0 already\), 0 failed, 0 unknown, 0 pending, 0 skipped, 3 reruns; charged 1800 credits this run;" "the summary counts jobs and reruns"

# The budget stops submissions before it is passed.
cat > tight.yaml <<'Y'
prompt: "a {n}"
sweep:
  n: [1, 2, 3, 4, 5]
budget: 1000
concurrency: 1
Y
run_hh run tight.yaml --out "$SCRATCH/tight" -q
is "$RC" 2 "a worst case above the budget is refused before anything is sent"
sed -i 's/budget: 1000/budget: 1500/' tight.yaml
run_hh run tight.yaml --out "$SCRATCH/tight" -q --set budget=1000
is "$RC" 2 "--set budget=... is checked the same way"
done_testing
