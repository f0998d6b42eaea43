#!/bin/bash
# t0710: team runs on a real PostgreSQL store. Several hh workers run one
# 500-job recipe against one hh-sim: every job is billed once (the sim's
# ledger), a shared budget holds, a worker killed with SIGKILL is recovered by
# another without resubmitting, a second person pays nothing for the same
# recipe, and the key's rate limit holds across workers.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/lib-hh.sh"
. "$TESTS_DIR/lib-pg.sh"

pg_start
export PGPASSWORD=$PG_PASSWORD
CAS=$SCRATCH/cas
cd "$SCRATCH" || bail "no scratch directory"

# A 500-job recipe (25 x 20 cells); TAG keeps each part's requests its own.
cat > team.yaml <<'EOF'
hh: 1
name: team-sweep
vars: {tag: t}
prompt: "{tag}: a horse, take {a} of look {b}"
sweep:
  a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]
  b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
duration: 5
concurrency: 16
qc: {enabled: false} # the clips' checks are t0465's; here they would only cost CPU
EOF

# worker NAME PERSON TAG [ARGS...]: starts `hh run` in the background; its
# pid in PID_NAME, its output in NAME.log.
worker() {
    local name=$1 person=$2 tag=$3
    shift 3
    HH_PERSON=$person "$HH" run team.yaml --set "tag=$tag" --out "$name" --store "$PG_URL" --cache "$CAS" -q "$@" \
        > "$name.log" 2>&1 &
    eval "PID_$name=$!"
}
# finish NAME: waits for it; its exit status in RC_NAME.
finish() { local pid; eval "pid=\$PID_$1"; wait "$pid"; eval "RC_$1=$?"; }

# Jobs billed more than once by the sim (bodies sent twice), and accepted tasks.
twice() { sim_stats | jq '[.submissions[].body_sha256] | group_by(.) | map(select(length > 1)) | length'; }
accepted() { sim_stats | jq '.accepted'; }
done_in() { jq -s 'map(select(.state == "done")) | length' "$1/manifest.jsonl"; }

diag "at ${SECONDS}s"
# --- two workers, one recipe -------------------------------------------------
start_sim --time-scale 0.005
hh_env
worker w1 alice two
worker w2 bob two
finish w1; finish w2
is "$RC_w1/$RC_w2" "0/0" "two workers on one 500-job recipe both finish cleanly"
is "$(accepted)" 500 "the sim billed 500 tasks: one a job"
is "$(twice)" 0 "no request was billed twice"
is "$(done_in w1)/$(done_in w2)" "500/500" "each worker's manifest has all 500 clips"
n1=$(jq -s 'map(select(.charged > 0)) | length' w1/manifest.jsonl)
n2=$(jq -s 'map(select(.charged > 0)) | length' w2/manifest.jsonl)
is "$((n1 + n2))" 500 "the workers split the jobs between them ($n1 + $n2), each paid once"
ok $([ "$n1" -gt 50 ] && [ "$n2" -gt 50 ]; echo $?) "both did a real share of the work"
is "$(jq -s 'map(select(.reused == true)) | length' w1/manifest.jsonl)" "$((500 - n1))" \
    "the other worker's clips are marked reused in the manifest"
bad=0
while read -r file sha; do
    [ "$(sha256sum "w1/$file" | cut -d' ' -f1)" = "$sha" ] || bad=$((bad + 1))
done < <(jq -r 'select(.reused == true) | "\(.file) \(.sha256)"' w1/manifest.jsonl)
is "$bad" 0 "every reused clip has the bytes the store names"
like "$(cat w1.log)" "500 done \(0 already, [0-9]+ paid for by the team\)" "the summary says how many the team paid for"
charged=$(sim_stats | jq '.credits.charged')
is "$(pg_psql "SELECT sum(coalesce(charged, reserved)) FROM hh_spend WHERE state = 'charged' AND recipe = 'team-sweep'")" \
    "$charged" "the store's spending ledger equals the sim's charges ($charged)"
is "$(pg_psql "SELECT count(*) FROM hh_spend WHERE state <> 'charged'")" 0 "no reservation is left open"
is "$(pg_psql "SELECT string_agg(version::text, ',') FROM hh_migrations")" 1 "the schema was made once (migration 1)"
is "$(pg_psql "SELECT count(*) FROM hh_workers")" 0 "the workers left the store when they finished"
ls "$CAS"/*/*.mp4 > /dev/null 2>&1
ok $? "the clips are in the team cache, by sha256"
is "$(find "$CAS" -name '*.mp4' | head -1 | xargs basename | grep -Ec '^[0-9a-f]{64}\.mp4$')" 1 "named by their sha256"

diag "at ${SECONDS}s"
# --- a second person, the same recipe --------------------------------------
before=$(accepted)
HH_PERSON=carol run_hh run team.yaml --set tag=two --out carol --store "$PG_URL" --cache "$CAS" -q
is "$RC" 0 "a teammate runs the same recipe"
is "$(accepted)" "$before" "the sim billed nothing more"
like "$OUT" "charged 0 credits this run" "it says it paid 0 credits"
is "$(jq -s 'map(select(.reused == true and .state == "done" and .charged == 0)) | length' carol/manifest.jsonl)" 500 \
    "all 500 clips are the team's, reused, at 0 credits"
is "$(jq -s 'map(.paid_by) | unique | sort | join(",")' carol/manifest.jsonl)" '"alice,bob"' "each names who paid for it"

# The cache is checked: a clip with other bytes is not used; the host gives it again by its task id, free.
victim=$(jq -r 'select(.sha256 != null) | .sha256' carol/manifest.jsonl | head -1)
chmod u+w "$CAS/${victim:0:2}/$victim.mp4"
printf 'garbage' > "$CAS/${victim:0:2}/$victim.mp4"
HH_PERSON=dave run_hh run team.yaml --set tag=two --out dave --store "$PG_URL" --cache "$CAS" -q
is "$RC/$(accepted)" "0/$before" "a corrupted cache file is not used, and nothing is paid for it"
is "$(done_in dave)" 500 "the clip came from the host by the teammate's task id"

diag "at ${SECONDS}s"
# --- a shared budget, four workers ------------------------------------------
# The team spent some of this month already: 60,000 credits more are allowed.
used=$(pg_psql "SELECT coalesce(sum(coalesce(charged, reserved)), 0) FROM hh_spend WHERE state = 'charged' AND at >= date_trunc('month', now())")
limit=$((used + 60000))
run_hh spend --store "$PG_URL" --budget "team=$limit/month"
is "$RC" 0 "hh spend --budget team=$limit/month sets the team's budget"
before=$(sim_stats | jq '.credits.charged')
for w in b1 b2 b3 b4; do worker "$w" "p-$w" budget; done
for w in b1 b2 b3 b4; do finish "$w"; done
spent=$(( $(sim_stats | jq '.credits.charged') - before ))
month=$(pg_psql "SELECT coalesce(sum(coalesce(charged, reserved)), 0) FROM hh_spend WHERE state = 'charged' AND at >= date_trunc('month', now())")
ok $([ "$month" -le "$limit" ]; echo $?) "four workers never pass the team budget together (used $month of $limit this month)"
is "$spent" 60000 "they spent exactly what was left of it"
like "$(cat b1.log b2.log b3.log b4.log)" "skipped" "the jobs past it are skipped"
grep -h '"state":"skipped"' b1/manifest.jsonl | head -1 | grep -q "would pass the team's budget of $limit a month"
ok $? "a skipped job says it would pass the team's budget"
is "$(twice)" 0 "still no request billed twice"
run_hh spend --store "$PG_URL" --by person
like "$OUT" "budget team +$limit a month +used $limit, left 0" "hh spend shows the budget and what is left"
like "$OUT" "alice +[0-9]+ +[0-9]+" "and the spending by person"
run_hh spend --store "$PG_URL" --json
is "$(jqv "$OUT" '[.by.recipe[] | select(.name == "team-sweep") | .charged] | add')" \
    "$(sim_stats | jq '.credits.charged')" "hh spend --json: the recipe's charges equal the sim's"
run_hh spend --store "$PG_URL" --budget team=none
is "$(pg_psql "SELECT count(*) FROM hh_budgets")" 0 "--budget team=none removes it"

diag "at ${SECONDS}s"
# --- kill -9 of a worker mid-run ---------------------------------------------
stop_sim
start_sim --time-scale 0.02
hh_env
worker k1 erin kill --lease 2
worker k2 frank kill --lease 2
for _ in $(seq 1 600); do
    n=$(pg_psql "SELECT count(*) FROM hh_jobs WHERE person = 'erin' AND state = 'submitted' AND params LIKE '%kill:%'")
    [ "$n" -ge 8 ] && break
    sleep 0.05
done
kill -9 "$PID_k1"
finish k1
is "$RC_k1" 137 "worker 1 is killed with SIGKILL while it has $n tasks running"
finish k2
is "$(twice)" 0 "after the kill, still no request billed twice"
resumed=$(jq -s 'map(select(.state == "done" and .charged == 0 and .reused == null and .task_id != null)) | length' k2/manifest.jsonl)
ok $([ "$resumed" -ge 1 ]; echo $?) "worker 2 took over $resumed of worker 1's running tasks and downloaded them without paying again"
unknown=$(jq -s 'map(select(.state == "unknown")) | length' k2/manifest.jsonl)
is "$(( $(done_in k2) + unknown ))" 500 "worker 2 ends with every job done, or unknown if worker 1 died mid-request ($unknown)"
is "$(pg_psql "SELECT count(*) FROM hh_jobs WHERE params LIKE '%kill:%' AND state NOT IN ('done', 'unknown')")" 0 \
    "the store agrees"
# A person decides about the unknown ones: resent with their keys, the host does not bill them twice.
HH_PERSON=frank run_hh run team.yaml --set tag=kill --out k2 --store "$PG_URL" --cache "$CAS" -q --resubmit-unknown
is "$RC/$(done_in k2)" "0/500" "--resubmit-unknown settles them: 500 done"
is "$(sim_stats | jq '[.submissions[] | select(.body_sha256)] | length')" 500 "500 tasks billed for 500 jobs"
is "$(twice)" 0 "none twice"

diag "at ${SECONDS}s"
# --- the key's rate limit, shared ---------------------------------------------
stop_sim
start_sim --time-scale 0.005 --rate 100
# No rate of hh's own: the host's advertised limit applies.
hh_env "poll_min_interval=0.002,poll_max_interval=0.05,backoff_base=0.01,backoff_cap=0.05,max_retry_after=5"
worker r0 solo rate-one
finish r0
one=$(sim_stats | jq '[.requests.generate["429"], .requests.status["429"]] | map(. // 0) | add')
is "$RC_r0/$(done_in r0)" "0/500" "one worker under the sim's limit of 100 requests a second"
stop_sim
start_sim --time-scale 0.005 --rate 100
hh_env "poll_min_interval=0.002,poll_max_interval=0.05,backoff_base=0.01,backoff_cap=0.05,max_retry_after=5"
for w in r1 r2 r3 r4; do worker "$w" "p-$w" rate-four; done
for w in r1 r2 r3 r4; do finish "$w"; done
four=$(sim_stats | jq '[.requests.generate["429"], .requests.status["429"]] | map(. // 0) | add')
is "$RC_r1$RC_r2$RC_r3$RC_r4/$(done_in r1)" "0000/500" "four workers under the same limit"
diag "r1: $(tail -2 r1.log)"
# Without the share four workers get ~230 429s here; on a loaded machine a late
# ticker lets a few through (18 seen beside a full make test), never that many.
ok $([ "$four" -le $((one + 40)) ]; echo $?) "together they stay near one worker's 429s: $four, one worker alone $one"

diag "at ${SECONDS}s"
# --- errors: refused before anything is sent -----------------------------------
before=$(accepted)
run_hh run team.yaml --out e1 --store mysql://x/y
is "$RC" 2 "a store that is not PostgreSQL is refused"
like "$ERR" "run: --store: mysql://x/y: expected a PostgreSQL URI, postgresql://USER@HOST:PORT/DATABASE" "saying what it expects"
run_hh run team.yaml --out e1 --store "postgresql://hh:hunter2@127.0.0.1:$PG_PORT/hh"
is "$RC" 2 "an address with a password is refused"
like "$ERR" "holds a password; keep it out of addresses.*PGPASSWORD or ~/.config/hh/pgpass" "saying where the password goes"
unlike "$ERR" "hunter2" "without repeating the password"
HH_STORE="postgresql://hh@127.0.0.1:$PG_PORT/hh?password=hunter2" run_hh run team.yaml --out e1
like "$ERR" "HH_STORE: .*holds a password" "the same for HH_STORE"
unlike "$ERR" "hunter2" "(not repeated)"
PGPASSWORD=wrong-password run_hh run team.yaml --out e1 --store "$PG_URL"
is "$RC" 4 "a wrong password stops the run"
like "$ERR" "cannot connect to the store: .*password authentication failed" "saying the store refused it"
unlike "$ERR" "wrong-password" "without printing it"
port=$(_pg_free_port)
run_hh run team.yaml --out e1 --store "postgresql://hh@127.0.0.1:$port/hh"
like "$ERR" "postgresql://hh@127.0.0.1:$port/hh: cannot connect to the store: .*refused" "a store nobody listens on is named"
mkdir -p "$XDG_CONFIG_HOME/hh"
printf '127.0.0.1:%s:hh:hh:%s\n' "$PG_PORT" "$PG_PASSWORD" > "$XDG_CONFIG_HOME/hh/pgpass"
chmod 644 "$XDG_CONFIG_HOME/hh/pgpass"
PGPASSWORD= run_hh run team.yaml --out e1 --store "$PG_URL"
like "$ERR" "pgpass can be read by others \(mode 0644\); the store's password must not be: chmod 600" \
    "a password file others can read is refused"
chmod 600 "$XDG_CONFIG_HOME/hh/pgpass"
printf '%s\n' "$PG_URL" > "$XDG_CONFIG_HOME/hh/store"
PGPASSWORD= HH_PERSON=gina run_hh run team.yaml --set tag=two --out e2 --cache "$CAS" -q
is "$RC/$(done_in e2)" "0/500" "the store from ~/.config/hh/store, its password from ~/.config/hh/pgpass (0600)"
run_hh run team.yaml --set tag=local --out e3 --store local --cache "$CAS"
like "$ERR" "run: --cache and --lease belong to a team store" "--store local runs without the store; --cache then is an error"
rm -f "$XDG_CONFIG_HOME/hh/store"
is "$(accepted)" "$before" "none of these sent anything"
pg_psql "INSERT INTO hh_migrations (version, by_hh) VALUES (99, 'future')" > /dev/null
run_hh run team.yaml --out e1 --store "$PG_URL"
like "$ERR" "the store's schema is version 99; this hh knows versions up to 1: use a newer hh" "a store newer than hh is refused"
pg_psql "DELETE FROM hh_migrations WHERE version = 99" > /dev/null

# The password is nowhere hh writes.
grep -rl -- "$PG_PASSWORD" w1 w2 carol k2 b1 r1 ./*.log > /dev/null 2>&1
is "$?" 1 "the store's password is in no journal, manifest, report or log"

done_testing
