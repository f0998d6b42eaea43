#!/usr/bin/env bash
# A submission that may have reached the host is never sent again on its
# own: every such fault comes back as an "unknown" outcome naming the
# Idempotency-Key, and the ledger shows one request per job. Only provably
# unsent failures (connection refused) are retried.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"

unknown_case() { # unknown_case FAULT EXPECTED-BILLED MESSAGE-REGEX
    start_sim --time-scale 0.001 --fault "$1=1"
    hh_env
    run_lua 'local t, msg, class = hh.generate{prompt = "paid once"}
print(t, class)
io.stderr:write(msg, "\n")'
    is "$OUT" "nil	unknown" "$1: nil, \"unknown\""
    like "$ERR" "^outcome unknown: $3.*the task may exist and be billed \(Idempotency-Key hh-[0-9a-f]{40}\)" "$1: says what happened and the key"
    local stats
    stats=$(sim_stats)
    is "$(jqv "$stats" '[.requests.generate[]] | add')" 1 "$1: exactly one request reached the host"
    is "$(jqv "$stats" .accepted)" "$2" "$1: billed $2 time(s), never twice"
}
unknown_case submit-drop-after 1 "the server closed the connection without answering"
unknown_case submit-drop-before 0 "the server closed the connection without answering"
unknown_case submit-error-after 1 "the server answered HTTP 50[023] after the request was sent"
unknown_case submit-error-before 0 "the server answered HTTP 50[023] after the request was sent"
unknown_case submit-malformed 1 "the host answered HTTP 200 without a task id \(not JSON"
unknown_case submit-truncated 1 "the host answered HTTP 200 without a task id \(not JSON"
unknown_case submit-no-task-id 1 "the host answered HTTP 200 without a task id \(no data.task_id\)"

# The libcurl trap: a keep-alive connection that dies after the POST was read.
# libcurl would resend the POST on a fresh connection; hh refuses to rewind.
start_sim --time-scale 0.001 --fault reuse-drop=1
hh_env
run_lua 'local a = hh.generate{prompt = "first"}
local b, msg, class = hh.generate{prompt = "second"}
print(a ~= nil, b, class)
io.stderr:write(msg, "\n")'
is "$OUT" "true	nil	unknown" "a POST on a reused connection that dies is an unknown outcome"
like "$ERR" "^outcome unknown: the connection closed after the request was sent" "hh refused libcurl's silent resend"
stats=$(sim_stats)
is "$(jqv "$stats" '[.requests.generate[]] | add')" 2 "two requests reached the host, not three"
is "$(jqv "$stats" '[.submissions[].body_sha256] | unique | length')" 2 "no body was billed twice"

# On a host known to honour Idempotency-Key, unknown outcomes are retried with
# the same key and the host deduplicates them.
start_sim --time-scale 0.001 --fault submit-error-after=0.5 --seed 3
hh_env
run_lua 'hh.config{profile = {idempotent = true}}
local n = 0
for i = 1, 12 do if hh.generate{prompt = "job " .. i} then n = n + 1 end end
print(n)'
is "$OUT" 12 "with an idempotent host every job gets its task"
stats=$(sim_stats)
is "$(jqv "$stats" .accepted)" 12 "and each is billed once"
ok "$(test "$(jqv "$stats" '[.requests.generate | to_entries[] | select(.key | startswith("5")) | .value] | add')" -gt 0; echo $?)" "after some 5xx answers were retried"

# Provably unsent: connection refused is retried, then reported.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
HH_BASE_URL=http://127.0.0.1:$port HH_SETTINGS=max_retries=2,backoff_base=0.01,backoff_cap=0.02 run_lua 'print(hh.generate{prompt = "x"})'
is "$OUT" "nil	not submitted: cannot reach 127.0.0.1:$port: connection refused (gave up after 3 attempts)	not_sent" "connection refused: retried, then not_sent"
done_testing
