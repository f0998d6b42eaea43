#!/usr/bin/env bash
# Refusals from the API surface as clear errors: 400, 401, 402 (which stops
# new submissions for the whole run), 404; a missing key is an error before
# any request.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
start_sim --time-scale 0.001 --credits 700
hh_env

# No key at all: nothing is sent.
run_hh generate --prompt "a horse" --json </dev/null
HH_API_KEY= run_hh generate --prompt "a horse"
is "$RC" 3 "no API key: exit 3"
is "$ERR" "hh: no API key: set HH_API_KEY or write the key to $SCRATCH/config/hh/credentials (mode 0600)" "says where a key can come from"
HH_API_KEY= run_lua 'hh.generate{prompt = "x"}'
is "$RC" 1 "in a script, a missing key is an error"
like "$ERR" "script.lua:1: no API key: set HH_API_KEY" "pointing at the script line"

# A credentials file must be private.
mkdir -p "$SCRATCH/config/hh"
printf 'HH_API_KEY=%s\n' "$SIM_KEY" > "$SCRATCH/config/hh/credentials"
chmod 644 "$SCRATCH/config/hh/credentials"
HH_API_KEY= run_hh status hs1-00000000
is "$ERR" "hh: $SCRATCH/config/hh/credentials must be a file only you can read (chmod 600 $SCRATCH/config/hh/credentials)" "a readable credentials file is refused"
chmod 600 "$SCRATCH/config/hh/credentials"
HH_API_KEY= run_hh generate --prompt "from the file" --json
is "$RC" 0 "a 0600 credentials file provides the key"

# 401: a wrong key.
HH_API_KEY=wrong-key run_hh generate --prompt "a horse"
is "$RC" 3 "401: exit 3"
like "$ERR" "hh: the API refused the request \(HTTP 401\): unknown API key" "401 is reported with the host's words"
unlike "$ERR" "wrong-key" "without echoing the key"

# 404: unknown task.
run_hh status hs999-00000000
is "$RC" 3 "404: exit 3 (the host rejected the task id)"
is "$ERR" "hh: task hs999-00000000: not found" "404 names the task"

# 400 from the host (a field hh does not check locally: a profile sending a wrong model).
run_lua 'hh.config{profile = {model = "happyhorse-0.9/video"}}
print(hh.generate{prompt = "a"})'
is "$RC" 0 "a 400 answer is an expected failure, not a script error"
is "$OUT" 'nil	the API refused the request (HTTP 400): model: must be "happyhorse-1.0/video"	invalid' "nil, the host's message, \"invalid\""

# 402: credits run out; the run stops submitting after the first refusal.
run_lua '
local ok, refused = 0, {}
for i = 1, 4 do
  local t, msg, class = hh.generate{prompt = "job " .. i}
  if t then ok = ok + 1 else refused[#refused + 1] = class .. ": " .. msg end
end
print(ok)
for _, r in ipairs(refused) do print(r) end'
is "$RC" 0 "402 is an expected failure"
is "$OUT" "0
quota: the API refused the request (HTTP 402): insufficient credits: this job costs 300, the balance is 100
stopped: not submitted: new submissions stopped after: the API refused the request (HTTP 402): insufficient credits: this job costs 300, the balance is 100
stopped: not submitted: new submissions stopped after: the API refused the request (HTTP 402): insufficient credits: this job costs 300, the balance is 100
stopped: not submitted: new submissions stopped after: the API refused the request (HTTP 402): insufficient credits: this job costs 300, the balance is 100" "the first 402 stops new submissions for the run"
like "$ERR" "hh: stopping new submissions: the API refused the request \(HTTP 402\)" "with one message on stderr"
is "$(printf '%s\n' "$ERR" | grep -c stopping)" 1 "said once"
is "$(jqv "$(sim_stats)" '.requests.generate["402"]')" 1 "only one request reached the host after the 402"
done_testing
