#!/usr/bin/env bash
# Job and cell identities: canonical JSON gives the same bytes for the same
# value (sorted keys, integral numbers without a fraction, shortest floats,
# only the escapes JSON requires); core.digest hashes it without building a
# Lua string; core.merge builds a request from its layers. The ids of two
# recipes are pinned: a journal written by an earlier hh must still find its
# jobs, so any change here that moves an id fails this test. (Cell ids grew
# from 10 hex digits to 16 on 2026-11-22; they begin with the old ones, and
# seed: auto still hashes those, so no job id moved.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"

# --- canonical JSON -------------------------------------------------------
run_lua '
local core = require("hh.core")
local json = require("hh.json")
local many = {}
for i = 1, 40 do many[string.format("k%02d", 41 - i)] = i end
local seventeen = {}
for i = 1, 17 do seventeen[string.char(96 + 18 - i)] = i end
local cases = {
  { "scalars", { 1, -1, 0, 1.5, -0.0, 1e300, 2^53, 0.1, 1/3, true, false, "x" } },
  { "big ints", { math.maxinteger, math.mininteger, 9007199254740993 } },
  { "keys sorted bytewise", { b = 1, a = 2, B = 3, ["é"] = 4, aa = 5, [""] = 6 } },
  { "escapes", "quote\" backslash\\ nl\n cr\r tab\t bs\b ff\f nul\0 del\127 ctl\1 é ✓" },
  { "nested", { z = { y = { x = { 1, { w = "v" } } } }, a = {} } },
  { "empty object", json.object() },
  { "null", { a = json.null, b = { json.null } } },
  { "17 keys", seventeen },
  { "40 keys", many },
}
for _, c in ipairs(cases) do print(c[1] .. "\t" .. assert(core.canonical(c[2]))) end
local deep = {} local t = deep for _ = 1, 70 do t.d = {} t = t.d end
for _, c in ipairs({ { "nan", { 0/0 } }, { "inf", math.huge }, { "mixed keys", { 1, 2, x = 3 } },
    { "function", { f = print } }, { "deep", deep }, { "sparse", { [1] = "a", [3] = "c" } } }) do
  local s, err = core.canonical(c[2])
  print(c[1] .. "\t" .. tostring(s) .. "\t" .. tostring(err))
end
'
is "$RC" 0 "canonical cases run"
is "$OUT" 'scalars	[1,-1,0,1.5,0,1e+300,9007199254740992,0.1,0.3333333333333333,true,false,"x"]
big ints	[9223372036854775807,-9223372036854775808,9007199254740993]
keys sorted bytewise	{"":6,"B":3,"a":2,"aa":5,"b":1,"é":4}
escapes	"quote\" backslash\\ nl\n cr\r tab\t bs\b ff\f nul\u0000 del\u007f ctl\u0001 é ✓"
nested	{"a":[],"z":{"y":{"x":[1,{"w":"v"}]}}}
empty object	{}
null	{"a":null,"b":[null]}
17 keys	{"a":17,"b":16,"c":15,"d":14,"e":13,"f":12,"g":11,"h":10,"i":9,"j":8,"k":7,"l":6,"m":5,"n":4,"o":3,"p":2,"q":1}
40 keys	{"k01":40,"k02":39,"k03":38,"k04":37,"k05":36,"k06":35,"k07":34,"k08":33,"k09":32,"k10":31,"k11":30,"k12":29,"k13":28,"k14":27,"k15":26,"k16":25,"k17":24,"k18":23,"k19":22,"k20":21,"k21":20,"k22":19,"k23":18,"k24":17,"k25":16,"k26":15,"k27":14,"k28":13,"k29":12,"k30":11,"k31":10,"k32":9,"k33":8,"k34":7,"k35":6,"k36":5,"k37":4,"k38":3,"k39":2,"k40":1}
nan	nil	cannot encode inf or nan
inf	nil	cannot encode inf or nan
mixed keys	nil	object keys must be strings
function	nil	cannot encode this type
deep	nil	nested too deeply
sparse	nil	object keys must be strings' \
    "canonical JSON: numbers, key order (insertion sort and qsort), escapes, nesting, null, errors"

# --- core.digest ----------------------------------------------------------
run_lua '
local core = require("hh.core")
local p = { prompt = "a \"cat\"", duration = 5, shots = { { prompt = "x" } } }
local function same(a, b, what) print((a == b and "same " or "DIFFERENT ") .. what .. " " .. a) end
same(core.digest("j", 15, p, "\n", 2, "\n", "main"),
     "j" .. core.sha256(core.canonical(p) .. "\n2\nmain"):sub(1, 15), "job id")
same(core.digest("c", 10, { b = 1, a = 2 }), "c" .. core.sha256(core.canonical({ b = 1, a = 2 })):sub(1, 10), "cell id")
same(core.digest("", 64, "abc"), core.sha256("abc"), "whole hash")
same(core.digest("", 7, "c1234567890", "/", 3), core.sha256("c1234567890/3"):sub(1, 7), "seed")
same(core.digest("x", 4, 1.5, true), "x" .. core.sha256("1.5true"):sub(1, 4), "numbers and booleans as JSON")
local big = {} for i = 1, 2000 do big[i] = string.rep("y", 10) end
same(core.digest("", 12, big), core.sha256(core.canonical(big)):sub(1, 12), "a 30 KB body")
print(select(2, core.digest("", 8, { 0/0 })))
for _, bad in ipairs({ { "", 0 }, { "", 65 }, { string.rep("p", 65), 8 } }) do
  local ok, err = pcall(core.digest, bad[1], bad[2], "x")
  print(ok, (err:gsub("^.-: ", "")))
end
'
is "$RC" 0 "digest cases run"
is "$OUT" 'same job id j72c6598d069913c
same cell id cd3626ac30a
same whole hash ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
same seed acef072
same numbers and booleans as JSON x763d
same a 30 KB body c54bd789aa13
cannot encode inf or nan
false	bad argument #2 to '"'"'hh.core.digest'"'"' (1 to 64 hex digits)
false	bad argument #2 to '"'"'hh.core.digest'"'"' (1 to 64 hex digits)
false	bad argument #1 to '"'"'hh.core.digest'"'"' (at most 64 bytes)' \
    "core.digest is the prefix and hex SHA-256 of its arguments joined, strings raw, the rest canonical"

# --- core.merge -----------------------------------------------------------
run_lua '
local core = require("hh.core")
local a, b = { prompt = "a", mode = "std" }, { mode = "pro", seed = 1 }
local m = core.merge(a, nil, b, {})
print(core.canonical(m), m ~= a and m ~= b, a.mode, core.canonical(core.merge()))
m.prompt = "changed"
print(a.prompt)
print(pcall(core.merge, a, "x"))
'
is "$RC" 0 "merge cases run"
like "$OUT" '^\{"mode":"pro","prompt":"a","seed":1\}	true	std	\[\]
a
false	.*table expected, got string' "core.merge: a new table, later layers win, nil skipped, inputs untouched"

# --- pinned ids -------------------------------------------------------------
cat > ids.yaml <<'Y'
prompt: "a {subject} in {style}, {weight}"
seed: auto
sweep:
  subject: [cat, "café au lait", "tab\there"]
  weight: [0.1, 0.25, 1.5, 2, -0.0]
zip:
  look:
    style: [noir, pastel]
    mode: [std, pro]
compare:
  plain: {}
  long: {prompt: "{prompt}, \"quoted\" and a backslash \\ and more"}
samples: 2
output: "{variant}/{subject}-{style}-{weight}-{sample}.mp4"
Y
cat > shots.yaml <<'Y'
multi_prompt:
  - {prompt: "shot one {n}", duration: 2}
  - {prompt: "shot two", duration: 3}
sweep:
  n: {from: 1, to: 3, step: 1}
extra:
  seed: 7
  nested: {b: [1, 2.5, true], a: null}
output: "{n}.mp4"
Y
ids() { printf '%s' "$OUT" | jq -r '[.jobs[] | .id + "/" + .cell] | join(" ")' | sha256sum | cut -c1-64; }
run_hh plan ids.yaml --json
is "$RC" 0 "plan ids.yaml"
is "$(jqv "$OUT" '.jobs | length')" 120 "ids.yaml: 120 jobs"
is "$(jqv "$OUT" '[.jobs[0:3][] | .id + " " + .cell] | join(",")')" \
    "j0952fe4a03f0116 c6fefbf9b2a9723a1,j5a34e16ae1ba249 c6fefbf9b2a9723a1,j5bc06dbabb96970 c6fefbf9b2a9723a1" "ids.yaml: the first ids"
is "$(jqv "$OUT" '[.jobs[0:4][] | .params.seed | tostring] | join(" ")')" "271640 271640 131128681 131128681" \
    "ids.yaml: seed: auto gives each cell and sample its seed, the same across variants"
is "$(ids)" b9a4c26e8f4fd8d1343e910f7460e957ed1a4d8f4d009c6bfcfa16d0dee9f250 "ids.yaml: every id as before"
is "$(jqv "$OUT" '[.jobs[].id] | join(" ")' | sha256sum | cut -c1-64)" b75bdaf4d856046a84d54d6a9a53a910766e3aaae89b4cebd81b631fe702756c "ids.yaml: job ids (seed: auto) exactly as the 2026-11-21 build made them"
run_hh plan shots.yaml --json
is "$RC" 0 "plan shots.yaml"
is "$(jqv "$OUT" '.jobs[0].id + " " + .jobs[0].cell')" "j0d8ccbc49c082b2 c2bfd14f43d17fc7c" "shots.yaml: the first ids"
is "$(ids)" 60c973f1bfdaf1c45dfee3facdba1065bdf82df7a3a28acbb13ccf95ca4c46b4 "shots.yaml: every id as before"

# hh check works its ids out only when a template needs them
cat > cellname.yaml <<'Y'
prompt: "{cell} {a}"
sweep:
  a: [1, 2]
output: "{cell}.mp4"
Y
run_hh check cellname.yaml
is "$RC" 0 "check with {cell} in templates"
run_hh plan cellname.yaml --json
is "$(jqv "$OUT" '[.jobs[] | (.params.prompt | split(" ")[0]) == .cell and .output == .cell + ".mp4"] | all')" true \
    "{cell} renders the cell's id"

done_testing
