#!/usr/bin/env bash
# The sweep algebra gives exact job lists: grid, zip groups, rows, ranges,
# include/exclude, random sampling with a seed, samples and variants; the
# same file always gives the same jobs, ids and order; a Lua recipe with the
# same content gives the same jobs as its YAML form.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"

# plan FILE: hh plan --json into OUT. cells: one line a job of that plan:
# the cell's values as k=v sorted, then variant and sample.
plan() {
    run_hh plan "$1" --json
    [ "$RC" = 0 ] || diag "$ERR"
}
cells() {
    printf '%s' "$OUT" | jq -r '.jobs[] | ([.values | to_entries[] | "\(.key)=\(.value)"] | join(" ")) + " | " + .variant + " " + (.sample|tostring)'
}

cat > grid.yaml <<'Y'
prompt: "a {a} {b}"
sweep:
  b: [x, y]
  a: [1, 2, 3]
Y
plan grid.yaml
is "$(cells)" "a=1 b=x | main 1
a=1 b=y | main 1
a=2 b=x | main 1
a=2 b=y | main 1
a=3 b=x | main 1
a=3 b=y | main 1" "grid: axes crossed in alphabetical order, the last varying fastest"

cat > zip.yaml <<'Y'
prompt: "{subject} {style} {grade}"
sweep:
  subject: [cat, dog]
zip:
  look:
    style: [noir, pastel, neon]
    grade: [mono, candy, acid]
Y
plan zip.yaml
is "$(cells)" "grade=mono style=noir subject=cat | main 1
grade=mono style=noir subject=dog | main 1
grade=candy style=pastel subject=cat | main 1
grade=candy style=pastel subject=dog | main 1
grade=acid style=neon subject=cat | main 1
grade=acid style=neon subject=dog | main 1" "zip: a group's axes advance together, crossed with the grid"

cat > rows.yaml <<'Y'
prompt: "{t} {w}"
sweep:
  t: [dawn]
  w: [rain]
rows:
  - {t: noon, w: fog}
  - {t: night, w: snow}
Y
plan rows.yaml
is "$(cells)" "t=dawn w=rain | main 1
t=noon w=fog | main 1
t=night w=snow | main 1" "rows: explicit cells after the grid"

cat > range.yaml <<'Y'
prompt: "p"
sweep:
  cfg_scale: {from: 0.2, to: 0.8, step: 0.3}
  duration: {from: 3, to: 7, step: 2}
Y
plan range.yaml
is "$(cells)" "cfg_scale=0.2 duration=3 | main 1
cfg_scale=0.2 duration=5 | main 1
cfg_scale=0.2 duration=7 | main 1
cfg_scale=0.5 duration=3 | main 1
cfg_scale=0.5 duration=5 | main 1
cfg_scale=0.5 duration=7 | main 1
cfg_scale=0.8 duration=3 | main 1
cfg_scale=0.8 duration=5 | main 1
cfg_scale=0.8 duration=7 | main 1" "ranges: numeric axes from, to, step (no float drift)"
is "$(printf '%s' "$OUT" | jq -c '[.jobs[].params | [.cfg_scale, .duration]] | .[4]')" "[0.5,5]" "axes named after API fields set those fields"
is "$(printf '%s' "$OUT" | jq -c '[.jobs[].credits] | add')" "$((3 * (60*3 + 60*5 + 60*7)))" "credits follow the price table"

cat > filter.yaml <<'Y'
prompt: "{t} {w}"
sweep:
  t: [dawn, noon, night]
  w: [clear, storm]
include:
  - "w == 'storm'"
  - {t: dawn}
exclude: "t == 'noon'"
Y
plan filter.yaml
is "$(cells)" "t=dawn w=clear | main 1
t=dawn w=storm | main 1
t=night w=storm | main 1" "include (expressions or patterns, any may match) then exclude"

cat > sample.yaml <<'Y'
prompt: "{n}"
sweep:
  n: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
sample: {n: 4, seed: 7}
Y
plan sample.yaml
first=$(cells)
is "$(printf '%s\n' "$first" | wc -l)" 4 "sample: N cells"
plan sample.yaml
is "$(cells)" "$first" "the same seed picks the same cells"
is "$first" "$(printf '%s\n' "$first" | sort -t= -k2 -n)" "kept in sweep order"
sed -i 's/seed: 7/seed: 8/' sample.yaml
plan sample.yaml
unlike "$(cells | tr '\n' ' ')" "^$(printf '%s' "$first" | tr '\n' ' ')\$" "another seed picks other cells"

cat > ab.yaml <<'Y'
prompt: "a fox in {place}"
sweep:
  place: [snow, sand]
samples: 2
seed: auto
compare:
  plain: "{prompt}"
  film: {prompt: "{prompt}, on film", mode: pro}
Y
plan ab.yaml
is "$(cells)" "place=snow | film 1
place=snow | plain 1
place=snow | film 2
place=snow | plain 2
place=sand | film 1
place=sand | plain 1
place=sand | film 2
place=sand | plain 2" "samples and variants: every variant (in name order) meets every cell and sample"
is "$(printf '%s' "$OUT" | jq -r '.jobs[0].params.prompt + " / " + .jobs[0].params.mode')" "a fox in snow, on film / pro" "a variant's {prompt} is the recipe's prompt"
is "$(printf '%s' "$OUT" | jq '[.jobs[0].params.seed == .jobs[1].params.seed, .jobs[0].params.seed != .jobs[2].params.seed] | all')" true "seed: auto is shared by the variants of a cell and sample, not by samples"
is "$(printf '%s' "$OUT" | jq -r '[.jobs[].id] | unique | length')" 8 "every job has its own id"
ids=$(printf '%s' "$OUT" | jq -r '[.jobs[].id] | join(" ")')
run_hh plan ab.yaml --json
is "$(printf '%s' "$OUT" | jq -r '[.jobs[].id] | join(" ")')" "$ids" "the same file gives the same ids in the same order"

# The same recipe as Lua.
cat > ab.lua <<'L'
recipe {
  prompt = "a fox in {place}",
  sweep = { place = { "snow", "sand" } },
  samples = 2,
  seed = "auto",
  compare = {
    plain = "{prompt}",
    film = { prompt = "{prompt}, on film", mode = "pro" },
  },
}
L
run_hh plan ab.lua --json
is "$(printf '%s' "$OUT" | jq -r '[.jobs[].id] | join(" ")')" "$ids" "the Lua form gives the same jobs and ids as the YAML form"
run_hh check ab.lua
is "$RC" 0 "hh check accepts the Lua form"

# --set changes a variable, a field or a top-level key (vars.NAME adds one).
run_hh plan ab.yaml --json --set samples=1 --set mode=pro --set vars.place_extra=1
is "$(printf '%s' "$OUT" | jq -r '"\(.jobs | length) \(.jobs[0].params.mode)"')" "4 pro" "--set samples=1 --set mode=pro"

# Output names: templates, sanitised values, default names.
cat > out.yaml <<'Y'
prompt: "{who}"
sweep:
  who: ["../../etc/passwd", "a/b", "ok"]
output: "{who}.mp4"
Y
run_hh plan out.yaml --json
is "$(printf '%s' "$OUT" | jq -r '[.jobs[].output] | join(" ")')" "____etc_passwd.mp4 a_b.mp4 ok.mp4" "values in output names cannot leave the run directory"
# Template filters: slug, lower, upper and number formats, in prompts and
# output names; errors at check time.
cat > filt.yaml <<'Y'
prompt: "a {animal|upper} at {time|lower}, cfg {cfg_scale|%.2f}"
sweep:
  animal: [red fox, Snow Owl!]
  time: [Dawn]
  cfg_scale: [0.5]
output: "{animal|slug}-{time|slug}-{cfg_scale|%.2f}-{sample|%03d}.mp4"
Y
run_hh plan filt.yaml --json
is "$(jqv "$OUT" '[.jobs[] | .output + " " + .params.prompt] | join("|")')" \
    "red-fox-dawn-0.50-001.mp4 a RED FOX at dawn, cfg 0.50|snow-owl-dawn-0.50-001.mp4 a SNOW OWL! at dawn, cfg 0.50" \
    "slug, upper, lower and number formats in prompts and file names"
printf 'prompt: "a {animal|slgu}"\nsweep:\n  animal: [fox]\n' > f1.yaml
run_hh check f1.yaml
is "$ERR" "f1.yaml:1:9: prompt: unknown filter 'slgu' in {animal|slgu} (did you mean 'slug'?): the filters are slug, lower, upper, or a number format such as %.2f or %03d
hh: f1.yaml: 1 problem; nothing was sent" "an unknown filter, with did you mean"
printf 'prompt: "a {n|%%.2f} {m|%%d} {n|upper|%%d}"\nsweep:\n  n: [x]\n  m: [1.5]\n' > f2.yaml
run_hh check f2.yaml
is "$ERR" 'f2.yaml:1:9: prompt: {n|%.2f}: "x" is not a number
hh: f2.yaml: 1 problem; nothing was sent' "a number format of a word"
printf 'prompt: "a {m|%%d}"\nsweep:\n  m: [1.5]\n' > f3.yaml
run_hh check f3.yaml
is "$ERR" 'f3.yaml:1:9: prompt: {m|%d}: 1.5 is not a whole number
hh: f3.yaml: 1 problem; nothing was sent' "%d of a fraction"
printf 'prompt: "a {m|upper|%%.1f}"\nsweep:\n  m: [1.5]\n' > f4.yaml
run_hh check f4.yaml
is "$ERR" 'f4.yaml:1:9: prompt: {m|upper|%.1f}: a number format goes first
hh: f4.yaml: 1 problem; nothing was sent' "a format after a text filter"
# Without output:, readable names from the cell's values (as written), a
# short cell id, the variant, the sample; a recipe without axes by its name.
printf 'prompt: "a {time} {weather}"\nsweep:\n  weather: [clear sky, storm]\n  time: [dawn]\ncompare:\n  plain: "{prompt}"\n  film: "{prompt}, film"\n' > dn.yaml
run_hh plan dn.yaml --json
is "$(jqv "$OUT" '[.jobs[] | .output | sub("-[0-9a-f]{8}-"; "-ID-")] | join(" ")')" \
    "clear-sky-dawn-ID-film-1.mp4 clear-sky-dawn-ID-plain-1.mp4 storm-dawn-ID-film-1.mp4 storm-dawn-ID-plain-1.mp4" \
    "default file names: the cell's values in the order written, its id, the variant, the sample"
is "$(jqv "$OUT" '[.jobs[] | (.output | split("-")[-3]) == (.cell[1:9])] | all')" true "the id is the cell's"
printf 'name: hello\nprompt: "x"\nsamples: 2\n' > hello.yaml
run_hh plan hello.yaml --json
is "$(jqv "$OUT" '[.jobs[].output] | join(" ")')" "hello-1.mp4 hello-2.mp4" "a recipe without axes: its name"
long=$(printf 'x%.0s' $(seq 70))
printf 'prompt: "{p}"\nsweep:\n  p: ["%s a", "%s b"]\n' "$long" "$long" > long.yaml
run_hh plan long.yaml --json
is "$RC:$(jqv "$OUT" '[.jobs[].output | test("^x{48}-[0-9a-f]{16}-1[.]mp4$")] | all')" "0:true" \
    "values cut at 48 characters, then 16 digits of the id"
done_testing
