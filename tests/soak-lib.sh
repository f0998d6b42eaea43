# tests/soak-lib.sh - the soak: a sweep of SOAK_JOBS jobs run by hh against
# hh-sim with every fault on, hh killed with -9 at random points and resumed
# until nothing is pending, then the sim's ledger reconciled with the run's
# journal, manifest and files: one TAP line per property, and a summary.
# Sourced after tests/lib.sh and tests/lib-hh.sh (TAP checks, start_sim,
# hh_env) by tests/soak.sh (make soak) and tests/t0450-run-soak.sh. Needs
# curl, jq and the sqlite3 program; the checks are SQL joins over the ledger
# imported into a scratch copy of the journal, so 10,000 jobs check in
# seconds.

# Parameters, from the environment.
soak_defaults() {
    SOAK_JOBS=${SOAK_JOBS:-10000}
    SOAK_RATE=${SOAK_RATE:-0.05}          # of every fault
    SOAK_KILLS=${SOAK_KILLS:-10}
    SOAK_SEED=${SOAK_SEED:-1}             # the sim's faults and the kill delays
    SOAK_CONCURRENCY=${SOAK_CONCURRENCY:-48}
    SOAK_TIME_SCALE=${SOAK_TIME_SCALE:-0.005}
    SOAK_DEADLINE=${SOAK_DEADLINE:-}      # a recipe deadline; empty: hh's default deadline ends a stuck task's wait
    SOAK_ROUNDS=${SOAK_ROUNDS:-6}         # resumes after the kills, at most
    SOAK_PALETTE=${SOAK_PALETTE:-8}       # distinct clips: few encodes
    SOAK_REFUND=${SOAK_REFUND:-1}         # the sim does not bill failed tasks
    SOAK_ROUND_TIMEOUT=${SOAK_ROUND_TIMEOUT:-1800}
    SOAK_KILL_MAX=${SOAK_KILL_MAX:-120}   # seconds: a run not killed at its point yet is killed then
    SOAK_FAULTS=${SOAK_FAULTS:-$("$HH_BUILD/hh-sim" --list-faults | awk '{ print $1 }' | tr '\n' ' ')}
    RANDOM=$SOAK_SEED
}

# The faults that leave a submission's outcome unknown to the client.
SOAK_UNKNOWN_FAULTS="submit-error-after submit-drop-after submit-malformed submit-truncated submit-no-task-id reuse-drop"

soak_now() { date +%s.%N; }
soak_since() { awk -v a="$1" -v b="$(soak_now)" 'BEGIN { printf "%.1f", b - a }'; }

# soak_start_sim: hh-sim with every fault of SOAK_FAULTS at SOAK_RATE, and
# hh pointed at it with settings scaled to the fast renders. A 429 burst
# says Retry-After: 1, more than max_retry_after: hh backs off instead of
# pausing the whole run for a second at every burst.
soak_start_sim() {
    local flags=() f
    for f in $SOAK_FAULTS; do flags+=(--fault "$f=$SOAK_RATE"); done
    [ "$SOAK_REFUND" = 1 ] && flags+=(--refund-failed)
    start_sim --seed "$SOAK_SEED" --time-scale "$SOAK_TIME_SCALE" --palette "$SOAK_PALETTE" \
        --stall-seconds 0.3 --slow-seconds 0.2 --credits 1000000000000 "${flags[@]}"
    hh_env "poll_min_interval=0.002,poll_max_interval=0.05,rate=0,backoff_base=0.01,backoff_cap=0.05,max_retry_after=0.5,stall_timeout=1,wait_deadline_min=1,wait_deadline_max=10"
}

# soak_recipe FILE: the sweep, its budget the worst case hh plan works out.
soak_recipe() {
    cat > "$1" <<EOF
hh: 1
name: soak
prompt: "soak clip {n}"
sweep:
  n: {from: 1, to: $SOAK_JOBS, step: 1}
concurrency: $SOAK_CONCURRENCY
output: "{n}.mp4"
EOF
    if [ -n "$SOAK_DEADLINE" ]; then echo "deadline: $SOAK_DEADLINE" >> "$1"; fi
    SOAK_BUDGET=$("$HH" plan "$1" --json | jq -r .credits.worst)
    echo "budget: $SOAK_BUDGET" >> "$1"
}

# soak_pending DIR: jobs a resume would still work on: never sent, sent
# with no answer recorded yet, running, succeeded but not downloaded, or
# failed in a way the task may still deliver.
soak_pending() {
    [ -f "$1/journal.db" ] || { echo 999999999; return; }
    sqlite3 "$1/journal.db" "SELECT count(*) FROM jobs WHERE state IN ('new', 'submitting', 'submitted', 'succeeded', 'skipped')
        OR (state = 'failed' AND class IN ('timeout', 'download', 'transport', 'bad_file', 'too_large'))"
}

# soak_hh ARGS...: one hh run in the foreground, bounded in time; its output
# (never the key: hh prints none) goes to the soak's log.
soak_hh() {
    timeout -s KILL "$SOAK_ROUND_TIMEOUT" "$HH" "$@" >> "$SOAK_LOG" 2>&1
}

# soak_progress DIR: jobs past their submission: with a task id, or final.
soak_progress() {
    [ -f "$1/journal.db" ] || { echo 0; return; }
    sqlite3 -cmd ".timeout 2000" "$1/journal.db" \
        "SELECT count(*) FROM jobs WHERE task_id IS NOT NULL OR state IN ('done', 'failed', 'unknown')" 2>/dev/null || echo 0
}

# soak_storm RECIPE DIR: SOAK_KILLS runs each killed with -9 at a random
# point of the work: the i-th once progress passes a point drawn at random in
# the i-th of SOAK_KILLS equal slices of the jobs (so the kills land all
# through the run whatever the machine's speed), a random moment after the
# journal shows it, or after SOAK_KILL_MAX seconds; then resumes until
# nothing is pending, no resume makes progress, or SOAK_ROUNDS; then one run
# with --resubmit-unknown and the host declared idempotent (safe here: the
# sim honours Idempotency-Key, so a resend finds the billed task). Before that last run the journal and the
# manifest are copied (SOAK_WORK/before.db, before.jsonl): what runs without
# --resubmit-unknown left of the unknown outcomes.
soak_storm() {
    local recipe=$1 dir=$2 i pid target started
    SOAK_STRUCK=0 SOAK_RESUMES=0 SOAK_KILLED_AT=
    SOAK_T0=$(soak_now)
    for i in $(seq "$SOAK_KILLS"); do
        target=$(awk -v r="$RANDOM" -v i="$i" -v k="$SOAK_KILLS" -v n="$SOAK_JOBS" \
            'BEGIN { printf "%d", n * (i - 1 + r / 32768) / k }')
        "$HH" run "$recipe" --out "$dir" -q >> "$SOAK_LOG" 2>&1 &
        pid=$!
        started=$(soak_now)
        while kill -0 "$pid" 2>/dev/null && [ "$(soak_progress "$dir")" -lt "$target" ] &&
            [ "$(soak_since "$started" | cut -d. -f1)" -lt "$SOAK_KILL_MAX" ]; do
            sleep 0.1
        done
        sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
        if kill -9 "$pid" 2>/dev/null; then SOAK_STRUCK=$((SOAK_STRUCK + 1)); fi
        wait "$pid" 2>/dev/null
        SOAK_KILLED_AT="$SOAK_KILLED_AT $(soak_progress "$dir")"
        echo "soak: kill $i at $target jobs past submission (after $(soak_since "$started")s)" >> "$SOAK_LOG"
    done
    SOAK_T_KILLS=$(soak_since "$SOAK_T0")
    # The first resume always runs: it writes the manifest a killed run did not.
    local pending before=-1
    for i in $(seq "$SOAK_ROUNDS"); do
        pending=$(soak_pending "$dir")
        if [ "$i" -gt 1 ]; then
            [ "$pending" -eq 0 ] && break
            [ "$pending" -ge "$before" ] && break
        fi
        before=$pending
        # Both ways back into a run: the recipe again, and hh resume.
        if [ $((i % 2)) = 1 ]; then soak_hh run "$recipe" --out "$dir" -q; else soak_hh resume "$dir" -q; fi
        SOAK_RESUMES=$((SOAK_RESUMES + 1))
    done
    SOAK_PENDING_BEFORE=$(soak_pending "$dir")
    sqlite3 "$dir/journal.db" ".backup '$SOAK_WORK/before.db'"
    cp "$dir/manifest.jsonl" "$SOAK_WORK/before.jsonl" 2>/dev/null || : > "$SOAK_WORK/before.jsonl"
    # Told that the host honours keys, hh counts a resend against the budget
    # once (its possible charge is already counted), as the sim deserves.
    HH_SETTINGS="$HH_SETTINGS,idempotent_host=true" soak_hh run "$recipe" --out "$dir" -q --resubmit-unknown
    SOAK_PENDING_AFTER=$(soak_pending "$dir")
    SOAK_SECONDS=$(soak_since "$SOAK_T0")
}

# soak_sql SQL: one query on the scratch database.
soak_sql() { sqlite3 -batch "$SOAK_WORK/check.db" "ATTACH '$SOAK_WORK/before.db' AS b; $1"; }

# soak_examples TITLE SQL: up to 5 rows of what went wrong, as TAP comments.
soak_examples() {
    local rows
    rows=$(soak_sql "$2 LIMIT 5")
    [ -n "$rows" ] && printf '%s\n' "$rows" | sed "s/^/#   $1: /"
    return 0
}

soak_has_column() { # TABLE COLUMN [DB]
    [ "$(sqlite3 "${3:-$SOAK_WORK/check.db}" "SELECT count(*) FROM pragma_table_info('$1') WHERE name = '$2'")" = 1 ]
}

# soak_import DIR: the ledger (/_sim/stats and /_sim/tasks), the manifests,
# the files on disk and hh show, as tables of a scratch copy of the journal.
soak_import() {
    local dir=$1 w=$SOAK_WORK
    curl -s "$SIM_URL/_sim/stats" > "$w/stats.json"
    curl -s "$SIM_URL/_sim/tasks" > "$w/tasks.json"
    "$HH" show "$dir" --json > "$w/show.json" 2>> "$SOAK_LOG" || echo '{}' > "$w/show.json"
    # A submission's job is its Idempotency-Key without "hh-" and without
    # the "-N" of a deliberate new attempt (rerun ids end in -rN: kept).
    jq -r '.submissions[] | [.task_id, (.idempotency_key // ""),
        ((.idempotency_key // "") | if startswith("hh-") then .[3:] | sub("-[0-9]+$"; "") else "" end),
        .answered, .credits, .charged, (.fault // "")] | @csv' "$w/stats.json" > "$w/ledger.csv"
    jq -r '.tasks[] | [.task_id, .outcome, (.sha256 // ""), .polls, .downloads] | @csv' "$w/tasks.json" > "$w/tasks.csv"
    local m
    for m in manifest before; do
        local f=$dir/manifest.jsonl
        [ "$m" = before ] && f=$w/before.jsonl
        if [ -s "$f" ]; then
            jq -r '[.job, .state, (.task_id // ""), (.file // ""), (.sha256 // "")] | @csv' "$f"
        fi > "$w/$m.csv"
    done
    (cd "$dir" && find . -type f -name '*.mp4' -print0 | xargs -0 -r sha256sum) |
        awk '{ f = substr($0, 67); sub(/^\.\//, "", f); printf "\"%s\",\"%s\"\n", f, $1 }' > "$w/files.csv"
    sqlite3 "$dir/journal.db" ".backup '$w/check.db'"
    sqlite3 -batch "$w/check.db" <<EOF
CREATE TABLE ledger (task_id TEXT PRIMARY KEY, key TEXT, job TEXT, answered TEXT, credits INTEGER, charged INTEGER, fault TEXT);
CREATE TABLE tasks (task_id TEXT PRIMARY KEY, outcome TEXT, sha256 TEXT, polls INTEGER, downloads INTEGER);
CREATE TABLE manifest (job TEXT, state TEXT, task_id TEXT, file TEXT, sha256 TEXT);
CREATE TABLE before_manifest (job TEXT, state TEXT, task_id TEXT, file TEXT, sha256 TEXT);
CREATE TABLE files (file TEXT PRIMARY KEY, sha256 TEXT);
.mode csv
.import $w/ledger.csv ledger
.import $w/tasks.csv tasks
.import $w/manifest.csv manifest
.import $w/before.csv before_manifest
.import $w/files.csv files
UPDATE ledger SET key = NULLIF(key, ''), job = NULLIF(job, ''), fault = NULLIF(fault, '');
UPDATE tasks SET sha256 = NULLIF(sha256, '');
UPDATE manifest SET task_id = NULLIF(task_id, ''), file = NULLIF(file, ''), sha256 = NULLIF(sha256, '');
CREATE INDEX ledger_key ON ledger(key);
CREATE INDEX ledger_job ON ledger(job);
CREATE INDEX IF NOT EXISTS attempts_task ON attempts(task_id);
CREATE INDEX attempts_key ON attempts(idempotency_key);
CREATE INDEX manifest_job ON manifest(job);
EOF
}

# soak_reconcile DIR: the seven properties, one TAP line each, then the
# summary table. Sets SOAK_FAILED to the number of properties that failed.
soak_reconcile() {
    local dir=$1 t0
    t0=$(soak_now)
    soak_import "$dir"
    SOAK_FAILED=0
    local before_failed=$_tap_failed
    # Known unknowns: attempts sent with no usable answer, or with none recorded.
    local unsure="a.outcome IN ('unknown', 'sending')"

    # 1. Every billed submission is known to the journal.
    local lost="FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM attempts a WHERE a.task_id = l.task_id)
        AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.idempotency_key = l.key AND $unsure)"
    P_LOST=$(soak_sql "SELECT count(*) $lost")
    P_BY_KEY=$(soak_sql "SELECT count(*) FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM attempts a WHERE a.task_id = l.task_id)")
    is "$P_LOST" 0 "0 jobs lost: every billed submission is in the journal, by task id or as an unknown outcome with its key ($P_BY_KEY known by key only)"
    soak_examples "lost" "SELECT l.task_id, l.key, l.fault $lost"

    # 2. No job billed twice.
    local twice="FROM (SELECT job, count(*) AS c, group_concat(task_id, ' ') AS ids FROM ledger GROUP BY job HAVING c > 1)"
    P_TWICE=$(soak_sql "SELECT count(*) $twice")
    P_TWICE_EXTRA=$(soak_sql "SELECT coalesce(sum(c - 1), 0) $twice")
    P_NOKEY=$(soak_sql "SELECT count(*) FROM ledger WHERE job IS NULL")
    is "$P_TWICE:$P_NOKEY" "0:0" "0 billed twice: no job has more than one billed submission ($P_TWICE jobs, $P_TWICE_EXTRA extra submissions; $P_NOKEY without an hh key)"
    soak_examples "billed twice" "SELECT job, ids $twice"

    # 3. Paid successes are delivered; a success without a usable URL waits for delivery.
    local known="FROM ledger l JOIN tasks t USING (task_id)
        JOIN (SELECT job, task_id, max(n) AS n FROM attempts WHERE outcome = 'accepted' AND task_id IS NOT NULL GROUP BY job, task_id) a USING (task_id)
        JOIN jobs j ON j.id = a.job LEFT JOIN files f ON f.file = j.file"
    local undelivered="$known WHERE t.outcome = 'success' AND NOT coalesce(j.state = 'done' AND j.task_id = l.task_id
        AND f.sha256 = j.sha256 AND j.sha256 = t.sha256, 0)"
    local nourl_state="$known WHERE t.outcome IN ('no-url', 'bad-url') AND j.state <> 'succeeded'"
    local nourl_again="$known WHERE t.outcome IN ('no-url', 'bad-url')
        AND EXISTS (SELECT 1 FROM attempts x WHERE x.job = a.job AND x.n > a.n)"
    P_UNDELIVERED=$(soak_sql "SELECT count(*) $undelivered")
    P_NOURL_STATE=$(soak_sql "SELECT count(*) $nourl_state")
    P_NOURL_AGAIN=$(soak_sql "SELECT count(*) $nourl_again")
    P_SUCCESS_KNOWN=$(soak_sql "SELECT count(*) $known WHERE t.outcome = 'success'")
    P_NOURL_KNOWN=$(soak_sql "SELECT count(*) $known WHERE t.outcome IN ('no-url', 'bad-url')")
    is "$P_UNDELIVERED:$P_NOURL_STATE:$P_NOURL_AGAIN" "0:0:0" \
        "0 paid successes undelivered: $P_UNDELIVERED of $P_SUCCESS_KNOWN known successes not done with their file; of $P_NOURL_KNOWN without a usable URL, $P_NOURL_STATE not pending delivery, $P_NOURL_AGAIN resubmitted"
    soak_examples "undelivered" "SELECT j.id, l.task_id, j.state, coalesce(j.class, ''), substr(coalesce(j.error, ''), 1, 90) $undelivered"
    soak_examples "no usable URL" "SELECT j.id, l.task_id, t.outcome, j.state, coalesce(j.class, '') $nourl_state"
    P_SUCCESS_UNKNOWN=$(soak_sql "SELECT count(*) FROM ledger l JOIN tasks t USING (task_id) WHERE t.outcome = 'success'
        AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.task_id = l.task_id)")

    # 4. Unknown outcomes stay unknown until --resubmit-unknown; they are never
    # resent without it (checked on the journal as the last run without it left it).
    local open="FROM jobs j WHERE EXISTS (SELECT 1 FROM attempts a WHERE a.job = j.id AND $unsure)
        AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.job = j.id AND a.outcome = 'accepted')"
    local forgotten="$open AND (j.state <> 'unknown'
        OR NOT EXISTS (SELECT 1 FROM manifest m WHERE m.job = j.id AND m.state = 'unknown'))"
    local open_before="FROM b.jobs j WHERE EXISTS (SELECT 1 FROM b.attempts a WHERE a.job = j.id AND $unsure)
        AND NOT EXISTS (SELECT 1 FROM b.attempts a WHERE a.job = j.id AND a.outcome = 'accepted')"
    local followed="EXISTS (SELECT 1 FROM b.attempts a WHERE a.job = j.id AND $unsure
        AND EXISTS (SELECT 1 FROM b.attempts x WHERE x.job = a.job AND x.n > a.n))"
    local resent="$open_before AND $followed"
    local forgotten_before="$open_before AND (j.state <> 'unknown'
        OR NOT EXISTS (SELECT 1 FROM before_manifest m WHERE m.job = j.id AND m.state = 'unknown'))"
    P_OPEN=$(soak_sql "SELECT count(*) $open")
    P_FORGOTTEN=$(soak_sql "SELECT count(*) $forgotten")
    P_OPEN_BEFORE=$(soak_sql "SELECT count(*) $open_before")
    P_FORGOTTEN_BEFORE=$(soak_sql "SELECT count(*) $forgotten_before")
    P_RESENT=$(soak_sql "SELECT count(*) $resent")
    # Wider than the property: any attempt left unknown or sending that a
    # later attempt followed, whatever became of the job (a submission
    # retried after a 429 should have recorded its first attempt refused).
    P_FOLLOWED=$(soak_sql "SELECT count(*) FROM b.jobs j WHERE $followed")
    is "$P_FORGOTTEN_BEFORE:$P_RESENT:$P_FORGOTTEN" "0:0:0" \
        "0 unknown outcomes forgotten: before --resubmit-unknown $P_FORGOTTEN_BEFORE of $P_OPEN_BEFORE not unknown in journal and manifest, $P_RESENT resent; after it $P_FORGOTTEN of $P_OPEN"
    soak_examples "forgotten before --resubmit-unknown" "SELECT j.id, j.state, coalesce(j.class, ''),
        coalesce((SELECT state FROM before_manifest m WHERE m.job = j.id), 'not in manifest') $forgotten_before"
    soak_examples "resent without --resubmit-unknown" "SELECT j.id, (SELECT group_concat(n || ':' || outcome, ' ') FROM b.attempts a WHERE a.job = j.id) $resent"
    soak_examples "forgotten" "SELECT j.id, j.state, coalesce((SELECT state FROM manifest m WHERE m.job = j.id), 'not in manifest') $forgotten"

    # 5. The credits hh reports charged are the ledger's.
    L_TOTAL=$(jq -r .credits.charged "$SOAK_WORK/stats.json")
    L_REFUNDED=$(jq -r '.credits.refunded // 0' "$SOAK_WORK/stats.json")
    local unknown_faults=0 f
    for f in $SOAK_UNKNOWN_FAULTS; do case " $SOAK_FAULTS " in *" $f "*) unknown_faults=1 ;; esac; done
    if ! soak_has_column attempts charged; then
        ok 1 "reported charged credits = ledger credits: journal has no attempts.charged column"
    elif [ "$(jq -r '.credits | has("charged") and has("possibly_charged")' "$SOAK_WORK/show.json" 2>/dev/null)" != true ]; then
        ok 1 "reported charged credits = ledger credits: hh show --json has no .credits.charged and .credits.possibly_charged"
    else
        local per_task="SELECT task_id, charged, credits FROM attempts a WHERE outcome = 'accepted' AND task_id IS NOT NULL
            AND n = (SELECT max(n) FROM attempts x WHERE x.job = a.job AND x.task_id = a.task_id AND x.outcome = 'accepted')"
        # What hh reports: the host's word, else its estimate (a task never
        # answered a status request, e.g. stuck behind status faults).
        J_CHARGED=$(soak_sql "SELECT coalesce(sum(coalesce(charged, credits)), 0) FROM ($per_task)")
        J_NULL=$(soak_sql "SELECT count(*) FROM ($per_task) WHERE charged IS NULL")
        L_KNOWN=$(soak_sql "SELECT coalesce(sum(l.charged), 0) FROM ledger l WHERE l.task_id IN (SELECT task_id FROM ($per_task))")
        S_CHARGED=$(jq -r .credits.charged "$SOAK_WORK/show.json")
        S_POSSIBLY=$(jq -r .credits.possibly_charged "$SOAK_WORK/show.json")
        # Exact when the journal knows every billed task, and whenever no
        # fault could have hidden a billed task's id from hh.
        local rule
        if [ "$P_BY_KEY" -eq 0 ] || [ "$unknown_faults" = 0 ]; then
            rule="ledger total $L_TOTAL = charged"
            [ "$J_CHARGED" = "$S_CHARGED" ] && [ "$J_CHARGED" = "$L_KNOWN" ] && [ "$L_TOTAL" = "$J_CHARGED" ]
        else
            rule="charged <= ledger total $L_TOTAL <= charged + possibly $S_POSSIBLY"
            [ "$J_CHARGED" = "$S_CHARGED" ] && [ "$J_CHARGED" = "$L_KNOWN" ] &&
                [ "$J_CHARGED" -le "$L_TOTAL" ] && [ "$L_TOTAL" -le $((J_CHARGED + S_POSSIBLY)) ]
        fi
        ok $? "reported charged credits = ledger credits: journal $J_CHARGED ($J_NULL tasks at hh's estimate: the host never said), ledger of those tasks $L_KNOWN, hh show $S_CHARGED; $rule"
    fi

    # 6. The budget holds.
    [ "$L_TOTAL" -le "$SOAK_BUDGET" ]
    ok $? "budget never exceeded: the ledger charged $L_TOTAL of a budget of $SOAK_BUDGET"

    # 7. Every file is what the journal says and what the sim served.
    local files_bad="FROM jobs j LEFT JOIN files f ON f.file = j.file LEFT JOIN tasks t ON t.task_id = j.task_id
        LEFT JOIN manifest m ON m.job = j.id
        WHERE j.state = 'done' AND NOT coalesce(f.sha256 = j.sha256 AND j.sha256 = t.sha256 AND m.sha256 = j.sha256, 0)"
    P_FILES_BAD=$(soak_sql "SELECT count(*) $files_bad")
    P_DONE=$(soak_sql "SELECT count(*) FROM jobs WHERE state = 'done'")
    P_STRAY=$(soak_sql "SELECT count(*) FROM files f WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.file = f.file AND j.state = 'done')")
    is "$P_FILES_BAD" 0 "every file's sha256 = journal = served: $P_FILES_BAD of $P_DONE done jobs differ or miss their file ($P_STRAY files on disk no done job names)"
    soak_examples "file" "SELECT j.id, j.file, coalesce(f.sha256, 'no file'), coalesce(j.sha256, '-'), coalesce(t.sha256, '-'), coalesce(m.sha256, '-') $files_bad"

    SOAK_FAILED=$((_tap_failed - before_failed))
    SOAK_CHECK_SECONDS=$(soak_since "$t0")
    soak_summary "$dir"
}

# soak_summary DIR: what ran and what the ledger and the journal hold.
soak_summary() {
    local w=$SOAK_WORK
    diag "--- soak summary ---"
    diag "$SOAK_JOBS jobs, concurrency $SOAK_CONCURRENCY; $(echo "$SOAK_FAULTS" | wc -w) faults at $SOAK_RATE, seed $SOAK_SEED, time scale $SOAK_TIME_SCALE, refund failed $SOAK_REFUND"
    diag "$SOAK_KILLS runs killed with -9 ($SOAK_STRUCK struck a live hh; jobs past submission at each kill:$SOAK_KILLED_AT) in ${SOAK_T_KILLS}s; $SOAK_RESUMES resumes, pending $SOAK_PENDING_BEFORE; then --resubmit-unknown, pending $SOAK_PENDING_AFTER; ${SOAK_SECONDS}s in all, checked in ${SOAK_CHECK_SECONDS}s"
    diag "ledger: $(jq -r '"\(.accepted) submissions, \(.answered) answered, \(.credits.charged) credits charged, \(.credits.refunded // 0) refunded"' "$w/stats.json"); budget $SOAK_BUDGET"
    diag "ledger outcomes: $(soak_sql "SELECT group_concat(outcome || ' ' || c, ', ') FROM (SELECT t.outcome, count(*) AS c FROM ledger l JOIN tasks t USING (task_id) GROUP BY 1 ORDER BY 2 DESC)")"
    diag "ledger faults: $(soak_sql "SELECT group_concat(coalesce(fault, 'none') || ' ' || c, ', ') FROM (SELECT fault, count(*) AS c FROM ledger GROUP BY 1 ORDER BY 2 DESC)")"
    diag "journal jobs: $(soak_sql "SELECT group_concat(s || ' ' || c, ', ') FROM (SELECT state || coalesce('/' || class, '') AS s, count(*) AS c FROM jobs GROUP BY 1 ORDER BY 2 DESC)")"
    diag "journal attempts: $(soak_sql "SELECT group_concat(coalesce(outcome, 'null') || ' ' || c, ', ') FROM (SELECT outcome, count(*) AS c FROM attempts GROUP BY 1 ORDER BY 2 DESC)")"
    diag "hh show --json .credits: $(jq -c '.credits // {}' "$w/show.json")"
    diag "paid successes the journal never learned (their submissions' answers lost, never resubmitted): $P_SUCCESS_UNKNOWN"
    diag "$(printf '%-44s %s' property count)"
    diag "$(printf '%-44s %s' 'jobs lost' "$P_LOST")"
    diag "$(printf '%-44s %s' 'jobs billed twice (extra submissions)' "$P_TWICE ($P_TWICE_EXTRA)")"
    diag "$(printf '%-44s %s' 'paid successes undelivered' "$P_UNDELIVERED")"
    diag "$(printf '%-44s %s' 'no usable URL, not pending delivery' "$P_NOURL_STATE")"
    diag "$(printf '%-44s %s' 'no usable URL, resubmitted' "$P_NOURL_AGAIN")"
    diag "$(printf '%-44s %s' 'unknown outcomes forgotten (before/after)' "$P_FORGOTTEN_BEFORE/$P_FORGOTTEN")"
    diag "$(printf '%-44s %s' 'unknown outcomes resent without the flag' "$P_RESENT")"
    diag "$(printf '%-44s %s' 'unknown/sending attempts followed by another' "$P_FOLLOWED")"
    diag "$(printf '%-44s %s' 'files differing from journal or sim' "$P_FILES_BAD")"
    diag "$(printf '%-44s %s' 'ledger credits charged / budget' "$L_TOTAL / $SOAK_BUDGET")"
}
