#!/usr/bin/env bash
# docs/recipe.schema.json is exactly the language: every recipe in recipes/
# and every YAML block in the docs is accepted by a real JSON-Schema
# validator (python3-jsonschema, Draft 2020-12) over what hh's own YAML
# loader reads, and every whole recipe among them passes hh check; recipes
# that break a rule the schema can express are rejected by both.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"

PY=/usr/bin/python3
$PY -c 'import jsonschema' 2>/dev/null || bail "python3-jsonschema is missing (apt-get install python3-jsonschema)"
schema=$ROOT/docs/recipe.schema.json

# A YAML file as hh reads it, as JSON (null as null; an empty mapping as {}).
cat > tojson.lua <<'L'
local yaml, json = require("hh.yaml"), require("hh.json")
local f = assert(io.open(arg[1], "rb"))
local text = f:read("a")
f:close()
local doc, err = yaml.load(text, arg[1])
if doc == nil then io.stderr:write(tostring(err), "\n") os.exit(1) end
local function plain(v)
  if v == yaml.null then return json.null end
  if type(v) ~= "table" then return v end
  if next(v) == nil then return json.object() end
  local t = {}
  for k, x in pairs(v) do t[k] = plain(x) end
  return t
end
print(require("cjson").encode(plain(doc)))
L
# validate FILE.json...: one line a problem, "FILE: PATH: message".
cat > validate.py <<'P'
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
for f in sys.argv[2:]:
    for e in sorted(v.iter_errors(json.load(open(f))), key=lambda e: list(e.path)):
        print("%s: /%s: %s" % (f, "/".join(map(str, e.path)), e.message[:160]))
P
to_json() { "$HH" tojson.lua "$1" > "$2"; }
schema_problems() { $PY validate.py "$schema" "$@"; }

# 1. recipes/*.yaml: hh check and the schema both accept each.
for f in "$ROOT"/recipes/*.yaml; do
    name=$(basename "$f")
    run_hh check "$f"
    is "$RC" 0 "hh check accepts recipes/$name"
    to_json "$f" "$name.json"
    is "$(schema_problems "$name.json")" "" "the schema accepts recipes/$name"
done

# 2. Every YAML block of the docs: the schema accepts it (a block may be a
# part of a recipe: the schema requires no key); a whole recipe (one with a
# prompt or shots) also passes hh check, with the base the docs name (recipes/shared).
mkdir -p blocks/shared
cp "$ROOT/recipes/shared/studio-defaults.yaml" blocks/shared/  # the base the docs name
n=0
for doc in "$ROOT"/README.md "$ROOT"/docs/*.md; do
    awk -v dir=blocks -v base="$(basename "$doc" .md)" '
        /^```yaml/ { inb = 1; f = sprintf("%s/%s-%d.yaml", dir, base, NR); next }
        /^```/ { inb = 0 }
        inb { print > f }' "$doc"
done
for f in blocks/*.yaml; do
    n=$((n + 1))
    to_json "$f" "$f.json"
    is "$(schema_problems "$f.json")" "" "the schema accepts the block $(basename "$f" .yaml)"
    if grep -Eq '^(prompt|multi_prompt):' "$f"; then
        run_hh check "$f"
        is "$RC:$ERR" "0:" "hh check accepts the whole recipe $(basename "$f" .yaml)"
    fi
done
ok "$(test "$n" -ge 14; echo $?)" "($n YAML blocks in the docs)"

# 3. Rules the schema can express: a recipe breaking one is rejected by the
# schema and by hh check (each check's message as hh says it).
bad() { # bad NAME YAML HH-MESSAGE
    printf '%s\n' "$2" > "$1.yaml"
    to_json "$1.yaml" "$1.json"
    ok "$(test -n "$(schema_problems "$1.json")"; echo $?)" "the schema rejects $1"
    run_hh check "$1.yaml"
    like "$ERR" "$3" "and hh check: $1"
}
bad unknown-key 'prompt: "a fox"
sampels: 2' '^unknown-key.yaml:2:1: sampels: unknown key \(did you mean .samples.\?\)'
bad bad-mode 'prompt: "a fox"
mode: turbo' 'bad-mode.yaml:2:7: mode: must be "std" or "pro"'
bad long-duration 'prompt: "a fox"
duration: 20' 'long-duration.yaml:2:11: duration: must be a whole number of seconds from 3 to 15'
bad rerun-class 'prompt: "a fox"
rerun:
  - when: [faild]' "rerun-class.yaml:3:12: rerun\\[0\\].when\\[0\\]: unknown failure class 'faild' \\(did you mean 'failed'\\?\\)"
bad rerun-seed-auto 'prompt: "a fox"
rerun:
  - when: failed
    set: {seed: auto}' 'rerun-seed-auto.yaml:4:17: rerun\[0\].set.seed: must be a whole number or "new"'
bad fields-seed-new 'prompt: "a fox"
seed: new' 'fields-seed-new.yaml:2:7: seed: '
bad reserved-axis 'prompt: "a {cell}"
sweep:
  cell: [a, b]' "reserved-axis.yaml:3:9: sweep.cell: 'cell' is reserved"
bad bad-budget 'prompt: "a fox"
budget: -1' 'bad-budget.yaml:2:9: budget: must be a number of credits \(0 or more\)'
bad empty-compare 'prompt: "a fox"
compare: {}' 'empty-compare.yaml:2:10: compare: '
done_testing
