#!/usr/bin/env bash
# Durable runs: a second run of a finished recipe submits nothing; a changed
# axis value submits only the new cells (and hh plan says so first); kill -9
# at many points, including between a paid answer and its journal entry and
# in the middle of downloads, then resume: every job ends in a final state
# with a reason, no job is billed twice, every file is what the sim served.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"

accepted() { jqv "$(sim_stats)" .accepted; }

start_sim --time-scale 0.002 --palette 4
hh_env
cat > small.yaml <<'Y'
prompt: "a {thing} at {time}"
sweep:
  thing: [cup, bowl, vase]
  time: [dawn, dusk]
output: "{thing}-{time}.mp4"
Y
run_hh run small.yaml --out run1 -q
is "$RC" 0 "a first run succeeds"
is "$(accepted)" 6 "six submissions"
ok "$(test -s run1/journal.db; echo $?)" "the run directory has its journal"
run_hh run small.yaml --out run1 -q
is "$RC" 0 "a second run of the finished recipe succeeds"
is "$(accepted)" 6 "and sends no submission"
like "$OUT" "6 done \(6 already\).*0 credits this run" "every job came from the journal"

sed -i 's/time: \[dawn, dusk\]/time: [dawn, noon]/' small.yaml
run_hh plan small.yaml --out run1
like "$OUT" "against run1: 3 cached, 3 new, 0 changed, 3 removed, 0 pending; only new and changed jobs are billed: 900 credits" "hh plan shows what a change will bill"
run_hh plan small.yaml --out run1 --json
is "$(jqv "$OUT" '[.jobs[].status] | join(" ")')" "cached new cached new cached new" "each job's status"
sed -i 's/prompt: "a {thing} at {time}"/prompt: "one {thing} at {time}"/' small.yaml
run_hh plan small.yaml --out run1
like "$OUT" "0 cached, 3 new, 3 changed, 3 removed" "a changed prompt: the same cells, changed jobs"
sed -i 's/prompt: "one {thing} at {time}"/prompt: "a {thing} at {time}"/' small.yaml
run_hh run small.yaml --out run1 -q
is "$(accepted)" 9 "changing one axis value submits only the new cells"
is "$(jq -s 'length' run1/manifest.jsonl)" 6 "the manifest lists the recipe's jobs as they are now"
sed -i 's/time: \[dawn, noon\]/time: [dawn, dusk]/' small.yaml
run_hh run small.yaml --out run1 -q
is "$(accepted)" 9 "changing it back costs nothing: those jobs are still in the journal"

# One run directory, one hh.
start_sim --time-scale 0.05
hh_env
"$HH" run small.yaml --out run2 -q > /dev/null 2>&1 &
first=$!
for i in $(seq 100); do [ -e run2/.lock ] && break; sleep 0.02; done
sleep 0.2
run_hh run small.yaml --out run2 -q
is "$RC" 4 "a second hh on the same run directory refuses to start"
is "$ERR" "hh: another hh (process $first) is running run2; wait for it or stop it first" "and says which process holds it"
wait $first

# kill -9 at many points of a 200-job run, then resume.
start_sim --time-scale 0.01 --palette 4 --fault download-stall=0.05 --stall-seconds 1 --fault download-truncate=0.1
hh_env "poll_min_interval=0.005,poll_max_interval=0.1,rate=0,backoff_base=0.01,backoff_cap=0.05,stall_timeout=1"
cat > big.yaml <<'Y'
prompt: "clip {n}"
sweep:
  n: {from: 1, to: 200, step: 1}
concurrency: 40
output: "{n}.mp4"
Y
HH_CRASH_AFTER_ANSWERS=15 run_hh run big.yaml --out run3 -q
is "$RC" 137 "a crash between a paid answer and its journal entry"
like "$ERR" "crashing on purpose before journaling task" "(on purpose)"
for delay in 0.3 0.6 0.2 0.9 0.5 1.2; do
    "$HH" run big.yaml --out run3 -q > /dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
done
run_hh show run3
diag "after the kills: $(printf '%s' "$OUT" | sed -n 2p) ($(ls run3/*.part 2>/dev/null | wc -l) partial downloads)"
run_hh run big.yaml --out run3 -q
is "$RC" 4 "the resumed run ends, reporting unknown outcomes"
like "$ERR" "[0-9]+ job\(s\) have an unknown submission outcome and may have been billed" "submissions cut off after sending are unknown outcomes"
run_hh show run3
like "$OUT" "unknown outcomes: [0-9]+ \(may have been billed" "hh show lists them"
like "$OUT" "300 credits, Idempotency-Key hh-j" "with their cost and key"
is "$(jq -s '[.[] | select(.state != "done" and .state != "unknown")] | length' run3/manifest.jsonl)" 0 "every other job is done"
is "$(jq -s '[.[] | select(.state == "unknown" and (.error | length) == 0)] | length' run3/manifest.jsonl)" 0 "each unknown one says why"
stats=$(sim_stats)
dupes=$(jqv "$stats" '[.submissions[].idempotency_key] | group_by(.) | map(select(length > 1)) | length')
is "$dupes" 0 "no job was billed twice"
run_hh run big.yaml --out run3 -q --resubmit-unknown
is "$RC" 0 "--resubmit-unknown finishes the unknown jobs"
stats=$(sim_stats)
is "$(jqv "$stats" '[.submissions[].idempotency_key] | group_by(.) | map(select(length > 1)) | length')" 0 "with their Idempotency-Keys, the host billed none twice"
is "$(jqv "$stats" .accepted)" 200 "200 jobs, 200 billed submissions"
is "$(jq -s '[.[] | select(.state == "done")] | length' run3/manifest.jsonl)" 200 "all 200 jobs are done"
ls run3/*.part > /dev/null 2>&1
ok "$(test $? -ne 0; echo $?)" "no partial download is left"

# Every file is what the sim served: its sha256 matches the journal's and a
# fresh download of its task's URL.
bad=0
while read -r file sha; do
    [ "$(sha256sum "run3/$file" | cut -d' ' -f1)" = "$sha" ] || bad=$((bad + 1))
done < <(jq -r '[.file, .sha256] | join(" ")' run3/manifest.jsonl)
is "$bad" 0 "every file's sha256 is the one journaled"
bad=0
for task in $(jq -r '.task_id' run3/manifest.jsonl | head -n 40); do
    api_status "$task"
    url=$(jqv "$BODY" '.data.response.resultUrls[0]')
    # The sim's download faults apply to this check too: fetch until whole.
    for try in 1 2 3 4 5 6; do curl -sf -o "$SCRATCH/served" "$url" && break; done
    mine=$(jq -r "select(.task_id == \"$task\") | .sha256" run3/manifest.jsonl)
    [ "$(sha256sum "$SCRATCH/served" | cut -d' ' -f1)" = "$mine" ] || bad=$((bad + 1))
done
is "$bad" 0 "and what the sim serves for its task (40 checked)"
done_testing
