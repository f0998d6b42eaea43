#!/usr/bin/env bash
# Hostile disks and Ctrl-C lose nothing: a full disk and a read-only run
# directory get clear errors before money is spent or with every paid task
# named; the first Ctrl-C stops submissions, finishes paid work, journals
# and says how to resume; resuming finishes the run without paying twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"

skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # skip $1"; }
mounted=
cleanup_mounts() { [ -n "$mounted" ] && umount "$mounted" 2>/dev/null; mounted=; }
trap 'cleanup_mounts; cleanup' EXIT

cat > r.yaml <<'Y'
prompt: "a {n}"
sweep:
  n: {from: 1, to: 12, step: 1}
output: "{n}.mp4"
concurrency: 4
Y

start_sim --time-scale 0.002 --palette 2
hh_env

# A read-only run directory: refused before anything is sent.
mkdir -p ro
if mount -t tmpfs -o size=4m,ro tmpfs ro 2>/dev/null; then
    mounted=$SCRATCH/ro
    run_hh run r.yaml --out ro/run -q
    is "$RC" 4 "a read-only run directory: the run fails"
    like "$ERR" "cannot create ro/run: Read-only file system" "with a clear error"
    is "$(jqv "$(sim_stats)" .accepted)" 0 "before any credit is spent"
    cleanup_mounts
else
    skip "cannot mount a tmpfs here (not root?)"; skip "-"; skip "-"
fi

# A disk that fills up during the run: paid tasks are not lost.
mkdir -p full
if mount -t tmpfs -o size=400k tmpfs full 2>/dev/null; then
    mounted=$SCRATCH/full
    run_hh run r.yaml --out full/run -q
    is "$RC" 4 "a full disk: the run reports failures"
    like "$ERR" "No space left on device|database or disk is full" "naming the cause"
    paid=$(jqv "$(sim_stats)" .accepted)
    # Every paid task is either in the journal or printed on stderr.
    lost=0
    for task in $(jqv "$(sim_stats)" '.submissions[].task_id'); do
        sqlite3 full/run/journal.db "select 1 from jobs where task_id = '$task'" 2>/dev/null | grep -q 1 && continue
        printf '%s' "$ERR" | grep -q "$task" || lost=$((lost + 1))
    done
    is "$lost" 0 "every one of the $paid paid tasks is journaled or named on stderr"
    # Move the run to a roomy disk and resume: nothing is paid twice. A task
    # whose id could not be journaled is an unknown outcome there: resending
    # it with its Idempotency-Key is safe on this host.
    cp -r full/run roomy
    cleanup_mounts
    run_hh run r.yaml --out roomy -q --resubmit-unknown
    is "$RC" 0 "resumed elsewhere, the run completes"
    stats=$(sim_stats)
    is "$(jqv "$stats" '[.submissions[].idempotency_key] | group_by(.) | map(select(length > 1)) | length')" 0 "no job was billed twice"
    is "$(jq -s '[.[] | select(.state == "done")] | length' roomy/manifest.jsonl)" 12 "all 12 clips are there"
else
    skip "cannot mount a tmpfs here (not root?)"; skip "-"; skip "-"; skip "-"; skip "-"; skip "-"
fi

# Ctrl-C: stops submissions, finishes what is paid for, says how to resume.
start_sim --time-scale 0.03 --palette 2
hh_env
"$HH" run r.yaml --out ctrlc --concurrency 3 > "$SCRATCH/c.out" 2> "$SCRATCH/c.err" &
pid=$!
for i in $(seq 300); do grep -q "submitted" "$SCRATCH/c.err" && break; sleep 0.02; done
kill -INT $pid
wait $pid
is "$?" 130 "Ctrl-C: exit 130"
err=$(cat "$SCRATCH/c.err")
like "$err" "hh: Ctrl-C: no new submissions" "it stops submitting"
like "$err" "interrupted; nothing paid for is lost. Continue with: hh run r.yaml --out ctrlc  \(or: hh resume ctrlc\)" "and says how to resume"
paid=$(jqv "$(sim_stats)" .accepted)
done_now=$(jq -s '[.[] | select(.state == "done")] | length' ctrlc/manifest.jsonl)
is "$done_now" "$paid" "every task paid for before Ctrl-C was still waited for and downloaded"
run_hh resume ctrlc -q
is "$RC" 0 "hh resume finishes the run"
is "$(jqv "$(sim_stats)" .accepted)" 12 "paying only for the jobs never submitted"
is "$(jq -s '[.[] | select(.state == "done")] | length' ctrlc/manifest.jsonl)" 12 "all 12 done"
done_testing
