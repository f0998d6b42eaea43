#!/usr/bin/env bash
# rows: {file: NAME}: a recipe's rows from a CSV or JSON Lines file beside
# it. Columns are fields or variables, values read as YAML would (numbers,
# true/false; quoted CSV values stay text; an empty one is no value), the
# checks of inline rows apply and point into the data file (file:line:col),
# the file obeys the recipe's tree rules, and a changed line is a changed job.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"

# RFC 4180: quoted commas, "" for a quote, a line break inside quotes, CRLF,
# a byte order mark, blank lines.
printf '\357\273\277subject,duration,mode,seed,code\r\n"a fox, in snow",5,std,7,"007"\r\n\r\n"a heron ""Grey""",10,pro,,42\r\n"two\nlines",3,std,9,x\r\n' > p.csv
cat > csv.yaml <<'Y'
prompt: "{subject} ({code})"
rows: {file: p.csv}
output: "{subject|slug}.mp4"
Y
run_hh plan csv.yaml --json
is "$RC" 0 "a CSV file's rows plan"
is "$(jqv "$OUT" '[.jobs[] | [.params.prompt, .params.duration, .params.mode, (.params.seed // "-"), .output] | map(tostring) | join("|")] | join(" / ")')" \
    'a fox, in snow (007)|5|std|7|a-fox-in-snow.mp4 / a heron "Grey" (42)|10|pro|-|a-heron-grey.mp4 / two
lines (x)|3|std|9|two-lines.mp4' \
    "quoted commas and quotes, a line break inside quotes, CRLF, BOM, a blank line; numbers as numbers, \"007\" as text, an empty seed as none"
is "$(jqv "$OUT" '.jobs[0].values | keys | join(",")')" "code,duration,mode,seed,subject" "the columns are the cell's values"

# JSON Lines.
printf '{"subject": "a fox", "duration": 5}\n\n{"subject": "an owl", "duration": 4, "sound": false, "seed": null}\n' > p.jsonl
printf 'prompt: "{subject}"\nrows: {file: p.jsonl}\n' > jl.yaml
run_hh plan jl.yaml --json
is "$(jqv "$OUT" '[.jobs[] | [.params.prompt, .params.duration, (.params.sound | tostring)] | join("|")] | join(" / ")')" \
    "a fox|5|null / an owl|4|false" "JSON Lines rows; null is no value"

# The inline rows' checks, placed in the data file.
printf 'subject,duration,mood\nfox,5,calm\nheron,20,wild\nstork,x,y,z\n' > bad.csv
printf 'prompt: "a {subject}, {mood}"\nrows: {file: bad.csv}\n' > bad.yaml
run_hh check bad.yaml
is "$ERR" "bad.csv:3: duration: must be a whole number of seconds from 3 to 15
bad.csv:4: rows.file: has 4 values; the header names 3 columns
hh: bad.yaml: 2 problems; nothing was sent" "problems name the data file's lines"
printf 'sub ject,duration\nfox,5\n' > name.csv
printf 'prompt: "a fox"\nrows: {file: name.csv}\n' > name.yaml
run_hh check name.yaml
like "$ERR" "^name.csv:2:1: rows\[0\]\.sub ject: " "a column that is not a name, at its value"
errs() { printf 'prompt: "a fox"\nrows: %s\n' "$1" > e.yaml; run_hh check e.yaml; printf '%s' "$ERR" | head -n 1; }
printf 'a,"b\n' > open.csv
is "$(errs '{file: open.csv}')" 'open.csv:1: rows.file: a quoted value is never closed' "an unclosed quote"
printf 'a,b\n1,x"y\n' > q.csv
is "$(errs '{file: q.csv}')" 'q.csv:2: rows.file: a quote inside an unquoted value (quote the whole value, with "" for each quote)' "a stray quote"
printf 'a,a\n1,2\n' > dup.csv
is "$(errs '{file: dup.csv}')" 'dup.csv:1:3: rows.file: column "a" is named twice in the header' "a column named twice"
printf 'a,b\n' > head.csv
is "$(errs '{file: head.csv}')" 'head.csv: rows.file: has no rows' "a header and no rows"
printf '{"a": 1}\n[1, 2]\nnot json\n' > bad.jsonl
run_hh check "$(printf 'prompt: "a fox"\nrows: {file: bad.jsonl}\n' > bj.yaml; echo bj.yaml)"
like "$ERR" "bad.jsonl:2: rows.file: must be a JSON object \(names to values\)
bad.jsonl:3: rows.file: not JSON: " "JSON Lines: each bad line"
is "$(errs '{file: p.txt}')" 'e.yaml:2:14: rows.file: "p.txt": must end in .csv or .jsonl (.ndjson)' "another kind of file"
is "$(errs '{file: p.csv, sep: ";"}')" 'e.yaml:2:21: rows.sep: unknown key (rows: {file: NAME} takes only file)' "an unknown key"
is "$(errs '{file: none.csv}')" 'e.yaml:2:14: rows.file: "none.csv": cannot read: No such file or directory' "a missing file"
mkdir -p tree/.git outside
cp p.csv outside/p.csv
printf 'prompt: "{subject}"\nrows: {file: ../outside/p.csv}\n' > tree/out.yaml
run_hh check tree/out.yaml
like "$ERR" 'tree/out.yaml:2:14: rows.file: "../outside/p.csv": must be inside the recipe.s tree \(.*/tree\); --trust lifts this' \
    "without --trust the data file must be inside the recipe's tree"
ln -s "$SCRATCH/outside/p.csv" tree/link.csv
printf 'prompt: "{subject}"\nrows: {file: link.csv}\n' > tree/link.yaml
run_hh check tree/link.yaml
like "$ERR" 'rows.file: "link.csv": leads out of the recipe.s tree' "nor reached through a symbolic link"

# A changed line is a changed job; the others stay cached.
start_sim --time-scale 0.001 --palette 2
hh_env
printf 'subject,duration\na fox,5\nan owl,5\n' > run.csv
printf 'prompt: "{subject}"\nrows: {file: run.csv}\noutput: "{subject|slug}.mp4"\n' > run.yaml
run_hh run run.yaml --out r1 -q
is "$RC" 0 "a run from a CSV file"
printf 'subject,duration\na fox,5\nan owl at night,5\n' > run.csv
run_hh plan run.yaml --out r1
like "$OUT" "against r1: 1 cached, 1 new, 0 changed, 1 removed, 0 pending" "an edited line: one new job, the other cached"
stop_sim
done_testing
