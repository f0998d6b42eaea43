#!/usr/bin/env bash
# hh.generate checks every documented field rule before sending anything:
# misuse raises an error that names the script line, the field and the rule,
# and the sim's counters show no request was made.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hh.sh"
start_sim --time-scale 0.001
hh_env

long=$(head -c 2501 /dev/zero | tr '\0' 'a')
check() { # check 'LUA TABLE' 'field: rule'
    run_lua "hh.generate($1)"
    is "$(printf '%s' "$ERR" | head -n 1)" "hh: error: $SCRATCH/script.lua:1: hh.generate: $2" "rule: $2"
}
check '{}' 'prompt: is required unless multi_shots is true'
check '{prompt = ""}' 'prompt: must not be empty'
check '{prompt = 42}' 'prompt: must be a string'
check "{prompt = \"$long\"}" 'prompt: must be at most 2500 characters (got 2501)'
check '{prompt = "a", model = "other"}' 'model: must be "happyhorse-1.0/video"'
check '{prompt = "a", mode = "fast"}' 'mode: must be "std" or "pro"'
check '{prompt = "a", duration = 2}' 'duration: must be a whole number of seconds from 3 to 15'
check '{prompt = "a", duration = 16}' 'duration: must be a whole number of seconds from 3 to 15'
check '{prompt = "a", duration = 5.5}' 'duration: must be a whole number of seconds from 3 to 15'
check '{prompt = "a", aspect_ratio = "4:3"}' 'aspect_ratio: must be one of "16:9", "9:16", "1:1"'
check '{prompt = "a", sound = "yes"}' 'sound: must be true or false'
check '{prompt = "a", cfg_scale = 1.5}' 'cfg_scale: must be a number from 0 to 1'
check '{prompt = "a", cfg_scale = -0.1}' 'cfg_scale: must be a number from 0 to 1'
check '{prompt = "a", image_urls = "http://x/a.png"}' 'image_urls: must be an array of URL strings'
check '{prompt = "a", image_urls = {"file:///etc/passwd"}}' 'image_urls[0]: must be an http or https URL'
check '{prompt = "a", image_urls = {"https://x/1", "https://x/2", "https://x/3"}}' 'image_urls: at most 2 images (first and last frame) for a single shot'
check '{multi_shots = "yes", prompt = "a"}' 'multi_shots: must be true or false'
check '{multi_shots = true}' 'multi_prompt: is required when multi_shots is true'
check '{multi_shots = true, multi_prompt = {}}' 'multi_prompt: must be a non-empty array of shots'
check '{multi_shots = true, multi_prompt = {"a"}}' 'multi_prompt[0]: must be an object with a prompt'
check '{multi_shots = true, multi_prompt = {{duration = 3}}}' 'multi_prompt[0].prompt: is required'
check '{multi_shots = true, multi_prompt = {{prompt = "a", duration = 0}}}' 'multi_prompt[0].duration: must be a whole number of seconds from 1 to 15'
check '{multi_shots = true, multi_prompt = {{prompt = "a", duration = 3}, {prompt = "b"}}}' 'multi_prompt[1].duration: give a duration for every shot or for none'
check '{multi_shots = true, multi_prompt = {{prompt = "a", duration = 8}, {prompt = "b", duration = 9}}}' 'multi_prompt: shot durations add up to 17 s; the total must be from 3 to 15 s'
check '{multi_shots = true, duration = 10, multi_prompt = {{prompt = "a", duration = 4}, {prompt = "b", duration = 5}}}' 'duration: must equal the sum of the shot durations (9 s) or be left out'
check '{multi_shots = true, duration = 3, multi_prompt = {{prompt = "a"}, {prompt = "b"}, {prompt = "c"}, {prompt = "d"}}}' 'multi_prompt: 4 shots do not fit in 3 s (each needs at least 1 s)'
check '{multi_shots = true, image_urls = {"https://x/1", "https://x/2"}, multi_prompt = {{prompt = "a"}}}' 'image_urls: at most 1 image (the first frame) when multi_shots is true'

run_lua 'hh.generate("a horse")'
is "$RC" 1 "a non-table argument is a script error (exit 1)"
like "$ERR" "script.lua:1: bad argument #1 to 'generate' \(table expected, got string\)" "naming the line and the argument"
like "$ERR" "stack traceback:" "with a traceback"

run_hh generate --prompt a --duration 20 --cfg 3
is "$RC" 2 "hh generate with invalid fields exits 2"
is "$ERR" "hh: generate: duration: must be a whole number of seconds from 3 to 15
hh: generate: cfg_scale: must be a number from 0 to 1" "and names every problem"

stats=$(sim_stats)
is "$(jqv "$stats" '.requests.generate | length')" 0 "the sim saw no submission at all"
is "$(jqv "$stats" .accepted)" 0 "nothing was billed"

# seed is known; fields only some hosts know pass through when declared
# (tests/t0225 has the rest).
run_lua 'local t = assert(hh.generate{prompt = "a", seed = 42, extra = {negative_prompt = "rain"}}) print(t.id)'
is "$RC" 0 "seed and extra fields are accepted"
done_testing
