#!/usr/bin/env bash
# hh-sim's command line: a bad flag gets a message and the usage text on
# stderr and exit 2; --help, --list-faults and --version; --port 0 prints the
# base URL first; --key-file; -v logs one line a request and never the key.
. "$(dirname "$0")/lib.sh"
SIM=$HH_BUILD/hh-sim

# bad_flag MESSAGE-REGEX FLAGS...: exit 2, the message, then the usage text.
bad_flag() {
    local want=$1 status=0
    shift
    timeout 10 "$SIM" "$@" > "$SCRATCH/out" 2> "$SCRATCH/err" || status=$?
    is "$status" 2 "exit 2 for: $*"
    like "$(head -n 1 "$SCRATCH/err")" "^hh-sim: $want" "message for: $*"
    grep -q '^usage: hh-sim \[options\]' "$SCRATCH/err"
    ok $? "usage text on stderr for: $*"
    is "$(wc -c < "$SCRATCH/out" | tr -d ' ')" 0 "nothing on stdout for: $*"
}

bad_flag 'unknown option --bogus$' -k k --bogus
bad_flag 'unknown option -x$' -k k -x
bad_flag '--port needs a value$' -k k --port
bad_flag '--time-scale needs a value$' -k k --time-scale
bad_flag '--port: expected a number from 0 to 65535, got "70000"$' -k k --port 70000
bad_flag '--port: expected a number from 0 to 65535, got "12ab"$' -k k --port 12ab
bad_flag '--render-sigma: expected a number from 0 to 3, got "-1"$' -k k --render-sigma -1
bad_flag '--max-body: expected a number from 1024 to 1e\+09, got "10"$' -k k --max-body 10
bad_flag '--fault: unknown fault "no-such-fault" \(--list-faults names them\)$' -k k --fault no-such-fault=0.5
bad_flag '--fault: expected a number from 0 to 1, got "2"$' -k k --fault task-failed=2
bad_flag '--retry-after: expected seconds, date, ms, zero, huge or none, got "soon"$' -k k --retry-after soon
bad_flag '--bind: expected an IPv4 address, got "localhost"$' -k k --bind localhost
bad_flag 'give at least one API key with --key or --key-file$'
bad_flag 'give at least one API key with --key or --key-file$' --port 0
bad_flag 'a key must be non-empty and have no spaces$' --key ''
bad_flag 'unexpected argument "extra"$' -k k extra

status=0
"$SIM" --help > "$SCRATCH/out" 2> "$SCRATCH/err" || status=$?
is "$status" 0 "--help exits 0"
like "$(head -n 1 "$SCRATCH/out")" '^usage: hh-sim \[options\]$' "--help prints the usage on stdout"
is "$(wc -c < "$SCRATCH/err" | tr -d ' ')" 0 "--help writes nothing on stderr"
for flag in --port --bind --key --key-file --credits --credits-after --refund-failed \
    --ignore-idempotency --rate --rate-burst \
    --retry-after --time-scale --render-sigma --url-ttl --seed --fault --burst-length \
    --slow-seconds --stall-seconds --palette --cache-dir --max-body --list-faults \
    --verbose --help --version; do
    grep -q -- "$flag" "$SCRATCH/out"
    ok $? "--help names $flag"
done
"$SIM" -h | cmp -s - "$SCRATCH/out"
ok $? "-h is --help"

like "$("$SIM" --version)" '^hh-sim [0-9]+\.[0-9]+$' "--version"

status=0
"$SIM" --list-faults > "$SCRATCH/faults" || status=$?
is "$status" 0 "--list-faults exits 0"
for f in submit-error-before submit-error-after submit-drop-before submit-drop-after \
    submit-malformed submit-truncated submit-no-task-id rate-limit-burst slow-headers \
    slow-body reuse-drop status-error status-malformed status-early-404 status-unknown-word \
    status-completed-word task-failed task-policy task-stuck success-no-url success-bad-url \
    download-truncate download-reset download-longer download-stall download-corrupt download-ignore-range \
    download-redirect-host download-redirect-scheme download-redirect-loop clip-black clip-frozen \
    clip-silent clip-short clip-wrong-aspect clip-merged-shots; do
    grep -Eq "^$f +[A-Za-z]" "$SCRATCH/faults"
    ok $? "--list-faults: $f, with what it does"
done
is "$(wc -l < "$SCRATCH/faults" | tr -d ' ')" 36 "--list-faults lists 36 faults"
# Every listed fault is accepted by --fault.
status=0
"$SIM" -k k --fault "$(awk 'NR == 1 { print $1 }' "$SCRATCH/faults")=0.5" --list-faults > /dev/null || status=$?
is "$status" 0 "a listed fault name is accepted by --fault"

# docs/sim.md shows --help and --list-faults exactly as they are.
DOC=$ROOT/docs/sim.md
missing=0
while IFS= read -r line; do
    [ -z "$line" ] || grep -Fxq -- "$line" "$DOC" || { diag "not in docs/sim.md: $line"; missing=$((missing + 1)); }
done < <("$SIM" --help; "$SIM" --list-faults)
is "$missing" 0 "docs/sim.md holds every line of --help and --list-faults"

# --port 0: the base URL on the first line of stdout.
start_sim --time-scale 0.001
like "$SIM_URL" '^http://127\.0\.0\.1:[0-9]+$' "--port 0 prints http://127.0.0.1:PORT first"
[ "$(sim_port)" -gt 0 ]
ok $? "the port picked is not 0"
api_status nothing
is "$CODE" 404 "the sim answers on the printed URL"

# A fixed port: start a second sim on the port of the first after stopping it.
port=$(sim_port)
stop_sim
"$SIM" --port "$port" -k k --cache-dir "$SIM_CACHE" > "$SCRATCH/fixed.out" 2> /dev/null &
pid=$!
for _ in $(seq 200); do [ -s "$SCRATCH/fixed.out" ] && break; sleep 0.02; done
is "$(head -n 1 "$SCRATCH/fixed.out")" "http://127.0.0.1:$port" "--port N listens on N"
# A second sim on a busy port fails with a message and status 1.
status=0
timeout 10 "$SIM" --port "$port" -k k --cache-dir "$SIM_CACHE" > /dev/null 2> "$SCRATCH/busy.err" || status=$?
is "$status" 1 "a busy port exits 1"
like "$(cat "$SCRATCH/busy.err")" "^hh-sim: cannot listen on 127\.0\.0\.1 port $port: Address already in use$" "a busy port is named, with the reason"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
is "$status" 0 "SIGTERM stops the sim with status 0"

# --key-file: keys with their own credits, comments and blank lines.
cat > "$SCRATCH/keys" <<KEYS
# team keys
sk-file-one 500     # a small budget

sk-file-two
   sk-file-three 0
KEYS
start_sim --time-scale 0.001 --credits 700 --key-file "$SCRATCH/keys"
stats=$(sim_stats)
is "$(jqv "$stats" '.credits.keys | keys | join(",")')" "key1,key2,key3,key4" "four keys: the --key one, then the file's"
is "$(jqv "$stats" '.credits.keys.key1.balance')" 700 "--key gets --credits"
is "$(jqv "$stats" '.credits.keys.key2.balance')" 500 "a file key with credits gets them"
is "$(jqv "$stats" '.credits.keys.key3.balance')" 700 "a file key without credits gets --credits"
is "$(jqv "$stats" '.credits.keys.key4.balance')" 0 "a file key with 0 credits has 0"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer sk-file-two' "$SIM_URL/api/status?task_id=x")
is "$code" 404 "a file key is accepted"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer #' "$SIM_URL/api/status?task_id=x")
is "$code" 401 "comment text is not a key"
stop_sim

printf 'sk-a -5\n' > "$SCRATCH/bad1"
printf 'sk-a 10\nsk-b lots\n' > "$SCRATCH/bad2"
printf 'sk-a 10 20\n' > "$SCRATCH/bad3"
for f in bad1 bad2 bad3; do
    status=0
    timeout 10 "$SIM" --key-file "$SCRATCH/$f" > /dev/null 2> "$SCRATCH/err" || status=$?
    is "$status" 2 "--key-file $f: exit 2"
done
like "$(cat "$SCRATCH/err")" "^hh-sim: $SCRATCH/bad3:1: expected \"KEY \\[CREDITS\\]\" with CREDITS a whole number, 0 or more$" "a bad key file line is named, with the rule"
status=0
timeout 10 "$SIM" --key-file "$SCRATCH/none" > /dev/null 2> "$SCRATCH/err" || status=$?
is "$status" 2 "a missing --key-file: exit 2"
like "$(cat "$SCRATCH/err")" "^hh-sim: --key-file: cannot open $SCRATCH/none: " "a missing --key-file is named"

# -v: one line a request on stderr, never the key.
start_sim --time-scale 0.001 -v
id=$(submit "{$GEN,\"prompt\":\"verbose\",\"duration\":3}")
url=$(wait_url "$id")
fetch "$url" "$SCRATCH/clip.mp4"
curl -s -o /dev/null -H "Authorization: Bearer wrong-key" "$SIM_URL/api/status?task_id=$id"
sim_stats > "$SCRATCH/stats.json"
stop_sim
requests=$(jq '[.requests[] | to_entries[] | .value] | add' "$SCRATCH/stats.json")
lines=$(grep -c -E '^hh-sim: (generate|status|download|sim|other) ' "$SCRATCH/sim.err")
is "$lines" "$((requests + 1))" "-v logs one line a request ($requests before the stats call, and that one)"
grep -Eq '^hh-sim: generate 200 key1 ' "$SCRATCH/sim.err"
ok $? "-v names the key by its label"
grep -Eq '^hh-sim: status 401 - ' "$SCRATCH/sim.err"
ok $? "-v logs refused requests"
grep -qF -- "$SIM_KEY" "$SCRATCH/sim.err" "$SCRATCH/sim.out"
ok $((! $?)) "the key is not in the sim's stderr or stdout"
grep -qF -- "wrong-key" "$SCRATCH/sim.err" "$SCRATCH/sim.out"
ok $((! $?)) "nor is a wrong key a client sent"
done_testing
