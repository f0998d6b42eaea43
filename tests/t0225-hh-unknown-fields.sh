#!/usr/bin/env bash
# One rule for field names everywhere: a name hh does not know is an error
# with "did you mean", before anything is sent, in hh.generate, in
# hh generate --set and in a recipe's --set. Fields a host takes beyond the
# documented ones are declared (extra = {...} in the call, --extra on the
# command line, extra_fields in the host profile, extra: in a recipe) and
# then pass through unchanged. --set on an axis narrows the axis.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
start_sim --time-scale 0.001
hh_env
cd "$SCRATCH"

sent() { jqv "$(sim_stats)" '[.requests.generate[]] | add // 0'; }
body_sha() { printf '%s' "$1" | sha256sum | cut -c1-64; }
last_body() { jqv "$(sim_stats)" '.submissions[-1].body_sha256'; }

# --- hh.generate ---------------------------------------------------------
run_lua 'hh.generate{prompt = "a", durration = 5}'
is "$RC" 1 "hh.generate with a misspelt field: a script error"
is "$(printf '%s' "$ERR" | head -n 1)" "hh: error: $SCRATCH/script.lua:1: hh.generate: durration: not an API field (did you mean 'duration'?); pass fields only some hosts know in extra = {...}" \
    "it names the field, suggests the right one and says how to pass others"
run_lua 'hh.generate{prompt = "a", negative_prompt = "rain"}'
is "$(printf '%s' "$ERR" | head -n 1)" "hh: error: $SCRATCH/script.lua:1: hh.generate: negative_prompt: not an API field; pass fields only some hosts know in extra = {...}" \
    "a field no host documents is refused too"
run_lua 'hh.generate{"a fox"}'
is "$(printf '%s' "$ERR" | head -n 1)" "hh: error: $SCRATCH/script.lua:1: hh.generate: [1]: not a field name (fields are named: {prompt = ...})" \
    "a positional value is not a field"
run_lua 'hh.generate{prompt = "a", extra = {duration = 20}}'
is "$(printf '%s' "$ERR" | head -n 1)" "hh: error: $SCRATCH/script.lua:1: hh.generate: extra.duration: is an API field; set it directly" \
    "extra cannot carry a documented field past its rule"
run_lua 'hh.generate{prompt = "a", extra = "x"}'
is "$(printf '%s' "$ERR" | head -n 1)" "hh: error: $SCRATCH/script.lua:1: hh.generate: extra: must be a table of fields passed through unchanged" \
    "extra must be a table"
is "$(sent)" 0 "none of those was sent"

run_lua 'local t = assert(hh.generate{prompt = "a", extra = {negative_prompt = "rain"}}) print(t.params.extra.negative_prompt)'
is "$RC/$OUT" "0/rain" "extra = {...} passes fields through"
is "$(last_body)" "$(body_sha '{"model":"happyhorse-1.0/video","negative_prompt":"rain","prompt":"a"}')" \
    "flattened into the request body"
run_lua 'hh.config{profile = {extra_fields = {"negative_prompt"}}}
assert(hh.generate{prompt = "b", negative_prompt = "fog"}) print("ok")'
is "$RC/$OUT" "0/ok" "a field the host profile declares passes through"
is "$(last_body)" "$(body_sha '{"model":"happyhorse-1.0/video","negative_prompt":"fog","prompt":"b"}')" "unchanged"
run_lua 'assert(hh.generate{prompt = "c", seed = 42}) print("ok")'
is "$RC/$OUT" "0/ok" "seed is a known field"

# --- hh generate ---------------------------------------------------------
n=$(sent)
run_hh generate -p a --set sed=42
is "$RC" 2 "hh generate --set with a misspelt field: exit 2"
is "$ERR" "hh: generate: --set sed=42: not an API field (did you mean 'seed'?); pass fields only some hosts know with --extra NAME=VALUE" \
    "naming --set, the field and the way to pass others"
run_hh generate -p a --set negative_prompt=rain --set durration=4
is "$ERR" "hh: generate: --set negative_prompt=rain: not an API field; pass fields only some hosts know with --extra NAME=VALUE
hh: generate: --set durration=4: not an API field (did you mean 'duration'?); pass fields only some hosts know with --extra NAME=VALUE" \
    "every bad --set at once"
run_hh generate -p a --extra duration=3
is "$RC" 2 "--extra with a documented field: exit 2"
is "$ERR" "hh: generate: --extra duration=3: is an API field; use --set duration=3" "says to use --set"
is "$(sent)" "$n" "nothing was sent"
run_hh generate -p a --set seed=42
is "$RC" 0 "hh generate --set seed=42 is sent"
run_hh generate -p d --extra negative_prompt=rain
is "$RC" 0 "hh generate --extra passes a field through"
is "$(last_body)" "$(body_sha '{"model":"happyhorse-1.0/video","negative_prompt":"rain","prompt":"d"}')" "unchanged"

# --- a recipe's --set ----------------------------------------------------
cat > r.yaml <<'Y'
vars:
  subject: horse
prompt: "a {subject} at {time}"
sweep:
  time: [dawn, dusk, night]
  cfg_scale: {from: 0.3, to: 0.7, step: 0.2}
samples: 2
Y
cat > r.lua <<'L'
recipe {
  vars = { subject = "horse" },
  prompt = "a {subject} at {time}",
  sweep = { time = { "dawn", "dusk", "night" }, cfg_scale = { from = 0.3, to = 0.7, step = 0.2 } },
  samples = 2,
}
L
for f in r.yaml r.lua; do
    run_hh plan "$f" --set sampels=3
    is "$RC" 2 "$f: --set of an unknown name: exit 2"
    is "$ERR" "hh: --set sampels=3: unknown name 'sampels' (did you mean 'samples'?)
hh: $f: 1 problem; nothing was sent" "$f: it names --set and suggests the name"
    run_hh plan "$f" --set time=dusk --json
    is "$RC" 0 "$f: --set on an axis"
    is "$(jqv "$OUT" '[.jobs[].values.time] | unique | join(" ")') $(jqv "$OUT" '.jobs | length')" "dusk 6" \
        "$f: narrows the axis to that value (3 cfg x 2 samples)"
    run_hh plan "$f" --set time=noon
    is "$RC" 2 "$f: a value not on the axis: exit 2"
    is "$ERR" "hh: --set time=noon: not a value of the axis time (dawn, dusk, night)
hh: $f: 1 problem; nothing was sent" "$f: naming the axis's values"
    run_hh plan "$f" --set cfg_scale=0.5 --set time=night --json
    is "$(jqv "$OUT" '[.jobs[] | "\(.values.time)/\(.params.cfg_scale)"] | unique | join(" ")')" "night/0.5" \
        "$f: a range axis narrows too, and two axes at once"
    run_hh plan "$f" --set samples=x
    is "$ERR" "hh: --set samples=x: samples: must be a whole number from 1 to 1000
hh: $f: 1 problem; nothing was sent" "$f: a bad value given with --set names --set, not a line of the file"
    run_hh plan "$f" --set mode=fast --set durration=5
    is "$ERR" "hh: --set durration=5: unknown name 'durration' (did you mean 'duration'?)
hh: --set mode=fast: mode: must be \"std\" or \"pro\"
hh: $f: 2 problems; nothing was sent" "$f: every --set problem at once"
    run_hh plan "$f" --set subject=owl --set mode=pro --set samples=1 --json
    is "$(jqv "$OUT" '"\(.jobs | length) \(.jobs[0].params.mode) \(.jobs[0].params.prompt)"')" "9 pro a owl at dawn" \
        "$f: vars, fields and top-level keys are set as before"
done
run_hh plan r.yaml --set zzz=1
is "$ERR" "hh: --set zzz=1: unknown name 'zzz': not a variable, an API field, a top-level key or an axis of this recipe
hh: r.yaml: 1 problem; nothing was sent" "a name with nothing near it"
run_hh plan r.yaml --set defaults.mode=pro
is "$ERR" "hh: --set defaults.mode=pro: unknown name 'defaults.mode' (only vars.NAME and extra.NAME take a prefix)
hh: r.yaml: 1 problem; nothing was sent" "prefixes other than vars. and extra."
run_hh plan r.yaml --set vars.place=sea --set extra.negative_prompt=blurry --set seed=7 --json
is "$RC" 0 "vars.NAME adds a variable; extra.NAME a pass-through field; seed is a field"
is "$(jqv "$OUT" '"\(.jobs[0].params.negative_prompt) \(.jobs[0].params.seed)"')" "blurry 7" "both reach the request"
run_hh plan r.yaml --set extra.duration=3
is "$ERR" "hh: --set extra.duration=3: is an API field; use --set duration=3
hh: r.yaml: 1 problem; nothing was sent" "extra.NAME of a documented field"

# Zip groups and explicit rows narrow the same way.
cp "$ROOT/recipes/sweep.yaml" sweep.yaml
run_hh plan sweep.yaml --set style=painterly --json
is "$(jqv "$OUT" '[.jobs[] | "\(.values.time)/\(.values.weather)/\(.values.grade)"] | join(" ")')" \
    "dawn/clear sky/teal and orange dusk/clear sky/teal and orange dusk/storm/teal and orange" \
    "a zip group keeps the rows with that value (and the explicit row without it goes)"
run_hh plan sweep.yaml --set style=noir --json
is "$(jqv "$OUT" '[.jobs[] | "\(.values.time)/\(.values.style)"] | join(" ")')" "night/noir" "a value only an explicit row has"

# hh run: nothing is sent for a --set problem; extra: fields are sent.
n=$(sent)
run_hh run r.yaml --out "$SCRATCH/run1" -q --set sampels=3
is "$RC" 2 "hh run --set sampels=3: exit 2"
like "$ERR" "^hh: --set sampels=3: unknown name 'sampels' \(did you mean 'samples'\?\)" "with the same message"
is "$(sent)" "$n" "nothing was sent"
run_hh run r.yaml --out "$SCRATCH/run1" -q --set time=dusk --set cfg_scale=0.5 --set samples=1
is "$RC/$(sent)" "0/$((n + 1))" "hh run --set on two axes runs only the one cell left"
is "$(jq -r '"\(.cell_values.time) \(.params.cfg_scale)"' "$SCRATCH/run1/manifest.jsonl")" "dusk 0.5" "the dusk cell with cfg 0.5"
cat > x.yaml <<'Y'
prompt: "a heron"
extra: {negative_prompt: blurry}
Y
run_hh run x.yaml --out "$SCRATCH/run2" -q
is "$RC" 0 "a recipe's extra: fields are declared for its run"
is "$(last_body)" "$(body_sha '{"model":"happyhorse-1.0/video","negative_prompt":"blurry","prompt":"a heron"}')" "and sent unchanged"
done_testing
