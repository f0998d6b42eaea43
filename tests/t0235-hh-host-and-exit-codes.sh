#!/usr/bin/env bash
# The host: a base URL is checked once at start (HH_BASE_URL, --base-url,
# HH_SETTINGS, hh.config) and a bad one is one line and exit 2; a host that
# cannot be reached is said at once, and while retrying; one that has never
# answered is given up on after a few attempts, one that has answered keeps
# the patient retries. Every exit path follows docs/cli.md's table, and hh's
# own errors are one line without its internal file names.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
start_sim --time-scale 0.001
hh_env
cd "$SCRATCH"

sent() { jqv "$(sim_stats)" '[.requests.generate[], .requests.status[]] | add // 0'; }
clean() { # clean DESCRIPTION: hh's own messages name no internal file and carry no traceback
    unlike "$ERR" 'lua/hh/|\.lua:[0-9]+|stack traceback|hh: error:' "$1: no internal file names, no traceback"
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
DEAD=127.0.0.1:$port
cat > r.yaml <<'Y'
prompt: "a {time} horse"
sweep:
  time: [dawn, dusk, night]
samples: 2
Y

# --- bad base URLs ---------------------------------------------------------
EXPECT='(expected https://HOST[:PORT])'
bad_url() { # bad_url URL MESSAGE: HH_BASE_URL=URL for every command that talks to the host
    local cmd
    for cmd in "generate -p x" "status hs1-00000000" "wait hs1-00000000" "run r.yaml --out $SCRATCH/bad-url" "-e print(1)"; do
        HH_BASE_URL=$1 run_hh $cmd
        is "$RC: $ERR" "2: hh: HH_BASE_URL: $2" "HH_BASE_URL=$1: hh ${cmd%% *}: exit 2, one line"
    done
}
n=$(sent)
bad_url 127.0.0.1:35379 "\"127.0.0.1:35379\" is not a URL $EXPECT"
bad_url htp://127.0.0.1:35379 "\"htp://127.0.0.1:35379\": unknown scheme \"htp\" $EXPECT"
bad_url https:// "\"https://\": no host $EXPECT"
bad_url "$SIM_URL/?x=1" "\"$SIM_URL/?x=1\": no query or fragment allowed (expected https://HOST[:PORT][/PATH])"
bad_url "http://user:s3cret@127.0.0.1:1" "\"http://***@127.0.0.1:1\": no user or password allowed; the key goes in HH_API_KEY $EXPECT"
unlike "$ERR" s3cret "a password in the URL is never echoed"
HH_BASE_URL=http://example.invalid run_hh generate -p x
is "$RC: $ERR" "2: hh: HH_BASE_URL: plain http to example.invalid is not allowed (only https, or http to localhost or a loopback address: 127.0.0.0/8, ::1; hh.config{allow_http = true} permits it)" \
    "plain http to another host: exit 2 with the rule"
is "$(sent)" "$n" "none of them sent anything"
ok "$(test ! -e "$SCRATCH/bad-url"; echo $?)" "hh run made no run directory"

for cmd in "generate -p x" "status hs1-00000000" "wait hs1-00000000" "run r.yaml --out $SCRATCH/bad-url"; do
    run_hh $cmd --base-url localhost:1
    is "$RC: $ERR" "2: hh: --base-url: \"localhost:1\" is not a URL $EXPECT" "--base-url on hh ${cmd%% *}"
done
HH_SETTINGS=base_url=ftp://127.0.0.1 run_hh status hs1-00000000
is "$RC: $ERR" "2: hh: HH_SETTINGS: base_url: \"ftp://127.0.0.1\": unknown scheme \"ftp\" $EXPECT" "HH_SETTINGS base_url"
HH_SETTINGS=base_url=$SIM_URL HH_BASE_URL=https://example.invalid run_hh status hs999-00000000
is "$RC: $ERR" "3: hh: task hs999-00000000: not found" "HH_SETTINGS base_url is the host used"
run_lua 'hh.config{base_url = "example.com"}'
is "$RC" 1 "hh.config{base_url = ...} in a script: misuse, exit 1"
is "$(printf '%s' "$ERR" | head -n 1)" "hh: error: $SCRATCH/script.lua:1: hh.config: base_url: \"example.com\" is not a URL $EXPECT" \
    "pointing at the script line"

# --- HH_SETTINGS ------------------------------------------------------------
HH_SETTINGS=concurrency=4 run_hh -e 'print(hh.config().max_transfers)'
is "$RC/$OUT" "0/4" "HH_SETTINGS=concurrency=4 sets max_transfers"
HH_SETTINGS=concurrency=4,rate=0 run_hh status hs999-00000000
is "$RC" 3 "and commands run with it"
bad_settings() { # bad_settings VALUE MESSAGE
    local cmd
    for cmd in "-e print(1)" "generate -p x" "status hs1-00000000"; do
        HH_SETTINGS=$1 run_hh $cmd
        is "$RC: $ERR" "2: hh: HH_SETTINGS: $2" "HH_SETTINGS=$1: hh ${cmd%% *}: exit 2, one line"
    done
}
bad_settings bogus '"bogus" is not name=value'
bad_settings concurrenc=4 "unknown setting 'concurrenc' (did you mean 'concurrency'?)"
bad_settings rate=fast "rate must be a number"
bad_settings max_retries=-1 "max_retries must be from 0 to 1000"

# --- a host nobody listens on -----------------------------------------------
export HH_BASE_URL=http://$DEAD
unset HH_SETTINGS
t0=$(now_ms)
run_hh generate -p x
t1=$(now_ms)
is "$RC" 5 "hh generate, host unreachable: exit 5"
like "$(printf '%s' "$ERR" | head -n 1)" "^hh: cannot reach $DEAD: connection refused; retry 2/3 in [0-9.]+ s$" "says so at once, and that it retries"
is "$(printf '%s' "$ERR" | tail -n 1)" "hh: not submitted: cannot reach $DEAD: connection refused (gave up after 3 attempts)" \
    "gives up after 3 attempts on a host that never answered"
ok "$(test $((t1 - t0)) -lt 25000; echo $?)" "within seconds, not minutes ($((t1 - t0)) ms)"
unlike "$ERR" "$SIM_KEY" "the key never appears"
clean "hh generate, unreachable"
run_hh status hs1-00000000
is "$RC: $(printf '%s' "$ERR" | tail -n 1)" "5: hh: status of task hs1-00000000: cannot reach $DEAD: connection refused (gave up after 3 attempts)" \
    "hh status: exit 5 with the reason"
t0=$(now_ms)
run_hh wait hs1-00000000 -o w.mp4
t1=$(now_ms)
is "$RC: $(printf '%s' "$ERR" | tail -n 1)" "5: hh: status of task hs1-00000000: cannot reach $DEAD: connection refused (gave up after 3 attempts)" \
    "hh wait: exit 5 with the reason"
ok "$(test $((t1 - t0)) -lt 25000; echo $?)" "hh wait gives up within seconds too ($((t1 - t0)) ms)"

t0=$(now_ms)
run_hh run r.yaml --out "$SCRATCH/dead" -q
t1=$(now_ms)
is "$RC" 4 "hh run, host unreachable: exit 4 (no job was sent)"
ok "$(test $((t1 - t0)) -lt 30000; echo $?)" "every job fails fast ($((t1 - t0)) ms)"
ok "$(test "$(printf '%s\n' "$ERR" | grep -c 'cannot reach .*; retry')" -le 3; echo $?)" "a few 'cannot reach' lines, not one a transfer"
run_hh export "$SCRATCH/dead" --jsonl
is "$(printf '%s\n' "$OUT" | jq -r '"\(.state) \(.class) \(.error)"' | sed "s/(gave up.*)/(...)/" | sort -u)" \
    "skipped not_sent not submitted: cannot reach $DEAD: connection refused (...)" "each job records the reason"
# Nothing is lost: they were never sent, and a resume against the host sends them.
HH_BASE_URL=$SIM_URL HH_SETTINGS=poll_min_interval=0.002,poll_max_interval=0.05,rate=0 run_hh resume "$SCRATCH/dead" -q
is "$RC" 0 "hh resume with the right host finishes them"
like "$OUT" "6 done" "all six"

# --- a host that answered once keeps the patient retries ----------------------
start_sim --time-scale 0.001
export HH_BASE_URL=$SIM_URL HH_SETTINGS=max_retries=3,backoff_base=0.01,backoff_cap=0.02
run_lua 'print((select(3, hh.status("hs1-00000000"))))
os.execute("kill " .. arg[1] .. "; while kill -0 " .. arg[1] .. " 2>/dev/null; do sleep 0.05; done")
print(hh.generate{prompt = "x"})' "$SIM_PID"
SIM_HOST=${SIM_URL#http://}
is "$OUT" "not_found
nil	not submitted: cannot reach $SIM_HOST: connection refused (gave up after 4 attempts)	not_sent" "every retry is made (max_retries=3)"
like "$ERR" "^hh: cannot reach $SIM_HOST: connection refused; retry 2/4 in [0-9.]+ s" "the retries are said"

# --- exit codes ---------------------------------------------------------------
start_sim --time-scale 0.001
hh_env
run_hh status hs999-00000000
is "$RC: $ERR" "3: hh: task hs999-00000000: not found" "hh status of an unknown task: exit 3 (the host rejected it)"
run_hh wait hs999-00000000
is "$RC: $ERR" "3: hh: task hs999-00000000: not found" "hh wait of an unknown task: exit 3"
run_hh wait hs999-00000000 -o ''
is "$RC: $ERR" "2: hh: wait: --output needs a file name" "hh wait -o '': exit 2 (it exited 0 with a traceback)"
run_hh generate -p x -o ''
is "$RC: $ERR" "2: hh: generate: --output needs a file name" "hh generate -o '': exit 2"
run_hh status ''
is "$RC: $ERR" "2: hh: status: TASK_ID must not be empty" "hh status '': exit 2"
is "$(jqv "$(sim_stats)" '.requests.generate | length')" 0 "none of them submitted anything"
run_lua 'local function f() error("mine") end
f()'
is "$RC" 1 "a Lua error in the user's script: exit 1"
like "$ERR" "^hh: error: $SCRATCH/script.lua:1: mine" "with its file and line"
like "$ERR" "stack traceback:" "and a traceback"

# An error of hh's own: one line; HH_TRACE=1 shows where.
cp -r "$ROOT/lua" "$SCRATCH/lua"
sed -i 's/^function M.command(argv)$/function M.command(argv) error("the votes module broke")/' "$SCRATCH/lua/hh/votes.lua"
HH_LUA_PATH=$SCRATCH/lua run_hh votes import x y
is "$RC: $ERR" "1: hh: error: the votes module broke" "an internal error is one line, exit 1"
HH_LUA_PATH=$SCRATCH/lua HH_TRACE=1 run_hh votes import x y
like "$ERR" "votes.lua:[0-9]+: the votes module broke" "HH_TRACE=1 shows where"
like "$ERR" "stack traceback:" "with the traceback"
done_testing
