#!/usr/bin/env bash
# hh-sim's connection faults: slow headers, a slow body, and reuse-drop, which
# closes a keep-alive connection when its second request arrives. The last
# shows the trap a client must defend against: curl 7.88 resends a POST on
# its own when a reused connection dies, and the sim bills it twice.
. "$(dirname "$0")/lib.sh"
JOB="{$GEN,\"prompt\":\"connection faults\",\"duration\":3}"

# timed_status: a status request; sets CODE, BODY_FILE, T_START (ms to the
# first byte) and T_TOTAL (ms in all).
timed_status() {
    local out
    out=$(curl -s -o "$SCRATCH/b" -w '%{http_code} %{time_starttransfer} %{time_total}' \
        -H "Authorization: Bearer $SIM_KEY" "$SIM_URL/api/status?task_id=${1:-hs1-0}")
    set -- $out
    CODE=$1
    T_START=$(awk -v t="$2" 'BEGIN { printf "%d", t * 1000 }')
    T_TOTAL=$(awk -v t="$3" 'BEGIN { printf "%d", t * 1000 }')
}

start_sim --time-scale 0.001 --fault slow-headers=1 --slow-seconds 0.3
timed_status
is "$CODE" 404 "slow-headers: the answer still arrives"
is "$(jq -r .error.message "$SCRATCH/b")" "task_id: no task with this id" "slow-headers: and it is whole"
[ "$T_START" -ge 300 ]
ok $? "slow-headers: the first byte comes after at least --slow-seconds ($T_START ms)"
post_task "$JOB"
is "$CODE" 200 "slow-headers: a POST is answered too"
code=$(curl -s -o /dev/null -w '%{http_code} %{time_starttransfer}' "$SIM_URL/_sim/stats")
like "$code" '^200 ' "slow-headers: /_sim answers are not slowed"

start_sim --time-scale 0.001 --fault slow-body=1 --slow-seconds 0.3
timed_status
is "$CODE" 404 "slow-body: the answer still arrives"
is "$(jq -r .error.message "$SCRATCH/b")" "task_id: no task with this id" "slow-body: and it is whole"
[ "$T_TOTAL" -ge 300 ]
ok $? "slow-body: the transfer takes at least --slow-seconds ($T_TOTAL ms)"
[ $((T_TOTAL - T_START)) -ge 150 ]
ok $? "slow-body: the body trickles in after the headers ($((T_TOTAL - T_START)) ms)"
post_task "$JOB"
is "$CODE/$(printf '%s' "$TASK" | cut -c1-2)" 200/hs "slow-body: a POST answer is whole JSON"

# reuse-drop on GET: curl (like most clients) retries a safe request itself.
start_sim --time-scale 0.001 --fault reuse-drop=1
url="$SIM_URL/api/status?task_id=hs1-0"
codes=$(curl -sv -o /dev/null -o /dev/null -w '%{http_code} ' -H "Authorization: Bearer $SIM_KEY" "$url" "$url" 2> "$SCRATCH/v")
is "$codes" "404 404 " "reuse-drop: curl ends with both answers"
grep -q 'Re-using existing connection' "$SCRATCH/v"
ok $? "reuse-drop: the second request went on the reused connection"
grep -q 'Connection died, retrying a fresh connect' "$SCRATCH/v"
ok $? "reuse-drop: which died, and curl retried on a fresh one"
is "$(jqv "$(sim_stats)" '.requests.status | [.["404"], .dropped] | map(tostring) | join(" ")')" "2 1" \
    "reuse-drop: the ledger saw two answers and one dropped request"

# reuse-drop on POST: the second submission is billed, dropped, resent by
# curl on a new connection and billed again.
start_sim --time-scale 0.001 --fault reuse-drop=1
one="{$GEN,\"prompt\":\"first\",\"duration\":3}"
two="{$GEN,\"prompt\":\"second\",\"duration\":3}"
out=$(curl -sv -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $SIM_KEY" --data-binary "$one" "$SIM_URL/api/generate" \
    --next -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $SIM_KEY" --data-binary "$two" "$SIM_URL/api/generate" 2> "$SCRATCH/v")
status=$?
is "$status" 0 "reuse-drop: curl reports success for both POSTs"
is "$(printf '%s\n' "$out" | tr '\n' ' ')" "200 200 " "reuse-drop: two 200s, as far as curl tells"
grep -q 'Connection died, retrying a fresh connect' "$SCRATCH/v"
ok $? "reuse-drop: curl resent the POST on its own"
stats=$(sim_stats)
is "$(jqv "$stats" .accepted)" 3 "reuse-drop: the sim accepted three submissions for two POSTs"
is "$(jqv "$stats" .credits.charged)" 540 "reuse-drop: and billed three"
sha_two=$(printf '%s' "$two" | sha256sum | cut -d' ' -f1)
is "$(jqv "$stats" "[.submissions[] | select(.body_sha256 == \"$sha_two\")] | length")" 2 \
    "reuse-drop: two billed submissions with the second body's hash"
is "$(jqv "$stats" "[.submissions[] | select(.body_sha256 == \"$sha_two\") | [.answered, .fault] | map(tostring) | join(\"/\")] | join(\" \")")" \
    "false/reuse-drop true/null" "reuse-drop: the first copy unanswered (the fault), the resent one answered"
is "$(jqv "$stats" .answered)" 2 "reuse-drop: the client saw two task ids for three billed tasks"
is "$(jqv "$stats" '.requests.generate | [.["200"], .dropped] | map(tostring) | join(" ")')" "2 1" \
    "reuse-drop: the ledger shows the dropped POST"

# On a host that honours Idempotency-Key (the sim does) the resent POST
# returns the task already billed. (hh's own defence is a body libcurl cannot
# rewind, which turns the resend into an error; see docs/sim.md.)
start_sim --time-scale 0.001 --fault reuse-drop=1
curl -s -o /dev/null -H "Authorization: Bearer $SIM_KEY" -H 'Idempotency-Key: one' --data-binary "$one" "$SIM_URL/api/generate" \
    --next -s -o /dev/null -H "Authorization: Bearer $SIM_KEY" -H 'Idempotency-Key: two' --data-binary "$two" "$SIM_URL/api/generate"
stats=$(sim_stats)
is "$(jqv "$stats" .accepted)" 2 "with Idempotency-Key the resent POST is not billed again"
is "$(jqv "$stats" .answered)" 2 "and both tasks are answered"

# Downloads: the reused connection is dropped before anything is served.
post_task "$one"
url=$(wait_url "$TASK")
curl -s -o "$SCRATCH/d1" "$url" -o "$SCRATCH/d2" "$url"
cmp -s "$SCRATCH/d1" "$SCRATCH/d2"
ok $? "reuse-drop on downloads: curl retried and got the file"
is "$(jqv "$(sim_stats)" '.requests.download.dropped')" 1 "reuse-drop on downloads: one dropped"
done_testing
