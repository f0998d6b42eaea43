#!/usr/bin/env bash
# Money under faults: a paid success whose download failed is delivered by
# the next run, never paid again; an unknown outcome stays unknown until the
# host says otherwise, whatever blocks its resend; the budget bounds the
# whole run directory, --fresh included; a stuck task cannot hang a run;
# Ctrl-C twice, SIGTERM and SIGHUP leave a manifest and a resume command;
# the credits reported are the host's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"

accepted() { jqv "$(sim_stats)" .accepted; }
charged() { jqv "$(sim_stats)" .credits.charged; }
states() { sqlite3 "$1/journal.db" "select state || ':' || count(*) from jobs group by state order by state" | tr '\n' ' ' | sed 's/ $//'; }
# run_hh_for SECONDS ARGS...: run_hh that cannot hang the suite (RC 124 when it had to be stopped).
run_hh_for() {
    local limit=$1
    shift
    OUT=$(timeout -s KILL "$limit" "$HH" "$@" 2>"$SCRATCH/hh.err")
    RC=$?
    [ "$RC" -eq 137 ] && RC=124
    ERR=$(cat "$SCRATCH/hh.err")
}
recipe() { # recipe FILE JOBS [EXTRA-LINES]
    printf 'prompt: "clip {n}"\nsweep:\n  n: {from: 1, to: %d, step: 1}\noutput: "{n}.mp4"\nconcurrency: 8\n%s\n' "$2" "${3:-}" > "$1"
}
FAST=poll_min_interval=0.002,poll_max_interval=0.05,rate=0,backoff_base=0.01,backoff_cap=0.05,max_retry_after=5

# 1. A paid success whose download fails is pending delivery, never failed:
# the run retries with fresh URLs, the next run downloads the rest, nothing
# is submitted twice.
start_sim --time-scale 0.002 --palette 2 --seed 7 --fault download-redirect-scheme=0.5
hh_env
recipe d.yaml 24
run_hh run d.yaml --out d1 -q
for round in 1 2 3; do
    [ "$(sqlite3 d1/journal.db "select count(*) from jobs where state = 'done'")" = 24 ] && break
    run_hh run d.yaml --out d1 -q
done
is "$(states d1)" "done:24" "refused redirects of succeeded tasks: every clip is delivered"
is "$(accepted)" 24 "without a second submission"
is "$(jq -s '[.[] | select(.state == "failed")] | length' d1/manifest.jsonl)" 0 "no paid success is recorded as failed"

# Every download refused: the run ends with the clips pending delivery; the
# next run fetches fresh URLs and downloads them all, paying nothing.
start_sim --time-scale 0.002 --palette 2
hh_env "$FAST,max_download=1000"
recipe p.yaml 6
run_hh run p.yaml --out p1 -q
is "$RC" 4 "downloads that cannot finish: the run ends unfinished"
is "$(states p1)" "succeeded:6" "the six paid clips are pending delivery"
like "$ERR" "6 paid result\(s\) not downloaded yet.*hh resume p1" "and the run says how to fetch them"
run_hh show p1
like "$OUT" "pending delivery: 6 \(paid; hh resume downloads them without paying again\)" "hh show lists them"
touch p1/1.mp4.part.stale
printf 'junk' > p1/2.mp4.part
hh_env
run_hh resume p1 -q
is "$RC" 0 "hh resume delivers them"
is "$(states p1)" "done:6" "all six are done"
is "$(accepted)" 6 "and nothing was submitted again"
ls p1/*.part > /dev/null 2>&1
ok "$(test $? -ne 0; echo $?)" "no partial download is left behind"

# 2. An unknown outcome stays unknown until the host says otherwise.
start_sim --time-scale 0.002 --fault submit-drop-after=1
hh_env
recipe u.yaml 4
run_hh run u.yaml --out u1 -q
is "$(states u1)" "unknown:4" "submissions cut off after sending are unknown"
billed=$(charged)
start_sim --time-scale 0.002 --credits-after 0
hh_env
run_hh run u.yaml --out u1 -q --resubmit-unknown
is "$RC" 3 "a resend refused with 402 stops the run"
is "$(states u1)" "unknown:4" "and the jobs are still unknown, not skipped"
start_sim --time-scale 0.002 --fault rate-limit-burst=1 --burst-length 100000 --retry-after none
hh_env "$FAST,max_retries=1"
run_hh run u.yaml --out u1 -q --resubmit-unknown
is "$(states u1)" "unknown:4" "a resend that exhausts its 429 retries leaves them unknown"
start_sim --time-scale 0.002
hh_env
run_hh run u.yaml --out u1 -q
is "$(accepted)" 0 "a plain run never submits an unknown outcome as new"
is "$(states u1)" "unknown:4" "they stay unknown"
is "$RC" 4 "and the run says it is not finished"
run_hh show u1
like "$OUT" "unknown outcomes: 4 \(may have been billed" "hh show still lists them as possibly billed"
like "$OUT" "possibly charged $billed" "with what they may have cost"
recipe ub.yaml 4 "budget: 1200"
cp -r u1 u2
run_hh run ub.yaml --out u2 -q --resubmit-unknown
is "$RC" 3 "resending past the budget is refused before anything is sent"
like "$ERR" "u2 has been charged 0 credits \(1200 possibly charged by 4 unknown outcome.*up to 1200 more, past the budget of 1200.*--budget 2400" "saying what was possibly spent and how to raise the budget"
is "$(states u2)" "unknown:4" "the jobs stay unknown"
is "$(accepted)" 0 "nothing was sent"
run_hh run u.yaml --out u1 -q --resubmit-unknown
is "$RC" 0 "an explicit --resubmit-unknown on a good host finishes them"
is "$(states u1)" "done:4" "all four done"

# 3. The budget bounds everything the run directory spends, --fresh too.
start_sim --time-scale 0.002 --palette 2
hh_env
recipe b.yaml 3 "budget: 900"
run_hh run b.yaml --out b1 -q
is "$(charged)" 900 "a first run within its budget"
run_hh run b.yaml --out b1 -q --fresh
is "$RC" 3 "--fresh past the budget is refused"
like "$ERR" "b1 has been charged 900 credits.*up to 900 more.*budget of 900.*--budget 1800" "saying what was spent and the budget that would allow it"
is "$(charged)" 900 "nothing more was charged"
run_hh run b.yaml --out b1 -q --fresh --budget 1800
is "$RC" 0 "raising the budget on the command line allows it"
is "$(charged)" 1800 "and the new attempts are charged once"

# 6. Credits reported = credits charged: the host's word (consumed_credits)
# over hh's estimate, failed tasks refunded, unknown outcomes apart.
start_sim --time-scale 0.002 --palette 2 --seed 11 --refund-failed --fault task-failed=0.3
hh_env
printf 'prompt: "clip {n}"\nsweep:\n  n: {from: 1, to: 10, step: 1}\noutput: "{n}.mp4"\n' > m.yaml
run_hh run m.yaml --out m1 -q
first=$(printf '%s' "$OUT" | sed -n 's/.*charged \([0-9]*\) credits this run.*/\1/p')
is "$first" "$(charged)" "the end-of-run line gives what the host charged ($first)"
ok "$(test "$(charged)" -lt 3000; echo $?)" "(refunds made it less than the estimate of 3000)"
sed -i 's/to: 10,/to: 16,/' m.yaml
run_hh run m.yaml --out m1 -q
second=$(printf '%s' "$OUT" | sed -n 's/.*charged \([0-9]*\) credits this run.*/\1/p')
is "$((first + second))" "$(charged)" "the lines of two runs add up to the host's ledger"
run_hh show m1 --json
is "$(jqv "$OUT" .credits.charged)" "$(charged)" "hh show gives the same charge"
is "$(jqv "$OUT" .credits.possibly_charged)" 0 "and nothing possibly charged"
is "$(jq -s 'map(.charged) | add' m1/manifest.jsonl)" "$(charged)" "the manifest's per-job charges add up to it too"
start_sim --time-scale 0.002 --palette 2 --seed 11 --fault submit-drop-after=0.3 --fault submit-error-before=0.3
hh_env
run_hh run m.yaml --out m2 -q
run_hh show m2 --json
known=$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" "[.tasks[] | select(.task_id as \$t | \"$(sqlite3 m2/journal.db "select group_concat(task_id, ' ') from jobs")\" | split(\" \") | index(\$t)) | .charged] | add // 0")
is "$(jqv "$OUT" .credits.charged)" "$known" "submissions cut off: charged is exactly the ledger of the tasks hh knows"
ok "$(test "$(jqv "$OUT" .credits.charged)" -le "$(charged)" && test "$(charged)" -le "$(jqv "$OUT" '.credits.charged + .credits.possibly_charged')"; echo $?)" "and the ledger lies between charged and charged + possibly charged"

# 4. A stuck task cannot hang a run: waits have a default deadline, after
# which the task stays pending and the next run polls it again.
start_sim --time-scale 0.002 --palette 2 --seed 5 --fault task-stuck=0.25
hh_env "$FAST,wait_deadline_min=0.5"
recipe s.yaml 16
run_hh_for 120 run s.yaml --out s1 -q
is "$RC" 4 "a run with stuck tasks and no deadline ends"
stuck=$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" '[.tasks[] | select(.outcome == "stuck")] | length')
ok "$(test "$stuck" -gt 0; echo $?)" "($stuck tasks are stuck)"
is "$(sqlite3 s1/journal.db "select count(*) from jobs where state = 'submitted'")" "$stuck" "the stuck tasks are pending in the journal"
like "$ERR" "$stuck task\(s\) not known to be finished \(still running past their deadline.*hh resume s1" "the run says so and how to go on"
run_hh_for 120 run s.yaml --out s1 -q
is "$(accepted)" 16 "the next run polls them again without submitting"

# A task the host said succeeded is paid for, whatever its deadline: when the
# deadline passes while hh asks again for a URL, the task is pending delivery
# (not "still running"), and a rule that reruns timeouts does not pay for it
# again.
start_sim --time-scale 0.002 --palette 2 --fault success-no-url=1
hh_env "poll_min_interval=0.3,poll_max_interval=2,rate=0"
recipe nu.yaml 3 'deadline: 1
rerun:
  - when: [timeout]
    max: 2'
run_hh_for 60 run nu.yaml --out nu1 -q
is "$(states nu1)" "succeeded:3" "succeeded without a URL, past the deadline: pending delivery"
is "$(accepted)" 3 "and no rerun paid for them again"
like "$ERR" "3 paid result\(s\) not downloaded yet" "the run says they are paid and not downloaded"
is "$(sqlite3 nu1/journal.db "select distinct class from jobs")" "no_url" "for want of a URL"
unlike "$(sqlite3 nu1/journal.db "select error from jobs")" "still running" "and never that they are still running"
hh_env "poll_min_interval=0.3,poll_max_interval=2,rate=0,wait_deadline_min=0.5,wait_deadline_max=0.5"
recipe nd.yaml 2
run_hh_for 60 run nd.yaml --out nd1 -q
is "$(states nd1)" "succeeded:2" "the same past the default deadline"

# Once the host has said a task succeeded, a status request that fails
# afterwards (asking again for its URL) does not make hh forget it: the task
# is pending delivery, not "still running". No retries of a failed status
# request, so the first failure ends the wait.
start_sim --time-scale 0.0001 --palette 2 --seed 3 --fault success-no-url=1 --fault status-error=0.5
hh_env "poll_min_interval=0.3,poll_max_interval=2,rate=0,max_retries=0"
recipe ne.yaml 12
run_hh_for 60 run ne.yaml --out ne1 -q
seen=$(jqv "$(curl -s "$SIM_URL/_sim/tasks")" '[.tasks[] | select(.final_seen != null)] | length')
ok "$(test "$seen" -gt 0; echo $?)" "($seen of 12 tasks were seen to succeed before a status request failed)"
is "$(sqlite3 ne1/journal.db "select count(*) from jobs where state = 'succeeded'")" "$seen" "each of them is pending delivery"
is "$(sqlite3 ne1/journal.db "select count(*) from jobs where state = 'submitted'")" "$((12 - seen))" "the others are pending as tasks the host did not answer for"

# One Ctrl-C with a stuck task: the run ends after a short grace.
start_sim --time-scale 0.002 --fault task-stuck=1
hh_env "$FAST,interrupt_grace=0.5"
recipe i.yaml 3
timeout -s KILL 60 "$HH" run i.yaml --out i1 > i.out 2> i.err &
pid=$!
for i in $(seq 500); do [ "$(grep -c submitted i.err)" -ge 3 ] && break; sleep 0.02; done
kill -INT $pid
wait $pid
is "$?" 130 "one Ctrl-C ends a run whose tasks never finish"
like "$(cat i.err)" "Continue with: hh run i.yaml --out i1" "with the resume command"
is "$(states i1)" "submitted:3" "the tasks stay pending"

# 5. Ctrl-C twice, SIGTERM, SIGHUP: a manifest and a resume command. A
# request rate below the submissions keeps some queued when the signal comes.
start_sim --time-scale 0.05 --palette 2
hh_env "poll_min_interval=0.002,poll_max_interval=0.05,rate=4,backoff_base=0.01,backoff_cap=0.05"
recipe c.yaml 12
for sig in INT2 TERM HUP; do
    rm -rf c1
    "$HH" run c.yaml --out c1 > c.out 2> c.err &
    pid=$!
    for i in $(seq 500); do grep -q submitted c.err && break; sleep 0.02; done
    case $sig in
        INT2) kill -INT $pid; sleep 0.2; kill -INT $pid; want=130 ;;
        TERM) kill -TERM $pid; want=143 ;;
        HUP) kill -HUP $pid; want=129 ;;
    esac
    wait $pid
    is "$?" "$want" "SIG$sig: exit $want"
    ok "$(test -s c1/manifest.jsonl; echo $?)" "SIG$sig: the manifest is written"
    like "$(cat c.err)" "Continue with: hh run c.yaml --out c1" "SIG$sig: the resume command is printed"
    unlike "$(cat c.err)" "Segmentation|AddressSanitizer|traceback" "SIG$sig: no crash"
done
run_hh resume c1 -q
is "$RC" 0 "the run resumes"
is "$(states c1)" "done:12" "and finishes"
done_testing
