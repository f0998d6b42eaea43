#!/usr/bin/env bash
# What hh run shows: a summary line redrawn in place on a terminal (colour
# unless NO_COLOR), one line an event otherwise, JSON events with --json,
# nothing but the summary with --quiet. No event carries the key.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"
start_sim --time-scale 0.002 --palette 2 --fault task-failed=0.3 --seed 3
hh_env
cat > r.yaml <<'Y'
prompt: "a {n}"
sweep:
  n: [1, 2, 3, 4, 5, 6]
rerun:
  - when: failed
    max: 1
Y

run_hh run r.yaml --out j --json
events=$OUT
is "$(printf '%s\n' "$events" | jq -r '.event' | sort -u | tr '\n' ' ')" "checked downloaded failed progress rerun submitted succeeded " "--json: one JSON event a line (submitted, succeeded, downloaded, checked, failed, rerun, progress)"
is "$(printf '%s\n' "$events" | jq -s '[.[] | select(.event == "progress")] | length')" 6 "a progress event as each job ends"
is "$(printf '%s\n' "$events" | jq -s '[.[] | select(.event == "progress")] | last | .done + .failed')" 6 "the last one counts them all"
is "$(printf '%s\n' "$events" | jq -s '[.[] | select(.event == "submitted")] | length')" "$(jqv "$(sim_stats)" .accepted)" "a submitted event for every billed submission"
like "$ERR" "^r: [0-9]+ done \(0 already\)" "the summary goes to stderr"
unlike "$events$ERR" "$SIM_KEY" "no event carries the key"

run_hh run r.yaml --out l
like "$ERR" "hh: submitted  j[0-9a-f]+ hs[0-9]+-[0-9a-f]+ \(300 credits\)" "not a terminal: one plain line an event"
unlike "$ERR" $'\e\\[' "and no escape codes"

run_hh run r.yaml --out q -q
is "$(printf '%s\n' "$ERR" | wc -l)" 1 "--quiet: only the summary"

script -qc "$HH run r.yaml --out t" "$SCRATCH/tty" > /dev/null
tty=$(cat "$SCRATCH/tty")
like "$tty" $'\r\e\\[K[0-9]+/6 · \e\\[32m[0-9]+ done\e\\[0m' "a terminal: the summary line is redrawn in place, in colour"
like "$tty" "credits" "with the credits spent"
like "$tty" "last failure: j[0-9a-f]+: task hs" "and the latest failure"
NO_COLOR=1 script -qc "$HH run r.yaml --out t2" "$SCRATCH/tty2" > /dev/null
unlike "$(cat "$SCRATCH/tty2")" $'\e\\[3[0-9]m' "NO_COLOR: no colour"
like "$(cat "$SCRATCH/tty2")" $'\r\e\\[K6/6 · ' "but still redrawn in place"
done_testing
