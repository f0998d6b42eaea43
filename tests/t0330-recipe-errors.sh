#!/usr/bin/env bash
# hh check reports every problem of a recipe at once, each as
# file:line:column: field: rule, before anything is sent: types, unknown keys
# (with "did you mean"), placeholders, extends cycles, ranges, multi-shot
# totals, zip lengths, path escapes, collisions, budget, YAML bombs and
# depth, rerun rules, sandboxed Lua recipes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
start_sim --time-scale 0.001
hh_env
cd "$SCRATCH"

# check_is FILE EXPECTED-STDERR DESCRIPTION
check_is() {
    run_hh check "$1"
    is "$RC" 2 "$3: exit 2"
    is "$ERR" "$2" "$3"
}

cat > types.yaml <<'Y'
hh: 2
name: "bad name!"
prompt: 42
durration: 5
duration: 20
cfg_scale: 1.5
mode: fast
sweep:
  time: []
  cfg_scale: [0.2, 3]
  style: {from: 1, to: 0, step: 1}
samples: 0
compare:
  a: 7
budget: -1
concurrency: 0
Y
check_is types.yaml "types.yaml:1:5: hh: must be 1 (the recipe format version)
types.yaml:2:7: name: must be letters, digits, '.', '_' and '-' (it names the run directory)
types.yaml:3:9: prompt: must be a string
types.yaml:4:1: durration: unknown key (did you mean 'duration'?)
types.yaml:5:11: duration: must be a whole number of seconds from 3 to 15
types.yaml:6:12: cfg_scale: must be a number from 0 to 1
types.yaml:7:7: mode: must be \"std\" or \"pro\"
types.yaml:9:9: sweep.time: must not be empty
types.yaml:10:14: cfg_scale: must be a number from 0 to 1
types.yaml:11:10: sweep.style: a range needs step > 0 and to >= from
types.yaml:12:10: samples: must be a whole number from 1 to 1000
types.yaml:14:6: compare.a: must be a prompt or a mapping of fields
types.yaml:15:9: budget: must be a number of credits (0 or more)
types.yaml:16:14: concurrency: must be a whole number from 1 to 4096
hh: types.yaml: 14 problems; nothing was sent" "types and ranges, all at once, in file order"

cat > more.yaml <<'Y'
prompt: "{time} clip"
defaults: {duraton: 5, sound: yes}
sweep:
  time: [dawn, dusk]
zip:
  look:
    style: [a, b]
    grade: [x]
rows:
  - {time: dawn}
sample: 10
multi_prompt:
  - {prompt: "one", duration: 9}
  - {prompt: "two", duration: 9}
rerun:
  - when: flaky
  - when: "size <"
    max: 20
    sett: {mode: pro}
include: "time =="
output: "../{time}.mp4"
Y
check_is more.yaml "more.yaml:2:12: defaults.duraton: not an API field (did you mean 'duration'?); put fields only some hosts know under extra:
more.yaml:2:31: defaults.sound: must be true or false
more.yaml:8:12: zip.look.grade: has 1 values but style has 2: axes of a zip group advance together
more.yaml:11:9: sample: asks for 10 cells but the sweep has 5
more.yaml:13:3: multi_prompt: shot durations add up to 18 s; the total must be from 3 to 15 s
more.yaml:16:11: rerun[0].when: unknown failure class 'flaky' (one of any, failed, invalid, policy, qc_failed, quota, timeout, transient, unknown, or an expression)
more.yaml:17:11: rerun[1].when: unexpected symbol near ')'
more.yaml:18:10: rerun[1].max: must be a whole number from 1 to 10
more.yaml:19:5: rerun[1].sett: unknown key (did you mean 'set'?)
more.yaml:20:10: include: unexpected symbol near ')'
more.yaml:21:9: output: must stay inside the run directory (../dawn.mp4 has an empty, '.' or '..' part) (and 4 more)
more.yaml:21:9: output: jobs 1 and 3 both write ../dawn.mp4 (3 collisions in all); add {sample}, {variant} or an axis to the template
hh: more.yaml: 12 problems; nothing was sent" "zip lengths, sample size, multi-shot totals, rerun rules, expressions, path escapes, collisions"

cat > place.yaml <<'Y'
prompt: "a {tim} at {place}"
sweep:
  time: [dawn]
  place: [sea]
output: "/abs/{time}-{palce}.mp4"
Y
check_is place.yaml "place.yaml:1:9: prompt: unknown placeholder {tim} (did you mean 'time'?)
place.yaml:5:9: output: unknown placeholder {palce} (did you mean 'place'?)
hh: place.yaml: 2 problems; nothing was sent" "unknown placeholders, with suggestions"
sed -i 's/{palce}/{place}/' place.yaml
run_hh check place.yaml
like "$ERR" "place.yaml:5:9: output: must stay inside the run directory \(/abs/dawn-sea.mp4 is absolute\)" "an absolute output path is refused"

mkdir -p team
printf 'extends: team/b.yaml\nprompt: x\n' > a.yaml
printf 'extends: c.yaml\n' > team/b.yaml
printf 'extends: ../a.yaml\n' > team/c.yaml
check_is a.yaml "team/c.yaml:1:10: extends: cycle: a.yaml -> team/b.yaml -> team/c.yaml -> a.yaml
hh: a.yaml: 1 problem; nothing was sent" "an extends cycle names every file on it"
printf 'extends: /etc/hh.yaml\nprompt: x\n' > abs.yaml
run_hh check abs.yaml
is "$ERR" "abs.yaml:1:10: extends: must be a path relative to this recipe (/etc/hh.yaml is absolute)
hh: abs.yaml: 1 problem; nothing was sent" "extends must be relative"
printf 'extends: nowhere.yaml\nprompt: x\n' > missing.yaml
run_hh check missing.yaml
is "$ERR" "missing.yaml:1:10: extends: \"nowhere.yaml\": cannot read: No such file or directory
hh: missing.yaml: 1 problem; nothing was sent" "a missing base file is named where extends: names it"

printf 'prompt: "{time}"\nsweep:\n  time: [dawn, dusk]\noutput: "{time}.mp4"\nbudget: 500\nrerun:\n  - when: failed\n    max: 2\n    set: {mode: pro}\n' > budget.yaml
check_is budget.yaml "budget.yaml:5:9: budget: the worst case is 2200 credits (600 without reruns), above the budget of 500
hh: budget.yaml: 1 problem; nothing was sent" "a worst case above the budget is refused at check time"
run_hh run budget.yaml
is "$RC" 2 "hh run refuses it too"
is "$(jqv "$(sim_stats)" '[.requests.generate[]] | add // 0')" 0 "and nothing reached the host"

python3 - > bomb.yaml <<'P'
print('a: &a [x, x, x, x, x, x, x, x, x, x]')
for c in 'bcdefghij':
    p = chr(ord(c) - 1)
    print(f'{c}: &{c} [' + ', '.join(['*' + p] * 10) + ']')
print('prompt: x')
P
check_is bomb.yaml "bomb.yaml:5:36: aliases expand to more than 100000 nodes
hh: bomb.yaml: 1 problem; nothing was sent" "a billion-laughs recipe is refused"
python3 -c "print('prompt: x'); print('vars:'); print('  v: ' + '['*70 + ']'*70)" > deep.yaml
check_is deep.yaml "deep.yaml:3:68: nesting deeper than 64 levels
hh: deep.yaml: 1 problem; nothing was sent" "deep nesting is refused"
head -c 1100000 /dev/zero | tr '\0' '#' > big.yaml
run_hh check big.yaml
like "$ERR" "^big.yaml: the file is larger than 1048576 bytes" "an oversized recipe is refused"

printf 'recipe { prompt = "x", output = io.open("/etc/passwd"):read("l") }\n' > esc.lua
check_is esc.lua "esc.lua:1: unknown global 'io'
hh: esc.lua: 1 problem; nothing was sent" "a Lua recipe cannot open files"
printf 'recipe { prompt = "x" }\nos.execute("touch pwned")\n' > esc2.lua
run_hh check esc2.lua
like "$ERR" "^esc2.lua:2: " "nor run commands"
ok "$(test ! -e pwned; echo $?)" "(nothing ran)"
run_hh check esc2.lua --trust
is "$RC" 0 "--trust gives a Lua recipe the whole environment"
printf 'prompt: x\nafter: "say hi"\n' > after.yaml
check_is after.yaml "after.yaml:2:8: after: must be a function (only Lua recipes can have one)
hh: after.yaml: 1 problem; nothing was sent" "only Lua recipes have after()"

printf 'prompt: x\nsweep:\n  sample: [1, 2]\n' > reserved.yaml
check_is reserved.yaml "reserved.yaml:3:11: sweep.sample: 'sample' is reserved
hh: reserved.yaml: 1 problem; nothing was sent" "reserved names cannot be axes"
printf 'prompt: "{t}"\nsweep:\n  t: [a]\nrows:\n  - {t: a}\n' > dup.yaml
check_is dup.yaml "dup.yaml:5:5: rows[0]: repeats a cell already in the sweep (sweep)
hh: dup.yaml: 1 problem; nothing was sent" "a row that repeats a grid cell"
printf 'prompt: "{t}"\nsweep:\n  t: [a, b]\ninclude: "t == undefined_name"\n' > unk.yaml
check_is unk.yaml "unk.yaml:4:10: include: unknown name 'undefined_name'
hh: unk.yaml: 1 problem; nothing was sent" "an expression naming an unknown variable"
printf 'prompt: "{job} at {cell}"\n' > self.yaml
check_is self.yaml "self.yaml:1:9: prompt: unknown placeholder {job}
hh: self.yaml: 1 problem; nothing was sent" "a placeholder is never 'did you mean' itself (job is reserved, not a template's)"
printf 'multi_shots: true\nmulti_prompt: [{prompt: "a"}]\ncompare: {p: "{prompt}!"}\n' > self2.yaml
check_is self2.yaml "self2.yaml:3:14: prompt: unknown placeholder {prompt}
hh: self2.yaml: 1 problem; nothing was sent" "nor {prompt} where there is none"

# Numbers no request can carry, and numbers too large for what they count:
# problems with their place, never an error of hh's own (found by fuzzing).
cat > nonfinite.yaml <<'Y'
prompt: "x {v}"
cfg_scale: .nan
budget: .inf
deadline: .inf
vars: {w: -.inf}
extra: {motion: [1, .nan]}
sweep:
  v: [.nan, 1]
  r: {from: 0, to: .inf, step: 1}
Y
check_is nonfinite.yaml "nonfinite.yaml:2:12: cfg_scale: must be a finite number, not .nan or .inf
nonfinite.yaml:3:9: budget: must be a finite number, not .nan or .inf
nonfinite.yaml:4:11: deadline: must be a finite number, not .nan or .inf
nonfinite.yaml:5:11: vars.w: must be a finite number, not .nan or .inf
nonfinite.yaml:6:21: extra.motion[1]: must be a finite number, not .nan or .inf
nonfinite.yaml:8:7: sweep.v[0]: must be a finite number, not .nan or .inf
nonfinite.yaml:9:20: sweep.r.to: must be a finite number, not .nan or .inf
hh: nonfinite.yaml: 7 problems; nothing was sent" ".nan and .inf anywhere are refused with their place"
printf 'recipe{prompt = "x", extra = {motion = 0/0}, seed = math.huge}\n' > nonfinite.lua
check_is nonfinite.lua "nonfinite.lua:1: extra.motion: must be a finite number, not .nan or .inf
nonfinite.lua:1: seed: must be a finite number, not .nan or .inf
hh: nonfinite.lua: 2 problems; nothing was sent" "so are 0/0 and math.huge in a Lua recipe"
run_hh check nonfinite.lua --set seed=1e999
like "$ERR" "seed: must be a finite number, not .nan or .inf" "and a --set of 1e999"
printf 'prompt: x\nbudget: 1e300\nsample: 1e300\nsweep:\n  v: {from: 0, to: 1, step: 1e-300}\n' > huge.yaml
check_is huge.yaml "huge.yaml:2:9: budget: must be at most 1000000000000000 credits
huge.yaml:3:9: sample: must be a whole number of cells, or {n: N, seed: S}
huge.yaml:5:6: sweep.v: the range has 1e+300 values; at most 10000
hh: huge.yaml: 3 problems; nothing was sent" "huge budgets, samples and ranges"
# hh plan over the budget still shows where the credits go: the table and
# the worst case by axis value, then the problem; --top N lists the N
# costliest jobs.
cat > big.yaml <<'Y'
name: big
prompt: "a {animal} in {place}"
sweep:
  animal: [fox, heron, stork]
  place: [snow, sand]
  mode: [std, pro]
samples: 2
rerun:
  - when: [failed]
    max: 1
budget: 2000
Y
run_hh plan big.yaml
is "$RC" 2 "hh plan over budget exits 2"
is "$(printf '%s\n' "$OUT" | grep -c ' new ')" 24 "and still prints the table of its 24 jobs"
is "$(printf '%s\n' "$OUT" | sed -n '/^worst case by axis value/,$p')" "worst case by axis value (credits, reruns included):
  animal           fox                                           8 jobs       5600
  animal           heron                                         8 jobs       5600
  animal           stork                                         8 jobs       5600
  mode             pro                                          12 jobs       9600
  mode             std                                          12 jobs       7200
  place            snow                                         12 jobs       8400
  place            sand                                         12 jobs       8400" "with the worst case by axis value"
is "$ERR" "big.yaml:11:9: budget: the worst case is 16800 credits (8400 without reruns), above the budget of 2000
hh: big.yaml: 1 problem; nothing was sent" "and the problem"
run_hh plan big.yaml --json
is "$RC:$(jqv "$OUT" '.by_axis[3] | "\(.axis)=\(.value) \(.jobs) \(.credits)"'):$(jqv "$OUT" '.jobs | length')" "2:mode=pro 12 9600:24" "hh plan --json too"
run_hh plan big.yaml --top 3 --set budget=20000
is "$RC" 0 "within budget"
is "$(printf '%s\n' "$OUT" | grep -c ' new ')" 3 "--top 3 lists three jobs"
is "$(printf '%s\n' "$OUT" | grep ' new ' | awk '{ print $10 }' | sort -u)" 400 "the costliest (pro mode)"
like "$OUT" "\(the 3 costliest of 24 jobs; without --top, all\)" "and says so"
run_hh plan big.yaml --top 0
is "$RC:$ERR" '2:hh: plan: --top: expected a whole number of jobs (1 or more), got "0"' "--top needs a positive number"
run_hh plan big.yaml --top 2.5
is "$RC:$ERR" '2:hh: plan: --top: expected a whole number of jobs (1 or more), got "2.5"' "a whole one"
# Every problem at once: a duplicate key leaves its entry out and the rest
# is still checked; every unknown placeholder of a field is named.
printf 'prompt: "a {animl} in {plce}"\nmode: turbo\nduration: 20\nsampels: 2\nmode: pro\noutput: "{anml}-{smple}.mp4"\n' > all.yaml
check_is all.yaml "all.yaml:1:9: prompt: unknown placeholder {animl}
all.yaml:1:9: prompt: unknown placeholder {plce}
all.yaml:2:7: mode: must be \"std\" or \"pro\"
all.yaml:3:11: duration: must be a whole number of seconds from 3 to 15
all.yaml:4:1: sampels: unknown key (did you mean 'samples'?)
all.yaml:5:1: duplicate key 'mode' (first at line 2)
all.yaml:6:9: output: unknown placeholder {anml} (did you mean 'name'?)
all.yaml:6:9: output: unknown placeholder {smple} (did you mean 'sample'?)
hh: all.yaml: 8 problems; nothing was sent" "a duplicate key no longer hides the other problems, nor one placeholder another"
run_hh check all.yaml --json
is "$RC" 2 "hh check --json: exit 2 with problems"
is "$(jqv "$OUT" '[.ok, (.problems | length)] | @tsv')" "false	8" "every problem, as JSON"
is "$(jqv "$OUT" '.problems[5] | [.file, .line, .column, .field // "-", .rule] | @tsv')" "all.yaml	5	1	-	duplicate key 'mode' (first at line 2)" \
    "each with its file, line, column, field and rule"
is "$(jqv "$OUT" '.problems[0].message')" "all.yaml:1:9: prompt: unknown placeholder {animl}" "and the line hh check prints"
run_hh check "$ROOT/recipes/ab.yaml" --json
is "$RC:$(jqv "$OUT" '[.ok, .jobs, .credits.worst] | @tsv')" "0:true	8	2400" "a recipe without problems: ok, its jobs and credits"
# An include/exclude pattern that can match no cell is refused: a name no
# axis has, a value no cell has (an exclude that excludes nothing is paid for).
printf 'prompt: "a {time} {weather}"\nsweep:\n  time: [dawn, dusk]\n  weather: [rain, sun]\nexclude:\n  - {tme: dawn}\n  - {time: dwan, weather: rain}\n  - {time: dusk, weather: sun}\n' > pat.yaml
check_is pat.yaml "pat.yaml:6:6: exclude[0].tme: no axis, var or row has this name; the pattern would match no cell (did you mean 'time'?)
pat.yaml:7:12: exclude[1].time: no cell has time dwan; the pattern would match no cell (its values: dawn, dusk) (did you mean 'dawn'?)
hh: pat.yaml: 2 problems; nothing was sent" "patterns that match no cell: a mistyped name, a mistyped value"
printf 'prompt: "a {time}"\nsweep:\n  time: [dawn, dusk]\nvars: {mood: calm}\nrows:\n  - {time: noon, light: low}\ninclude:\n  - {light: low}\n  - {mood: calm, time: dawn}\n' > pat2.yaml
run_hh plan pat2.yaml --json
is "$RC:$(jqv "$OUT" '[.jobs[].values.time] | join(",")')" "0:dawn,noon" "a row's name and a var are names a pattern may use"
done_testing
