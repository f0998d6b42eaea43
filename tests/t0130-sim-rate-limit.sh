#!/usr/bin/env bash
# hh-sim's rate limit: a per-key token bucket (--rate, --rate-burst) answers
# 429 with the wait in the --retry-after format (seconds, an HTTP date,
# retry-after-ms, zero, huge, none); 429s cost nothing; the rate-limit-burst
# fault sends --burst-length 429s in a row, then lets requests through.
. "$(dirname "$0")/lib.sh"
JOB="{$GEN,\"prompt\":\"rate\",\"duration\":3}"

# status_code: a GET /api/status with the test key; prints the code and
# leaves the headers in $HEADERS.
HEADERS=$SCRATCH/headers
status_code() {
    curl -s -o "$SCRATCH/body" -D "$HEADERS" -w '%{http_code}' \
        -H "Authorization: Bearer $SIM_KEY" "$SIM_URL/api/status?task_id=${1:-hs1-0}"
}

OTHER=sk-other-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
echo "$OTHER" > "$SCRATCH/keys"
start_sim --time-scale 0.001 --rate 2 --rate-burst 3 --key-file "$SCRATCH/keys"
# Four requests and a POST back to back, checked afterwards so that slow
# checks cannot give the bucket time to refill.
codes=
for _ in 1 2 3; do codes="$codes $(status_code)"; done
fourth=$(status_code)
api_post "$JOB"
post_code=$CODE
is "$codes" " 404 404 404" "--rate-burst 3: three requests at once pass"
is "$fourth" 429 "the fourth is refused with 429"
is "$(header Retry-After)" 1 "Retry-After: 1 (whole seconds, rounded up)"
is "$(jq -r .error.code "$SCRATCH/body")" rate_limited "429 error code"
is "$(jq -r .error.message "$SCRATCH/body")" \
    "too many requests: slow down and retry after the time in Retry-After" "429 message"
is "$(header Content-Type)" application/json "429 body is JSON"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $OTHER" "$SIM_URL/api/status?task_id=x")
is "$code" 404 "another key has its own bucket"
is "$post_code" 429 "a POST is limited too"
is "$(jqv "$(sim_stats)" .accepted)" 0 "a 429 accepts nothing"
is "$(jqv "$(sim_stats)" .credits.charged)" 0 "a 429 charges nothing"
code=$(curl -s -o /dev/null -w '%{http_code}' "$SIM_URL/_sim/stats")
is "$code" 200 "/_sim is never limited"
sleep 0.6
is "$(status_code)" 404 "after waiting, requests pass again (2 a second refill)"
urls=$(for _ in $(seq 8); do printf '%s ' "$SIM_URL/api/status?task_id=x"; done)
# shellcheck disable=SC2086
codes=$(curl -s -o /dev/null -w '%{http_code} ' -H "Authorization: Bearer $SIM_KEY" $urls)
like "$codes" "429" "a fast loop is limited again ($codes)"
is "$(jqv "$(sim_stats)" '.requests.status["429"] > 0')" true "429s are in the ledger"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer sk-nobody" "$SIM_URL/api/status?task_id=x")
is "$code" 401 "an unknown key is refused before the limit"

# rate_limited FORMAT: a sim that 429s the second request at once.
rate_limited() {
    start_sim --time-scale 0.001 --rate 1 --rate-burst 1 --retry-after "$1"
    status_code > /dev/null
    is "$(status_code)" 429 "--retry-after $1: 429"
}

rate_limited seconds
is "$(header Retry-After)" 1 "seconds: Retry-After: 1"
is "$(header retry-after-ms)" "" "seconds: no retry-after-ms"

rate_limited date
when=$(header Retry-After)
like "$when" '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$' \
    "date: Retry-After is an HTTP date (IMF-fixdate)"
secs=$(( $(date -d "$when" +%s) - $(date +%s) ))
[ "$secs" -ge 1 ] && [ "$secs" -le 5 ]
ok $? "date: a moment in the future ($secs s)"

rate_limited ms
is "$(header Retry-After)" "" "ms: no Retry-After"
ms=$(header retry-after-ms)
like "$ms" '^[0-9]+$' "ms: retry-after-ms is a whole number of milliseconds"
[ "${ms:-0}" -ge 1 ] && [ "${ms:-0}" -le 1000 ]
ok $? "ms: between 1 and 1000 ms at 1 request a second ($ms)"

rate_limited zero
is "$(header Retry-After)" 0 "zero: Retry-After: 0"

rate_limited huge
is "$(header Retry-After)" 86400 "huge: Retry-After: 86400"

rate_limited none
is "$(header Retry-After)" "" "none: no Retry-After"
is "$(header retry-after-ms)" "" "none: no retry-after-ms"

# The rate-limit-burst fault: runs of exactly --burst-length 429s.
start_sim --time-scale 0.001 --fault rate-limit-burst=0.3 --burst-length 4 --seed 7
codes=
for _ in $(seq 40); do codes="$codes$(status_code) "; done
diag "codes: $codes"
like "$codes" "^(404 )*429 429 429 429 " "a burst is --burst-length (4) 429s in a row"
runs=$(printf '%s' "$codes" | tr ' ' '\n' | awk '$1 == 429 { n++; next } n { print n; n = 0 } END { if (n) print n }')
bad=$(printf '%s\n' "$runs" | awk 'NF && $1 % 4 != 0' | wc -l)
is "$bad" 0 "every run of 429s is a whole number of bursts ($(echo $runs))"
like "$codes" "429 404 " "then requests pass again"
like "$(printf '%s' "$codes" | tr ' ' '\n' | sort | uniq -c | tr '\n' ' ')" "404" "most requests pass"
start_sim --time-scale 0.001 --fault rate-limit-burst=0.3 --burst-length 4 --seed 7
again=
for _ in $(seq 40); do again="$again$(status_code) "; done
is "$again" "$codes" "the same --seed gives the same bursts"
start_sim --time-scale 0.001 --fault rate-limit-burst=1 --burst-length 2
is "$(status_code)" 429 "rate 1: the first request starts a burst"
is "$(header Retry-After)" 1 "a burst 429 carries Retry-After"
api_post "$JOB"
is "$CODE" 429 "a burst limits POSTs too"
is "$(jqv "$(sim_stats)" .accepted)" 0 "and accepts nothing"
done_testing
