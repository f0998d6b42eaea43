#!/usr/bin/env bash
# hh-sim's keys and money: 401 for a missing, malformed or unknown key;
# separate balances per key; the documented price table; 402 without a
# charge; --credits-after; 404 for unknown and foreign tasks; 405, 404, 413.
. "$(dirname "$0")/lib.sh"
OTHER=sk-other-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
printf '%s 1000\n' "$OTHER" > "$SCRATCH/keys"
start_sim --time-scale 0.001 --credits 100000 --key-file "$SCRATCH/keys"

JOB="{$GEN,\"prompt\":\"a horse\",\"duration\":3,\"mode\":\"std\",\"sound\":false}"

# post_as AUTH-HEADER-ARGS... : POST JOB; sets CODE and BODY.
post_as() {
    BODY=$(curl -s -w '\n%{http_code}' "$@" -H 'Content-Type: application/json' \
        --data-binary "$JOB" "$SIM_URL/api/generate")
    CODE=${BODY##*$'\n'}
    BODY=${BODY%$'\n'*}
}

missing='missing API key: send the header Authorization: Bearer <key>'
post_as
is "$CODE" 401 "no Authorization header: 401"
is "$(jqv "$BODY" .error.message)" "$missing" "no header: message"
is "$(jqv "$BODY" .error.code)" unauthorized "no header: error code"
post_as -H "Authorization: Basic $(printf 'u:%s' "$SIM_KEY" | base64)"
is "$CODE" 401 "Basic instead of Bearer: 401"
is "$(jqv "$BODY" .error.message)" "$missing" "Basic: message"
post_as -H "Authorization: $SIM_KEY"
is "$CODE" 401 "the key without Bearer: 401"
is "$(jqv "$BODY" .error.message)" "$missing" "no scheme: message"
post_as -H "Authorization: Bearer sk-nobody"
is "$CODE" 401 "unknown key: 401"
is "$(jqv "$BODY" .error.message)" "unknown API key" "unknown key: message"
post_as -H "Authorization: Bearer ${SIM_KEY}x"
is "$CODE" 401 "a key with a suffix is unknown"
post_as -H "Authorization: Bearer "
is "$CODE" 401 "an empty key is unknown"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer sk-nobody" "$SIM_URL/api/status?task_id=x")
is "$code" 401 "status checks the key too"
post_as -H "authorization: bearer $SIM_KEY"
is "$CODE" 200 "header name and scheme are case-insensitive"
stats=$(sim_stats)
is "$(jqv "$stats" .accepted)" 1 "refused requests create no task"
is "$(jqv "$stats" '.requests.generate["401"]')" 6 "401s are in the ledger"
unlike "$stats" "$SIM_KEY|$OTHER" "no key in the stats"

# Two keys, two balances.
post_as -H "Authorization: Bearer $OTHER"
is "$CODE" 200 "the second key submits"
stats=$(sim_stats)
is "$(jqv "$stats" .credits.keys.key1.balance)" $((100000 - 120)) "key1 paid 120 once"
is "$(jqv "$stats" .credits.keys.key2.balance)" $((1000 - 120)) "key2 paid 120 from its own balance"
is "$(jqv "$stats" .credits.keys.key2.accepted)" 1 "key2 accepted 1"
is "$(jqv "$stats" .credits.charged)" 240 "240 charged in all"

# The price table: credits per second by mode and sound.
before=$(jqv "$(sim_stats)" .credits.keys.key1.charged)
for mode in std pro; do
    for sound in false true; do
        for d in 3 5 15; do
            case $mode-$sound in
                std-false) rate=40 ;; std-true) rate=60 ;; pro-false) rate=54 ;; pro-true) rate=80 ;;
            esac
            api_post "{$GEN,\"prompt\":\"price\",\"mode\":\"$mode\",\"sound\":$sound,\"duration\":$d}"
            id=$(jqv "$BODY" .data.task_id)
            after=$(jqv "$(sim_stats)" .credits.keys.key1.charged)
            is "$((after - before))" $((rate * d)) "$mode, sound $sound, $d s costs $((rate * d))"
            is "$(jqv "$(sim_stats)" ".submissions[] | select(.task_id == \"$id\") | .credits")" \
                $((rate * d)) "the ledger records $((rate * d)) for it"
            before=$after
        done
    done
done
api_post "{$GEN,\"prompt\":\"defaults\"}"
is "$(jqv "$(sim_stats)" .credits.keys.key1.charged)" $((before + 300)) "defaults (std, 5 s, sound) cost 300"
api_post "{$GEN,\"prompt\":\"pro clip\",\"mode\":\"pro\",\"duration\":5,\"sound\":true}"
is "$(jqv "$(sim_stats)" .credits.keys.key1.charged)" $((before + 700)) "a 5 s pro clip with sound costs 400"
api_post "{$GEN,\"multi_shots\":true,\"multi_prompt\":[{\"prompt\":\"a\",\"duration\":4},{\"prompt\":\"b\",\"duration\":6}],\"sound\":false}"
is "$(jqv "$(sim_stats)" .credits.keys.key1.charged)" $((before + 1100)) "multi-shot is billed on its total: 10 s std silent costs 400"

# 402: the second key has 880 left; a 15 s pro clip with sound costs 1200.
post_402() {
    BODY=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $OTHER" --data-binary "$1" "$SIM_URL/api/generate")
    CODE=${BODY##*$'\n'}
    BODY=${BODY%$'\n'*}
}
post_402 "{$GEN,\"prompt\":\"x\",\"mode\":\"pro\",\"duration\":15}"
is "$CODE" 402 "402 when the balance is too low"
is "$(jqv "$BODY" .error.message)" "insufficient credits: this job costs 1200, the balance is 880" "402 message"
is "$(jqv "$BODY" .error.code)" insufficient_credits "402 error code"
stats=$(sim_stats)
is "$(jqv "$stats" .credits.keys.key2.balance)" 880 "a 402 charges nothing"
is "$(jqv "$stats" .credits.keys.key2.accepted)" 1 "a 402 accepts nothing"
post_402 "{$GEN,\"prompt\":\"x\",\"mode\":\"pro\",\"duration\":11}"
is "$CODE" 200 "exactly the balance (11 s pro with sound = 880) is accepted"
post_402 "{$GEN,\"prompt\":\"x\",\"duration\":3,\"sound\":false}"
is "$CODE" 402 "a balance of 0 gives 402"
is "$(jqv "$BODY" .error.message)" "insufficient credits: this job costs 120, the balance is 0" "402 at zero"
api_post "$JOB"
is "$CODE" 200 "the other key is unaffected"

# 404: an unknown task, a malformed id, another key's task.
api_status hs999-00000000
is "$CODE" 404 "unknown task id: 404"
is "$(jqv "$BODY" .error.message)" "task_id: no task with this id" "404 message"
is "$(jqv "$BODY" .error.field)" task_id "404 names task_id"
api_status "not-an-id"
is "$CODE" 404 "malformed task id: 404"
own=$(submit "$JOB")
api_status "$own"
is "$CODE" 200 "own task: 200"
api_status "${own%-*}-00000000"
is "$CODE" 404 "the right number with the wrong check value: 404"
foreign=$(curl -s -H "Authorization: Bearer $OTHER" --data-binary "$JOB" "$SIM_URL/api/generate" | jq -r '.data.task_id // empty')
is "$foreign" "" "(the second key has no credits left)"
foreign=$(jqv "$(sim_stats)" '[.submissions[] | select(.key == "key2")][0].task_id')
api_status "$foreign"
is "$CODE" 404 "another key's task: 404"
api_status ""
is "$CODE" 400 "empty task_id: 400"
is "$(jqv "$BODY" .error.message)" "task_id: is required" "empty task_id message"

# Methods and paths.
code=$(curl -s -o "$SCRATCH/b" -w '%{http_code}' -H "Authorization: Bearer $SIM_KEY" "$SIM_URL/api/generate")
is "$code" 405 "GET /api/generate: 405"
is "$(jq -r .error.message "$SCRATCH/b")" "/api/generate takes POST" "405 message"
HEADERS=$SCRATCH/h
curl -s -o /dev/null -D "$HEADERS" "$SIM_URL/api/generate"
is "$(header Allow)" POST "405 says Allow: POST"
curl -s -o /dev/null -D "$HEADERS" -X PUT "$SIM_URL/files/x.mp4"
is "$(header Allow)" "GET, HEAD" "a download URL allows GET, HEAD"
code=$(curl -s -o "$SCRATCH/b" -w '%{http_code}' -X POST -H "Authorization: Bearer $SIM_KEY" "$SIM_URL/api/status?task_id=$own")
is "$code" 405 "POST /api/status: 405"
is "$(jq -r .error.message "$SCRATCH/b")" "/api/status takes GET" "405 message"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$SIM_URL/_sim/stats")
is "$code" 405 "DELETE /_sim/stats: 405"
code=$(curl -s -o "$SCRATCH/b" -w '%{http_code}' -H "Authorization: Bearer $SIM_KEY" "$SIM_URL/api/v2/generate")
is "$code" 404 "unknown path: 404"
is "$(jq -r .error.message "$SCRATCH/b")" "no such endpoint: /api/v2/generate" "404 message names the path"
code=$(curl -s -o /dev/null -w '%{http_code}' "$SIM_URL/_sim/nothing")
is "$code" 404 "unknown /_sim path: 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -I "$SIM_URL/api/status?task_id=$own" -H "Authorization: Bearer $SIM_KEY")
is "$code" 405 "HEAD /api/status: 405"

# 413: a body over --max-body, whatever it holds.
stop_sim
start_sim --time-scale 0.001 --max-body 2048
head -c 3000 /dev/zero | tr '\0' ' ' > "$SCRATCH/big"
code=$(curl -s -o "$SCRATCH/b" -w '%{http_code}' -H "Authorization: Bearer $SIM_KEY" --data-binary @"$SCRATCH/big" "$SIM_URL/api/generate")
is "$code" 413 "a 3000-byte body over --max-body 2048: 413"
is "$(jq -r .error.message "$SCRATCH/b")" "body: must be at most 2048 bytes" "413 message"
printf '{%s,"prompt":"%s"}' "$GEN" "$(head -c 1900 /dev/zero | tr '\0' a)" > "$SCRATCH/fits"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SIM_KEY" --data-binary @"$SCRATCH/fits" "$SIM_URL/api/generate")
is "$code" 200 "a body just under the limit is accepted"
head -c 3000000 /dev/zero > "$SCRATCH/huge"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SIM_KEY" --data-binary @"$SCRATCH/huge" "$SIM_URL/api/generate")
is "$code" 413 "a 3 MB body: 413"
is "$(jqv "$(sim_stats)" .accepted)" 1 "nothing too large was accepted"

# --credits-after N: 402 once N jobs were accepted, whatever the balance.
stop_sim
start_sim --time-scale 0.001 --credits-after 2
api_post "$JOB"; is "$CODE" 200 "--credits-after 2: first job accepted"
api_post "$JOB"; is "$CODE" 200 "--credits-after 2: second job accepted"
api_post "$JOB"; is "$CODE" 402 "--credits-after 2: third job 402"
is "$(jqv "$BODY" .error.message)" "insufficient credits: this job costs 120, the balance is 0" "--credits-after: message"
api_post "$JOB"; is "$CODE" 402 "and every one after"
stats=$(sim_stats)
is "$(jqv "$stats" .accepted)" 2 "two accepted"
is "$(jqv "$stats" .credits.charged)" 240 "two charged"
done_testing
