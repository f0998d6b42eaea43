#!/usr/bin/env bash
# The JSON Schema for editors names exactly the keys and fields hh accepts;
# at run time a symlink planted in the run directory is refused, not
# followed; a rerun's set: values are templates.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
cd "$SCRATCH"

schema=$ROOT/docs/recipe.schema.json
keys=$(jq -r '.properties | keys[]' "$schema" | sort | tr '\n' ' ')
run_hh -e 'local t = {} for k in pairs(require("hh.recipe").TOP) do if k ~= "after" and k ~= "after_credits" then t[#t + 1] = k end end table.sort(t) print(table.concat(t, " ") .. " ")'
is "$keys" "$OUT" "the schema's top-level keys are the recipe's (after: and after_credits: are Lua only)"
fields=$(jq -r '."$defs" | (.field_properties.properties + .fields.properties) | keys[]' "$schema" | sort | tr '\n' ' ')
run_hh -e 'local t = {} for k in pairs(require("hh.recipe").FIELDS) do t[#t + 1] = k end table.sort(t) print(table.concat(t, " ") .. " ")'
is "$fields" "$OUT" "the schema's fields are the API fields hh knows"
classes=$(jq -r '."$defs".class.enum[]' "$schema" | sort | tr '\n' ' ')
run_hh -e 'local t = {} for k in pairs(require("hh.recipe").CLASSES) do t[#t + 1] = k end table.sort(t) print(table.concat(t, " ") .. " ")'
is "$classes" "$OUT" "and the rerun classes"

start_sim --time-scale 0.001
hh_env
mkdir -p out/dawn outside
ln -s "$SCRATCH/outside" out/night
ln -s "$SCRATCH/outside/stolen.mp4" out/dawn/clip.mp4
cat > links.yaml <<'Y'
prompt: "{time}"
sweep:
  time: [dawn, night, noon]
output: "{time}/clip.mp4"
Y
run_hh run links.yaml --out "$SCRATCH/out" -q
is "$RC" 4 "a run meeting planted symlinks reports failures"
is "$(jq -r '[.output, .state, .error // ""] | join(" ")' out/manifest.jsonl | sort | tr '\n' '|')" \
   "dawn/clip.mp4 failed dawn/clip.mp4: is a symlink|night/clip.mp4 failed night/clip.mp4: a directory on the way is a symlink or not a directory|noon/clip.mp4 done |" \
   "neither a symlinked file nor a symlinked directory is followed"
is "$(ls outside | wc -l)" 0 "nothing was written outside the run directory"
is "$(jqv "$(sim_stats)" .accepted)" 1 "and nothing was paid for the refused jobs"

start_sim --time-scale 0.001 --fault task-policy=1
hh_env
cat > setprompt.yaml <<'Y'
prompt: "a {thing}"
sweep:
  thing: [vase]
rerun:
  - when: policy
    set: {prompt: "{prompt} with flowers, {thing} only"}
Y
run_hh run setprompt.yaml --out "$SCRATCH/out2" -q
is "$(jq -r '.params.prompt' out2/manifest.jsonl | tr '\n' '|')" "a vase|a vase with flowers, vase only|" "set: values are templates ({prompt} is the job's own)"
printf 'prompt: x\nrerun:\n  - when: failed\n    set: {prompt: "{nope}"}\n' > badset.yaml
run_hh check badset.yaml
like "$ERR" "badset.yaml:4:19: rerun\[0\].set.prompt: unknown placeholder \{nope\}" "an unknown placeholder in set: is caught at check time"
done_testing
